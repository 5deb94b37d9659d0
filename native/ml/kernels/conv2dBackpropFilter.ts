import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {
  aliasRows,
  allocate,
  callWasmKernel,
  heapF32,
  release,
  releaseAlias,
  type WasmBackend,
} from './wasmBackend.js';

/**
 * Attributes of Conv2DBackpropFilter. `dilations` is an extension: tfjs's own gradient never
 * passes it (it refuses dilated convolutions), but the kernel computes it correctly when given.
 */
export type Conv2DBackpropFilterKernelAttrs = Conv2DBackpropFilterAttrs & {
  dilations?: [number, number] | number;
};

/** Upper bound on the im2col buffer, in float32 elements (4 MB, cache-friendly): longer inputs go in chunks. */
const MAX_COLS_ELEMENTS = 1 << 20;

/**
 * dW[fh, fw, ci, co] = sum over (b, oh, ow) of x[b, ih, iw, ci] * dy[b, oh, ow, co], with
 * ih = oh*strideH - padTop + fh*dilationH. Computed as im2col(x)^T @ dy: the patches are laid out
 * in JS straight into the wasm heap, the product runs in the wasm backend's own BatchMatMul.
 * Chunks are runs of whole output rows (b, oh), for which the dy rows are contiguous in NHWC.
 */
function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DBackpropFilterKernelAttrs;
}): TensorInfo {
  const { backend, attrs } = args;
  let { x, dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const dilations = attrs.dilations ?? 1;
  const nchw = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsFirst';
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    nchw ? 'channelsFirst' : 'channelsLast',
  );
  const temporaries: TensorInfo[] = [];
  if (nchw) {
    x = callWasmKernel(backend, 'Transpose', { x }, { perm: [0, 2, 3, 1] });
    dy = callWasmKernel(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
    temporaries.push(x, dy);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error('Conv2DBackpropFilter (wasm) supports float32 only');
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: fhN, filterWidth: fwN } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const k = fhN * fwN * inChannels;
  const totalRows = batchSize * outHeight; // (b, oh) pairs
  const rowsPerChunk = Math.max(1, Math.min(totalRows, Math.floor(MAX_COLS_ELEMENTS / Math.max(1, outWidth * k))));

  let acc: Float32Array | null = null;
  let single: TensorInfo | null = null;
  for (let r0 = 0; r0 < totalRows; r0 += rowsPerChunk) {
    const r1 = Math.min(totalRows, r0 + rowsPerChunk);
    const n = (r1 - r0) * outWidth;
    const colsT = allocate(backend, [k, n]);
    // The dy rows of this chunk are contiguous: view them in place rather than copying.
    const dyChunk = aliasRows(backend, dy, r0 * outWidth * outChannels, [n, outChannels]);
    const xv = heapF32(backend, x);
    const cv = heapF32(backend, colsT);
    // Patches are written transposed ([k, n]) because the wasm BatchMatMul takes its XNNPACK path
    // only without transposes. Reads run along x's contiguous channels and fan out to one output
    // row per channel, each written sequentially (a blocked transpose, ~3x faster than scanning x
    // once per channel).
    for (let fh = 0; fh < fhN; fh++) {
      for (let fw = 0; fw < fwN; fw++) {
        const rowBase = (fh * fwN + fw) * inChannels;
        // Output columns whose input column iw = ow*sw - padLeft + fw*dw lies inside the image.
        const offset = fw * dw - padLeft;
        const owMin = Math.min(outWidth, Math.max(0, Math.ceil(-offset / sw)));
        const owMax = Math.max(owMin, Math.min(outWidth, Math.floor((inWidth - 1 - offset) / sw) + 1));
        const step = sw * inChannels;
        for (let r = r0, col = 0; r < r1; r++, col += outWidth) {
          const b = Math.floor(r / outHeight);
          const oh = r - b * outHeight;
          const ih = oh * sh - padTop + fh * dh;
          if (ih < 0 || ih >= inHeight) {
            for (let ci = 0; ci < inChannels; ci++)
              cv.fill(0, (rowBase + ci) * n + col, (rowBase + ci) * n + col + outWidth);
            continue;
          }
          if (owMin > 0 || owMax < outWidth) {
            for (let ci = 0; ci < inChannels; ci++) {
              const dst = (rowBase + ci) * n + col;
              if (owMin > 0) cv.fill(0, dst, dst + owMin);
              if (owMax < outWidth) cv.fill(0, dst + owMax, dst + outWidth);
            }
          }
          const src0 = ((b * inHeight + ih) * inWidth + owMin * sw + offset) * inChannels;
          if (inChannels === 1) {
            const dst = rowBase * n + col;
            for (let ow = owMin, src = src0; ow < owMax; ow++, src += step) cv[dst + ow] = xv[src]!;
          } else {
            for (let ow = owMin, src = src0; ow < owMax; ow++, src += step) {
              let dst = rowBase * n + col + ow;
              for (let ci = 0; ci < inChannels; ci++, dst += n) cv[dst] = xv[src + ci]!;
            }
          }
        }
      }
    }
    const product = callWasmKernel(
      backend,
      'BatchMatMul',
      { a: colsT, b: dyChunk },
      { transposeA: false, transposeB: false },
    );
    release(backend, colsT);
    releaseAlias(backend, dyChunk);
    if (r0 === 0 && r1 === totalRows) {
      single = product;
    } else {
      const pv = heapF32(backend, product);
      if (acc === null) acc = new Float32Array(pv);
      else for (let i = 0; i < acc.length; i++) acc[i]! += pv[i]!;
      release(backend, product);
    }
  }
  for (const t of temporaries) release(backend, t);
  if (single !== null) return { dataId: single.dataId, shape: [...filterShape], dtype: 'float32' };
  return backend.makeOutput([...filterShape], 'float32', undefined, acc ?? new Float32Array(k * outChannels));
}

/** Conv2DBackpropFilter for the wasm backend (missing from tfjs-backend-wasm 4.22). */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
