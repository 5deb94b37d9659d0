import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OslerError } from '../../contract/result.js';
import { BUNDLE_FILES } from '../bundle.js';
import { writeDurably } from '../../runtime/durable.js';

/** IEEE 754 half-precision bits of a float32 value (round to nearest even, overflow to infinity). */
function toHalf(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  e = half + (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? 1 : 0);
  return sign | e;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

/**
 * Rewrites a bundle's float32 weights quantized (float16, or uint8 with a per-tensor affine min and
 * scale) and records the quantization in model.json's manifest, the format tfjs's loaders read.
 */
export function quantizeBundle(dir: string, dtype: 'float16' | 'uint8'): void {
  const modelPath = join(dir, BUNDLE_FILES.model);
  const model = JSON.parse(readFileSync(modelPath, 'utf8')) as {
    weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  };
  const group = model.weightsManifest[0];
  if (group === undefined || model.weightsManifest.length !== 1 || group.paths.length !== 1)
    throw new OslerError('invalid-input', 'quantized export needs a single-file weights manifest');
  const raw = readFileSync(join(dir, group.paths[0]!));
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const w of group.weights) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (w.quantization !== undefined) throw new OslerError('invalid-input', 'the model is already quantized');
    const bytesPer = w.dtype === 'float32' || w.dtype === 'int32' ? 4 : 1;
    const chunk = raw.subarray(offset, offset + count * bytesPer);
    offset += count * bytesPer;
    if (w.dtype !== 'float32') {
      parts.push(new Uint8Array(chunk));
      continue;
    }
    const values = new Float32Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
    if (dtype === 'float16') {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = toHalf(values[i]!);
      parts.push(new Uint8Array(out.buffer));
      w.quantization = { dtype: 'float16' };
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      if (count === 0) min = max = 0;
      const scale = max > min ? (max - min) / 255 : 1;
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.round((values[i]! - min) / scale);
      parts.push(out);
      w.quantization = { dtype: 'uint8', min, scale };
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  writeDurably(join(dir, group.paths[0]!), joined);
  writeDurably(modelPath, new TextEncoder().encode(JSON.stringify(model)));
}
