import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../native/ml/backend.js';
import { seededRandom } from '../../../native/ml/random.js';

/** Initialises wasm (with Osler's extra kernels) and cpu in this process; wasm stays current. */
export async function bothBackends(): Promise<void> {
  const info = await selectBackend('wasm');
  if (info.name !== 'wasm') throw new Error(`wasm backend unavailable: ${info.notes.join('; ')}`);
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
}

/** Runs `fn` on `backend` and returns the values of the tensors it produced, disposing them. */
export async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const values = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
    return values.map((v) => Float32Array.from(v));
  } finally {
    await tf.setBackend(previous);
  }
}

/** Largest absolute difference, scaled by max(1, |reference|) elementwise. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

/** A small seeded PRNG (the engine's mulberry32) so failures reproduce. */
export const rng = seededRandom;

/** `n` seeded uniform values in [-1, 1). */
export function randomValues(n: number, next: () => number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = next() * 2 - 1;
  return v;
}
