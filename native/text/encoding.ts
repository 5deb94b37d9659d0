import chardet from 'chardet';
import iconv from 'iconv-lite';

/** Encodings the notes importer reads. */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252' | 'iso-8859-1' | (string & {});

/** The encoding chosen for a file and why; reported to the user with every import. */
export interface EncodingChoice {
  readonly encoding: TextEncoding;
  /** Whether the file starts with a byte-order mark (it is skipped, never imported as text). */
  readonly bom: boolean;
  /** How it was decided: a BOM, a UTF-16 byte pattern, valid UTF-8, pure ASCII, chardet, or the caller. */
  readonly method: 'bom' | 'utf16-pattern' | 'utf8-valid' | 'ascii' | 'chardet' | 'forced';
  /** 0-100: how sure the detector is (100 for a BOM or strictly valid UTF-8). */
  readonly confidence: number;
}

/** Bytes of a file examined to choose its encoding. */
export const DETECT_SAMPLE_BYTES = 1 << 20;

function isUtf8(sample: Uint8Array, complete: boolean): boolean {
  let end = sample.length;
  if (!complete) {
    // Drop a multi-byte sequence cut by the end of the sample.
    let i = end - 1;
    while (i >= 0 && i > end - 4 && (sample[i]! & 0xc0) === 0x80) i--;
    if (i >= 0 && sample[i]! >= 0xc0) end = i;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

function utf16Pattern(sample: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(sample.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenZero++;
    if (sample[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  // Latin-script UTF-16 has a zero in the high byte of most code units and almost never in the low one.
  if (oddZero > pairs * 0.3 && evenZero < pairs * 0.05) return 'utf-16le';
  if (evenZero > pairs * 0.3 && oddZero < pairs * 0.05) return 'utf-16be';
  return null;
}

/**
 * Chooses the encoding of a text file from its first bytes: a BOM wins (UTF-8, UTF-16 LE/BE);
 * then a UTF-16 zero-byte pattern; then strict UTF-8 validity (pure ASCII reports `ascii` and
 * reads as UTF-8); otherwise chardet's best single-byte guess, where ISO-8859-1 is read as its
 * superset Windows-1252 (as browsers do: 0x80-0x9F are curly quotes and dashes in real files,
 * not control characters).
 * @param complete whether `sample` is the whole file (so a cut-off sequence at its end is an error).
 */
export function detectEncoding(sample: Uint8Array, complete: boolean): EncodingChoice {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf)
    return { encoding: 'utf-8', bom: true, method: 'bom', confidence: 100 };
  if (sample[0] === 0xff && sample[1] === 0xfe)
    return { encoding: 'utf-16le', bom: true, method: 'bom', confidence: 100 };
  if (sample[0] === 0xfe && sample[1] === 0xff)
    return { encoding: 'utf-16be', bom: true, method: 'bom', confidence: 100 };
  const utf16 = utf16Pattern(sample);
  if (utf16 !== null) return { encoding: utf16, bom: false, method: 'utf16-pattern', confidence: 90 };
  if (sample.every((b) => b < 0x80)) return { encoding: 'utf-8', bom: false, method: 'ascii', confidence: 100 };
  if (isUtf8(sample, complete)) return { encoding: 'utf-8', bom: false, method: 'utf8-valid', confidence: 100 };
  const matches = chardet.analyse(sample);
  const best = matches.find((m) => iconv.encodingExists(m.name) && !/^UTF-(8|16|32)/i.test(m.name));
  if (best === undefined || /^ISO-8859-1$/i.test(best.name) || /^windows-1252$/i.test(best.name))
    return { encoding: 'windows-1252', bom: false, method: 'chardet', confidence: best?.confidence ?? 0 };
  return { encoding: best.name.toLowerCase(), bom: false, method: 'chardet', confidence: best.confidence };
}

/** Normalises a user-given encoding name (`latin1`, `UTF16LE`, `cp1252` ...) or returns null if unknown. */
export function normaliseEncoding(name: string): TextEncoding | null {
  const n = name.trim().toLowerCase().replace(/_/g, '-');
  if (!iconv.encodingExists(n)) return null;
  if (/^utf-?8$/.test(n)) return 'utf-8';
  if (/^utf-?16-?le$|^ucs-?2$/.test(n)) return 'utf-16le';
  if (/^utf-?16-?be$/.test(n)) return 'utf-16be';
  if (/^(cp-?1252|windows-?1252)$/.test(n)) return 'windows-1252';
  if (/^(latin-?1|iso-?8859-?1|l1)$/.test(n)) return 'iso-8859-1';
  return n;
}

/** A streaming decoder for `encoding` that drops a leading BOM. */
export function decoderStream(encoding: TextEncoding): NodeJS.ReadWriteStream {
  return iconv.decodeStream(encoding, { stripBOM: true });
}

/** Decodes a whole buffer (a small file), dropping a leading BOM. */
export function decodeBuffer(buffer: Uint8Array, encoding: TextEncoding): string {
  return iconv.decode(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength), encoding, { stripBOM: true });
}
