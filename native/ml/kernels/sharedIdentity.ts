import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackend } from './wasmBackend.js';

/**
 * Identity for the wasm backend that shares the input's memory (one more reference) instead of
 * copying it, as the cpu and webgl backends do. tfjs clones every tensor a gradient saves, so the
 * stock copying kernel moved megabytes per training step (an LSTM's saved gates and states).
 * Sharing is safe because no kernel writes into its inputs: tensors are immutable, and a variable
 * update replaces the variable's data rather than writing into it.
 */
export const sharedIdentityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend }: { inputs: { x: TensorInfo }; backend: WasmBackend }) => {
    const { x } = inputs;
    if (x.dtype === 'string') throw new Error('Identity (wasm) does not take string tensors');
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  }) as unknown as KernelFunc,
};
