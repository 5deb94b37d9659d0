import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapF32, type WasmBackend } from './wasmBackend.js';

/**
 * Routes each dy to the first maximum of its pooling window (row-major scan, strictly greater, as
 * the cpu backend does; a window with no value above -Infinity gets nothing). One pass over the
 * windows, where tfjs-backend-wasm 4.22 loops over every (input, window) pair.
 */
function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: WasmBackend;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dx = backend.makeOutput([...input.shape], 'float32');
  const dxv = heapF32(backend, dx);
  const xv = heapF32(backend, input);
  const dyv = heapF32(backend, dy);
  dxv.fill(0);
  // Channels innermost: each window tap reads `ch` contiguous values and updates a running
  // maximum per channel, instead of walking the window once per channel with strided reads.
  const best = new Float32Array(ch);
  const at = new Int32Array(ch);
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * ch;
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * strideWidth - left;
        best.fill(Number.NEGATIVE_INFINITY);
        at.fill(-1);
        for (let wr = 0; wr < fh; wr += dh) {
          const r = r0 + wr;
          if (r < 0 || r >= inHeight) continue;
          for (let wc = 0; wc < fw; wc += dw) {
            const c = c0 + wc;
            if (c < 0 || c >= inWidth) continue;
            const base = xb + (r * inWidth + c) * ch;
            for (let d = 0; d < ch; d++) {
              const v = xv[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                at[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * ch;
        for (let d = 0; d < ch; d++) {
          const i = at[d]!;
          if (i >= 0) dxv[i]! += dyv[dyBase + d]!;
        }
      }
    }
  }
  return dx;
}

/** MaxPoolGrad for the wasm backend (NHWC), replacing tfjs-backend-wasm's slower loop. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
