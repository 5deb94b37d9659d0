import fc from 'fast-check';

/**
 * Damaged copies of an encoded frame: 1 to 8 bytes overwritten with random values, and in some cases the
 * frame cut short (to at least 2 bytes). For codec robustness properties with a fixed seed.
 */
export function corruptedCopies(encoded: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(encoded.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.integer({ min: 2, max: encoded.length }), { nil: undefined }),
    )
    .map(([edits, cut]) => {
      const bytes = new Uint8Array(encoded.subarray(0, cut ?? encoded.length));
      for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
      return bytes;
    });
}
