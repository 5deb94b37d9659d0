import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { allocate, callWasmKernel, heapF32, release, type WasmBackend } from './wasmBackend.js';

/**
 * Attributes of Conv2DBackpropFilter. `dilations` is an extension: tfjs's own gradient never
 * passes it (it refuses dilated convolutions), but the kernel computes it correctly when given.
 */
export type Conv2DBackpropFilterKernelAttrs = Conv2DBackpropFilterAttrs & {
  dilations?: [number, number] | number;
};

/** Upper bound on the im2col buffer, in float32 elements (16 MB): long inputs are done in chunks. */
const MAX_COLS_ELEMENTS = 1 << 22;

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
    const cols = allocate(backend, [n, k]);
    const dyChunk = allocate(backend, [n, outChannels]);
    const xv = heapF32(backend, x);
    const dyv = heapF32(backend, dy);
    const cv = heapF32(backend, cols);
    heapF32(backend, dyChunk).set(dyv.subarray(r0 * outWidth * outChannels, r1 * outWidth * outChannels));
    let dst = 0;
    for (let r = r0; r < r1; r++) {
      const b = Math.floor(r / outHeight);
      const oh = r - b * outHeight;
      const xBatch = b * inHeight * inWidth * inChannels;
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * sw - padLeft;
        for (let fh = 0; fh < fhN; fh++) {
          const ih = oh * sh - padTop + fh * dh;
          if (ih < 0 || ih >= inHeight) {
            cv.fill(0, dst, dst + fwN * inChannels);
            dst += fwN * inChannels;
            continue;
          }
          const xRow = xBatch + ih * inWidth * inChannels;
          for (let fw = 0; fw < fwN; fw++) {
            const iw = iw0 + fw * dw;
            if (iw < 0 || iw >= inWidth) {
              cv.fill(0, dst, dst + inChannels);
            } else if (inChannels < 16) {
              const src = xRow + iw * inChannels;
              for (let c = 0; c < inChannels; c++) cv[dst + c] = xv[src + c]!;
            } else {
              const src = xRow + iw * inChannels;
              cv.set(xv.subarray(src, src + inChannels), dst);
            }
            dst += inChannels;
          }
        }
      }
    }
    const product = callWasmKernel(backend, 'BatchMatMul', { a: cols, b: dyChunk }, { transposeA: true, transposeB: false });
    release(backend, cols);
    release(backend, dyChunk);
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
