import { type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { callWasmKernel, release, type WasmBackend } from './wasmBackend.js';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
}

/**
 * Wraps tfjs-backend-wasm's BatchMatMul so it always runs untransposed: its XNNPACK path is taken
 * only then, and a transposed operand falls to a loop 4-7x slower even after paying for an explicit
 * transpose (measured at LSTM sizes, [32,64]x[64,256]). Every dense/recurrent gradient transposes.
 */
export function untransposedBatchMatMul(original: KernelConfig): KernelConfig {
  const inner = original.kernelFunc;
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: WasmBackend;
    attrs: BatchMatMulAttrs;
  }) => {
    const { backend, attrs } = args;
    let { a, b } = args.inputs;
    const temporaries: TensorInfo[] = [];
    if (attrs.transposeA && a.dtype === 'float32') {
      a = callWasmKernel(backend, 'Transpose', { x: a }, { perm: swapLastTwo(a.shape.length) });
      temporaries.push(a);
    }
    if (attrs.transposeB && b.dtype === 'float32') {
      b = callWasmKernel(backend, 'Transpose', { x: b }, { perm: swapLastTwo(b.shape.length) });
      temporaries.push(b);
    }
    const transposeA = attrs.transposeA && !temporaries.includes(a);
    const transposeB = attrs.transposeB && !temporaries.includes(b);
    try {
      return inner({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA, transposeB } } as never);
    } finally {
      for (const t of temporaries) release(backend, t);
    }
  };
  // The stock config with only the kernel function replaced: its setup (binding the wasm function)
  // still runs when the backend initialises.
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}
