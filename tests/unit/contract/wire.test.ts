import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, type WireMessage } from '../../../native/contract/index.js';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('browser-mode wire format', () => {
  it('sends messages without binary data as JSON text', () => {
    const message: WireMessage = { kind: 'result', id: 3, result: { ok: true, value: { a: [1, 'x', null] } } };
    const encoded = encodeWire(message);
    expect(typeof encoded).toBe('string');
    expect(decodeWire(encoded as string)).toEqual(message);
  });

  it('sends typed arrays as aligned binary, restoring type and values', () => {
    const pixels = Int16Array.from({ length: 7 }, (_, i) => i * -1000);
    const rgba = Uint8Array.from([1, 2, 3]);
    const f = Float32Array.from([0.5, -2.25]);
    const message: WireMessage = {
      kind: 'result',
      id: 9,
      result: { ok: true, value: { pixels, nested: { rgba, list: [f] }, rows: 1 } },
    };
    const encoded = encodeWire(message);
    expect(encoded).toBeInstanceOf(Uint8Array);
    const decoded = decodeWire(toArrayBuffer(encoded as Uint8Array)) as { result: { value: Record<string, never> } };
    const value = decoded.result.value as unknown as {
      pixels: Int16Array;
      nested: { rgba: Uint8Array; list: Float32Array[] };
      rows: number;
    };
    expect(value.pixels).toBeInstanceOf(Int16Array);
    expect([...value.pixels]).toEqual([...pixels]);
    expect(value.pixels.byteOffset % 8).toBe(0);
    expect([...value.nested.rgba]).toEqual([1, 2, 3]);
    expect(value.nested.list[0]).toBeInstanceOf(Float32Array);
    expect([...value.nested.list[0]!]).toEqual([0.5, -2.25]);
    expect(value.rows).toBe(1);
  });

  it('round-trips arbitrary arrays of every supported type', () => {
    const makers = [
      (n: number[]) => Uint8Array.from(n),
      (n: number[]) => Int16Array.from(n),
      (n: number[]) => Uint16Array.from(n),
      (n: number[]) => Int32Array.from(n),
      (n: number[]) => Float32Array.from(n),
      (n: number[]) => Float64Array.from(n),
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(makers.length - 1), fc.array(fc.integer({ min: -30000, max: 30000 }), { maxLength: 300 })),
          { minLength: 1, maxLength: 6 },
        ),
        (specs) => {
          const arrays = specs.map(([k, values]) => makers[k]!(values));
          const encoded = encodeWire({ kind: 'event', event: 'x', payload: { arrays } });
          const decoded = decodeWire(toArrayBuffer(encoded as Uint8Array)) as {
            payload: { arrays: ArrayLike<number>[] };
          };
          decoded.payload.arrays.forEach((a, i) => {
            expect(a.constructor).toBe(arrays[i]!.constructor);
            expect(Array.from(a)).toEqual(Array.from(arrays[i]!));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
