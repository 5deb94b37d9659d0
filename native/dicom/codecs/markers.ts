/** Frame header of a JPEG family codestream (JPEG SOFn or JPEG-LS SOF55). */
export interface JpegFrameHeader {
  readonly marker: number;
  readonly precision: number;
  readonly rows: number;
  readonly columns: number;
  readonly components: number;
}

/**
 * Find the SOF segment of a JPEG / JPEG-LS stream without decoding, so sizes can be checked against the
 * DICOM header before any codec allocates. Undefined when the stream has no SOI or no frame header.
 */
export function readJpegFrameHeader(bytes: Uint8Array): JpegFrameHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p += 1;
      continue;
    }
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    const isSof =
      (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isSof) {
      if (p + 10 > bytes.length) return undefined;
      return {
        marker,
        precision: bytes[p + 4]!,
        rows: (bytes[p + 5]! << 8) | bytes[p + 6]!,
        columns: (bytes[p + 7]! << 8) | bytes[p + 8]!,
        components: bytes[p + 9]!,
      };
    }
    if (marker === 0xda || len < 2) return undefined;
    p += 2 + len;
  }
  return undefined;
}

/** Size fields of a JPEG 2000 codestream's SIZ segment (after SOC), or undefined when absent. */
export function readJ2kSize(bytes: Uint8Array): { columns: number; rows: number; components: number } | undefined {
  let p = 0;
  // A JP2 file wrapper may precede the codestream; find SOC+SIZ.
  const limit = Math.min(bytes.length - 4, 4096);
  while (p < limit && !(bytes[p] === 0xff && bytes[p + 1] === 0x4f && bytes[p + 2] === 0xff && bytes[p + 3] === 0x51))
    p++;
  if (p >= limit || p + 42 > bytes.length) return undefined;
  const r32 = (o: number) => ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
  const siz = p + 4;
  const xsiz = r32(siz + 4);
  const ysiz = r32(siz + 8);
  const xo = r32(siz + 12);
  const yo = r32(siz + 16);
  const components = (bytes[siz + 36]! << 8) | bytes[siz + 37]!;
  return { columns: xsiz - xo, rows: ysiz - yo, components };
}
