import {
  findBackend,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type DataType,
} from '@tensorflow/tfjs';
import type { WasmBackend } from './wasmBackend.js';

interface BridgeBackend {
  write(values: unknown, shape: number[], dtype: DataType): object;
  readSync(dataId: object): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Runs the cpu backend's implementation of `kernelName` for the wasm backend: inputs are copied to
 * cpu, the kernel runs there, outputs are copied back. Exact by construction and only as fast as
 * the cpu kernel, so it is used for rare training kernels (depthwise-conv gradients, Einsum) where
 * a missing kernel would otherwise be a hard failure.
 */
export function cpuBridgedKernel(kernelName: string): KernelConfig {
  const kernelFunc = (args: {
    inputs: Record<string, TensorInfo>;
    backend: WasmBackend;
    attrs: Record<string, unknown>;
  }) => {
    const cpuKernel = getKernel(kernelName, 'cpu');
    const cpu = findBackend('cpu') as unknown as BridgeBackend | null;
    if (cpuKernel === undefined || cpu === null)
      throw new Error(`${kernelName}: cpu backend unavailable for the wasm bridge`);
    const { inputs, backend, attrs } = args;
    const cpuInputs: Record<string, TensorInfo> = {};
    for (const [name, t] of Object.entries(inputs)) {
      if (t === undefined || t === null) continue;
      cpuInputs[name] = {
        dataId: cpu.write(backend.readSync(t.dataId), t.shape, t.dtype),
        shape: t.shape,
        dtype: t.dtype,
      };
    }
    try {
      const result = (cpuKernel.kernelFunc as KernelFunc)({
        inputs: cpuInputs,
        backend: cpu as never,
        attrs: attrs as never,
      });
      const outs = Array.isArray(result) ? result : [result];
      const moved = outs.map((o) => {
        const values = cpu.readSync(o.dataId) as Float32Array | Int32Array | Uint8Array;
        cpu.disposeData(o.dataId, true);
        return backend.makeOutput(o.shape, o.dtype, undefined, values);
      });
      return Array.isArray(result) ? moved : moved[0]!;
    } finally {
      for (const t of Object.values(cpuInputs)) cpu.disposeData(t.dataId, true);
    }
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
