import type { WireMessage } from './api.js';

/**
 * Browser-mode wire format. A message without binary data is plain JSON text. A message
 * carrying typed arrays (decoded frames, sample windows) is one binary WebSocket message, so
 * pixels are never JSON-encoded:
 *
 *   [u32 LE header length][header: UTF-8 JSON][pad to 8] [array 0][pad to 8] [array 1] ...
 *
 * In the header each typed array is replaced by `{ "$bin": index, "type": name, "offset": n,
 * "length": elements }`; offsets are from the start of the message and 8-byte aligned, so the
 * receiver wraps views over the one received buffer without copying.
 */

const TYPES = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypeName = keyof typeof TYPES;
type AnyTyped = InstanceType<(typeof TYPES)[TypeName]>;

const MARK = '$bin';

interface BinRef {
  readonly [MARK]: number;
  readonly type: TypeName;
  readonly offset: number;
  readonly length: number;
}

function typeName(view: ArrayBufferView): TypeName | null {
  for (const name of Object.keys(TYPES) as TypeName[]) if (view instanceof TYPES[name]) return name;
  return null;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Encodes a message: JSON text, or one binary buffer when it carries typed arrays. */
export function encodeWire(message: WireMessage): string | Uint8Array {
  const arrays: AnyTyped[] = [];
  const json = JSON.stringify(message, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const name = typeName(value);
      if (name === null) throw new Error('unsupported binary view in a contract message');
      arrays.push(value as AnyTyped);
      return { [MARK]: arrays.length - 1, type: name, offset: 0, length: (value as AnyTyped).length };
    }
    return value;
  });
  if (arrays.length === 0) return json;
  // Offsets depend on the header length, which depends on the offsets' digits: lay out with a
  // generous header estimate, then pad the real header to it.
  const provisional = new TextEncoder().encode(json);
  const headerSpace = align8(4 + provisional.length + 24 * arrays.length + 64);
  const offsets: number[] = [];
  let cursor = headerSpace;
  for (const a of arrays) {
    offsets.push(cursor);
    cursor = align8(cursor + a.byteLength);
  }
  const header = JSON.stringify(JSON.parse(json), (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && MARK in value) {
      const ref = value as BinRef;
      return { ...ref, offset: offsets[ref[MARK]] };
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  if (4 + headerBytes.length > headerSpace) throw new Error('wire header larger than its reserved space');
  const out = new Uint8Array(cursor);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]));
  return out;
}

/** Decodes what {@link encodeWire} produced (text or the received ArrayBuffer). */
export function decodeWire(data: string | ArrayBuffer): WireMessage {
  if (typeof data === 'string') return JSON.parse(data) as WireMessage;
  const view = new DataView(data);
  const headerLength = view.getUint32(0, true);
  const header = new TextDecoder().decode(new Uint8Array(data, 4, headerLength));
  return JSON.parse(header, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && MARK in value) {
      const ref = value as BinRef;
      const Type = TYPES[ref.type];
      if (!Type) throw new Error(`unknown binary type ${String(ref.type)}`);
      return new Type(data, ref.offset, ref.length);
    }
    return value;
  }) as WireMessage;
}
