import { TextDecoder } from 'node:util';

/**
 * Specific Character Set (0008,0005) decoding for text VRs: single-byte ISO 8859 sets, UTF-8, GB18030/GBK,
 * Shift_JIS (ISO_IR 13) and the ISO 2022 code extensions for Japanese, Korean and Chinese (escape
 * sequences switch the decoder within a value and reset at delimiters, PS3.5 6.1.2.5.3).
 */

const SINGLE_LABEL: Record<string, string> = {
  '': 'latin1', // default repertoire is ASCII; latin1 keeps stray high bytes visible rather than U+FFFD
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_166: 'windows-874',
  ISO_IR_13: 'shift_jis',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** G-set designations reachable by escape sequence: escape bytes after ESC -> decoder and byte handling. */
interface Designation {
  readonly label: string;
  /** 7-bit two-byte set (JIS X 0208/0212) that must be shifted into EUC-JP before decoding. */
  readonly jis?: 'x0208' | 'x0212';
}

const ESCAPES: Record<string, Designation> = {
  '(B': { label: 'latin1' },
  '(J': { label: 'latin1' },
  ')I': { label: 'shift_jis' },
  $B: { label: 'euc-jp', jis: 'x0208' },
  '$@': { label: 'euc-jp', jis: 'x0208' },
  '$(D': { label: 'euc-jp', jis: 'x0212' },
  '$)C': { label: 'euc-kr' },
  '$)A': { label: 'gb18030' },
  '-A': { label: 'latin1' },
  '-B': { label: 'iso-8859-2' },
  '-C': { label: 'iso-8859-3' },
  '-D': { label: 'iso-8859-4' },
  '-L': { label: 'iso-8859-5' },
  '-G': { label: 'iso-8859-6' },
  '-F': { label: 'iso-8859-7' },
  '-H': { label: 'iso-8859-8' },
  '-M': { label: 'iso-8859-9' },
  '-T': { label: 'windows-874' },
  '-b': { label: 'iso-8859-15' },
};

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

function normalizeTerm(term: string): string {
  return term
    .trim()
    .toUpperCase()
    .replace(/^ISO 2022 /, 'ISO_')
    .replace(/\s+/g, '_');
}

/** The decoder label for the first (default) character set term. */
function initialLabel(charsets: readonly string[]): string {
  const first = normalizeTerm(charsets[0] ?? '');
  return SINGLE_LABEL[first] ?? (first.startsWith('ISO_IR_') ? (SINGLE_LABEL[first] ?? 'latin1') : 'latin1');
}

/** True when any term asks for ISO 2022 code extensions. */
function usesExtensions(charsets: readonly string[]): boolean {
  return charsets.some((c) => c.trim().toUpperCase().startsWith('ISO 2022'));
}

const ESC = 0x1b;
/** Delimiters that reset the designation to the initial set: CR LF FF TAB, '\' and, for PN, '^' and '='. */
function isDelimiter(b: number, vr: string): boolean {
  return (
    b === 0x0d || b === 0x0a || b === 0x0c || b === 0x09 || b === 0x5c || (vr === 'PN' && (b === 0x5e || b === 0x3d))
  );
}

function decodeRun(bytes: Uint8Array, d: Designation): string {
  if (bytes.length === 0) return '';
  if (d.jis) {
    const out: number[] = [];
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      if (d.jis === 'x0212') out.push(0x8f);
      out.push(bytes[i]! | 0x80, bytes[i + 1]! | 0x80);
    }
    return decoder(d.label).decode(Uint8Array.from(out));
  }
  return decoder(d.label).decode(bytes);
}

/**
 * Decode a text value's bytes under the dataset's Specific Character Set terms (as listed in 0008,0005).
 * `vr` matters only for PN, whose component delimiters also reset ISO 2022 designations.
 */
export function decodeText(bytes: Uint8Array, charsets: readonly string[], vr = 'LO'): string {
  const initial: Designation = { label: initialLabel(charsets) };
  if (!usesExtensions(charsets) || !bytes.includes(ESC)) return decodeRun(bytes, initial);
  let out = '';
  let current = initial;
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === ESC) {
      out += decodeRun(bytes.subarray(start, i), current);
      let matched = false;
      for (const len of [3, 2]) {
        const seq = String.fromCharCode(...bytes.subarray(i + 1, i + 1 + len));
        const d = ESCAPES[seq];
        if (d) {
          current = d;
          i += 1 + len;
          matched = true;
          break;
        }
      }
      if (!matched) i += 1;
      start = i;
      continue;
    }
    if (isDelimiter(b, vr) && current !== initial && !current.jis) {
      out += decodeRun(bytes.subarray(start, i), current);
      current = initial;
      start = i;
    }
    i += 1;
  }
  return out + decodeRun(bytes.subarray(start), current);
}

/** True when the engine knows how to decode the given character set term. */
export function isKnownCharset(term: string): boolean {
  const n = normalizeTerm(term);
  if (n in SINGLE_LABEL) return true;
  return ['ISO_IR_87', 'ISO_IR_159', 'ISO_IR_149', 'ISO_IR_58'].includes(n) || n.startsWith('ISO_IR_1');
}
