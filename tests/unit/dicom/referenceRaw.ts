import { readFileSync } from 'node:fs';

/** reference.py's dtype names (numpy's, without byte order) to the typed array that reads its .raw output. */
export const REFERENCE_DTYPE: Record<string, new (b: ArrayBuffer) => ArrayLike<number>> = {
  u1: Uint8Array,
  i1: Int8Array,
  u2: Uint16Array,
  i2: Int16Array,
  u4: Uint32Array,
  i4: Int32Array,
  f4: Float32Array,
  f8: Float64Array,
};

/** A .raw file reference.py wrote (little endian, as this machine), as values of its dtype; undefined for an unknown dtype. */
export function readReferenceRaw(path: string, dtype: string): ArrayLike<number> | undefined {
  const Type = REFERENCE_DTYPE[dtype];
  if (Type === undefined) return undefined;
  const buf = readFileSync(path);
  return new Type(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}
