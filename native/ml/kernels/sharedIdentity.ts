import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackend } from './wasmBackend.js';

/**
 * Wraps the wasm backend's Identity so it shares the input's memory (one more reference) instead of
 * copying it, as the cpu and webgl backends do. tfjs clones every tensor a gradient saves, so the
 * stock copying kernel moved megabytes per training step (an LSTM's saved gates and states).
 * Sharing is safe because no kernel writes into its inputs: tensors are immutable, and a variable
 * update replaces the variable's data rather than writing into it. String tensors (kept in JS,
 * not in the wasm heap) go to the stock kernel.
 */
export function sharedIdentity(original: KernelConfig): KernelConfig {
  const stock = original.kernelFunc;
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: WasmBackend }) => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return stock(args as unknown as Parameters<KernelFunc>[0]);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { ...original, kernelName: Identity, kernelFunc: kernelFunc as unknown as KernelFunc };
}
