import { util, type GatherV2Attrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { allocate, type WasmBackend } from './wasmBackend.js';

/**
 * Wraps tfjs-backend-wasm's GatherV2: a gather of whole rows (axis 0, no batch dims, float32 or
 * int32), which is every embedding lookup, is done as one block copy per index. The stock kernel
 * runs a per-element strided loop that took ~10 ms for the text model (4,096 rows of 64
 * from a 5000x64 table) against ~0.2 ms here. Other gathers go to the stock kernel.
 */
export function rowGather(original: KernelConfig): KernelConfig {
  const inner = original.kernelFunc;
  const kernelFunc = (args: {
    inputs: { x: TensorInfo; indices: TensorInfo };
    backend: WasmBackend;
    attrs: GatherV2Attrs;
  }) => {
    const { backend, attrs } = args;
    const { x, indices } = args.inputs;
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
    if (
      axis !== 0 ||
      (attrs.batchDims ?? 0) !== 0 ||
      (x.dtype !== 'float32' && x.dtype !== 'int32') ||
      indices.dtype !== 'int32'
    )
      return inner(args as never);
    const rows = x.shape[0]!;
    const width = util.sizeFromShape(x.shape.slice(1));
    const count = util.sizeFromShape(indices.shape);
    const out = allocate(backend, [...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Views taken after the allocation (which may grow the heap and detach earlier views).
    const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    const ov = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    for (let i = 0; i < count; i++) {
      const r = idx[i]!;
      if (!(r >= 0 && r < rows)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      }
      ov.set(xv.subarray(r * width, (r + 1) * width), i * width);
    }
    return out;
  };
  // The stock config with only the kernel function replaced: its setup (binding the wasm function)
  // still runs when the backend initialises.
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}
