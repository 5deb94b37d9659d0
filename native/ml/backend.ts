import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../contract/channels.js';

/** A backend this core can run on, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

const ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

async function tryTensorflow(): Promise<void> {
  // tfjs-node is an optional dependency: absent where libtensorflow could not be downloaded.
  const moduleName = '@tensorflow/tfjs-node';
  await import(/* @vite-ignore */ moduleName);
}

async function tryWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  // tfjs-backend-wasm 4.22 lacks kernels that training needs (conv filter gradient, gather gradient).
  const { registerWasmKernels } = await import('./kernels/index.js');
  registerWasmKernels();
}

function firstLine(error: unknown): string {
  if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return 'not installed';
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}

/**
 * Selects the fastest TensorFlow.js backend that loads here: tfjs-node, else wasm, else cpu.
 * `prefer` (or env `OSLER_BACKEND`) starts the search at a given backend, e.g. to force `cpu`.
 * Records why each skipped candidate was skipped.
 */
export async function selectBackend(prefer?: BackendName): Promise<BackendInfo> {
  const wanted = prefer ?? (process.env.OSLER_BACKEND as BackendName | undefined);
  const start = wanted !== undefined && ORDER.includes(wanted) ? ORDER.indexOf(wanted) : 0;
  const notes: string[] = [];
  for (const name of ORDER.slice(start)) {
    try {
      if (name === 'tensorflow') await tryTensorflow();
      if (name === 'wasm') await tryWasm();
      if (name === 'cpu') (await import('./kernels/index.js')).registerCpuKernels();
      if (!(await tf.setBackend(name))) throw new Error('backend refused to initialise');
      await tf.ready();
      return { name, ...(await describe(name)), notes };
    } catch (error) {
      notes.push(`${name === 'tensorflow' ? 'tfjs-node' : name}: ${firstLine(error)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${notes.join('; ')})`);
}

async function describe(name: BackendName): Promise<{ simd: boolean; threads: number }> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    return { simd, threads: wasm.getThreadsCount() };
  }
  if (name === 'tensorflow') {
    const os = await import('node:os');
    return { simd: false, threads: os.availableParallelism() };
  }
  return { simd: false, threads: 1 };
}
