import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The wasm backend as seen by our kernels (its public TypeScript surface). */
export type WasmBackend = BackendWasm;

/**
 * Views a wasm tensor's float32 data in place. The view is invalidated whenever the wasm heap
 * grows (any allocation), so callers re-take views after allocating.
 */
export function heapF32(backend: WasmBackend, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Allocates an uninitialised wasm tensor of the given shape. */
export function allocate(backend: WasmBackend, shape: number[], dtype: 'float32' | 'int32' = 'float32'): TensorInfo {
  return backend.makeOutput(shape, dtype);
}

/** Frees a tensor this kernel allocated and did not return. */
export function release(backend: WasmBackend, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}

/**
 * A tensor viewing `shape` elements of `t` from element `offset` on, without copying. Must be
 * freed with {@link releaseAlias} (never `release`: the memory belongs to `t`), before `t` is.
 */
export function aliasRows(backend: WasmBackend, t: TensorInfo, offset: number, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, t.dtype, backend.getMemoryOffset(t.dataId) + offset * 4);
}

/** Unregisters an alias made by {@link aliasRows} without freeing the memory it views. */
export function releaseAlias(backend: WasmBackend, alias: TensorInfo): void {
  const data = backend.dataIdMap.get(alias.dataId);
  if (data === undefined) return;
  (backend.wasm as unknown as { tfjs: { disposeData(id: number): void } }).tfjs.disposeData(data.id);
  backend.dataIdMap.delete(alias.dataId);
}

/** Calls another kernel already registered for the wasm backend (e.g. its BatchMatMul). */
export function callWasmKernel(
  backend: WasmBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm kernel ${name} is not registered`);
  const out = (kernel.kernelFunc as KernelFunc)({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
  return out;
}
