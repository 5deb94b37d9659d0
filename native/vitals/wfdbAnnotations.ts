import { WfdbError } from './wfdbHeader.js';

/** WFDB annotation mnemonics by code (ecgcodes.h); index = code. */
const SYMBOLS = [
  ' ',
  'N',
  'L',
  'R',
  'a',
  'V',
  'F',
  'J',
  'A',
  'S',
  'E',
  'j',
  '/',
  'Q',
  '~',
  '[15]',
  '|',
  '[17]',
  's',
  'T',
  '*',
  'D',
  '"',
  '=',
  'p',
  'B',
  '^',
  't',
  '+',
  'u',
  '?',
  '!',
  '[',
  ']',
  'e',
  'n',
  '@',
  'x',
  'f',
  '(',
  ')',
  'r',
];

/** Codes that mark a heart beat (WFDB's `isqrs`): N L R a V F J A S E j / Q B ? e n f r. */
export const BEAT_CODES: ReadonlySet<number> = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38, 41,
]);

/** The mnemonic of an annotation code. */
export function annotationSymbol(code: number): string {
  return SYMBOLS[code] ?? `[${code}]`;
}

/** One annotation read from a WFDB (MIT format) annotation file. */
export interface WfdbAnnotation {
  /** Frame number. */
  readonly sample: number;
  readonly code: number;
  readonly symbol: string;
  readonly sub: number;
  readonly chan: number;
  readonly num: number;
  /** Auxiliary text (rhythm labels such as `(AFIB`), or null. */
  readonly aux: string | null;
}

const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;

/**
 * Parses an MIT-format annotation file: 16-bit little-endian words of a 6-bit code and a 10-bit
 * time step, with SKIP (32-bit step), NUM, SUB, CHN and AUX pseudo-codes modifying the
 * annotation they follow (SKIP: precede). Like WFDB, `chan` and `num` carry over from the
 * previous annotation. `file` names the file in error messages.
 */
export function parseWfdbAnnotations(bytes: Uint8Array, file: string): WfdbAnnotation[] {
  const out: Array<{ sample: number; code: number; sub: number; chan: number; num: number; aux: string | null }> = [];
  let time = 0;
  let chan = 0;
  let num = 0;
  let p = 0;
  const word = (at: number) => bytes[at]! | (bytes[at + 1]! << 8);
  while (p + 1 < bytes.length) {
    const w = word(p);
    p += 2;
    if (w === 0) break;
    const code = w >> 10;
    const low = w & 0x3ff;
    const last = out.at(-1);
    switch (code) {
      case SKIP: {
        if (p + 3 >= bytes.length) throw new WfdbError(file, `SKIP at byte ${p - 2} is cut off`);
        // PDP-11 order: high 16-bit word first, each word little-endian.
        const interval = (word(p) << 16) | word(p + 2) | 0;
        time += interval;
        p += 4;
        break;
      }
      case NUM:
        if (last === undefined) throw new WfdbError(file, `NUM at byte ${p - 2} precedes any annotation`);
        last.num = num = (low << 22) >> 22;
        break;
      case SUB:
        if (last === undefined) throw new WfdbError(file, `SUB at byte ${p - 2} precedes any annotation`);
        last.sub = (low << 22) >> 22;
        break;
      case CHN:
        if (last === undefined) throw new WfdbError(file, `CHN at byte ${p - 2} precedes any annotation`);
        last.chan = chan = low;
        break;
      case AUX: {
        if (p + low > bytes.length) throw new WfdbError(file, `AUX at byte ${p - 2} runs past the end of the file`);
        const text = new TextDecoder('latin1').decode(bytes.subarray(p, p + low)).replace(/\0+$/, '');
        if (last !== undefined) last.aux = text;
        p += low + (low & 1);
        break;
      }
      default:
        if (code > 49 && code < SKIP) throw new WfdbError(file, `unknown annotation code ${code} at byte ${p - 2}`);
        time += low;
        out.push({ sample: time, code, sub: 0, chan, num, aux: null });
    }
  }
  return out.map((a) => ({ ...a, symbol: annotationSymbol(a.code) }));
}
