import {
  type KernelConfig,
  type KernelFunc,
  ResizeBilinearGrad,
  type ResizeBilinearGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapF32, type WasmBackend } from './wasmBackend.js';

/** Source row/column of each output index and its interpolation weight, exactly as the forward kernel samples. */
function sampling(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean) {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = halfPixelCenters ? scale * (i + 0.5) - 0.5 : scale * i;
    const floor = Math.max(0, Math.floor(src));
    lo[i] = floor;
    hi[i] = Math.min(inSize - 1, Math.ceil(src));
    frac[i] = src - floor;
  }
  return { lo, hi, frac };
}

/**
 * The exact adjoint of ResizeBilinear: each dy is scattered to the (up to) four source pixels with
 * the forward pass's weights. tfjs 4.22's kernels ignore `halfPixelCenters` here (wasm) or swap
 * height and width for non-square images (cpu); this one honours both attributes.
 */
function resizeBilinearGrad(args: {
  inputs: { images: TensorInfo; dy: TensorInfo };
  backend: WasmBackend;
  attrs: ResizeBilinearGradAttrs & { halfPixelCenters?: boolean };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { images, dy } = inputs;
  const alignCorners = attrs.alignCorners;
  const halfPixel = attrs.halfPixelCenters === true;
  const [batch, inH, inW, depth] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const rows = sampling(inH, outH, alignCorners, halfPixel);
  const cols = sampling(inW, outW, alignCorners, halfPixel);
  const dx = backend.makeOutput([batch, inH, inW, depth], 'float32');
  const dxv = heapF32(backend, dx);
  const dyv = heapF32(backend, dy);
  dxv.fill(0);
  let src = 0;
  for (let b = 0; b < batch; b++) {
    const base = b * inH * inW * depth;
    for (let r = 0; r < outH; r++) {
      const top = base + rows.lo[r]! * inW * depth;
      const bottom = base + rows.hi[r]! * inW * depth;
      const fr = rows.frac[r]!;
      for (let c = 0; c < outW; c++) {
        const left = cols.lo[c]! * depth;
        const right = cols.hi[c]! * depth;
        const fc = cols.frac[c]!;
        const wTL = (1 - fr) * (1 - fc);
        const wTR = (1 - fr) * fc;
        const wBL = fr * (1 - fc);
        const wBR = fr * fc;
        for (let d = 0; d < depth; d++, src++) {
          const g = dyv[src]!;
          dxv[top + left + d]! += g * wTL;
          dxv[top + right + d]! += g * wTR;
          dxv[bottom + left + d]! += g * wBL;
          dxv[bottom + right + d]! += g * wBR;
        }
      }
    }
  }
  return dx;
}

/** ResizeBilinearGrad for the wasm backend, honouring halfPixelCenters. */
export const resizeBilinearGradConfig: KernelConfig = {
  kernelName: ResizeBilinearGrad,
  backendName: 'wasm',
  kernelFunc: resizeBilinearGrad as unknown as KernelFunc,
};
