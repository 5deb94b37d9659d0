import { util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs';
import { allocate, heapF32, type WasmBackend } from './wasmBackend.js';

/**
 * Wraps tfjs-backend-wasm's Sum: a float32 sum over the leading axes (every bias gradient: a
 * [rows, units] gradient summed over rows) accumulates whole rows in place. The stock kernel first
 * transposes the gradient so the reduced axis is innermost (~8 ms for a [4096, 256] LSTM gate
 * gradient); a ones·x product on XNNPACK is no better, as it packs x (4 MB) on every call. Other
 * sums go to the stock kernel.
 */
export function leadingAxesSum(original: KernelConfig): KernelConfig {
  const inner = original.kernelFunc;
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SumAttrs }) => {
    const { backend, attrs } = args;
    const { x } = args.inputs;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const width = util.sizeFromShape(x.shape.slice(axes.length));
    if (!leading || x.dtype !== 'float32' || rows < 2 || width === 0) return inner(args as never);
    const out = allocate(
      backend,
      attrs.keepDims ? [...axes.map(() => 1), ...x.shape.slice(axes.length)] : x.shape.slice(axes.length),
    );
    // Views taken after the allocation (which may grow the heap and detach earlier views).
    const m = heapF32(backend, x);
    // Four rows per pass into a float64 accumulator: fewer passes over it, and more exact.
    const acc = new Float64Array(width);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const r0 = r * width;
      const r1 = r0 + width;
      const r2 = r1 + width;
      const r3 = r2 + width;
      for (let j = 0; j < width; j++) acc[j]! += m[r0 + j]! + m[r1 + j]! + m[r2 + j]! + m[r3 + j]!;
    }
    for (; r < rows; r++) {
      const ro = r * width;
      for (let j = 0; j < width; j++) acc[j]! += m[ro + j]!;
    }
    heapF32(backend, out).set(acc);
    return out;
  };
  // The stock config with only the kernel function replaced: its setup (binding the wasm function)
  // still runs when the backend initialises.
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}
