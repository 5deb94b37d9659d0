/** Reserved ids: padding, unknown word, any number. */
export const PAD_ID = 0;
/** Id of words outside the vocabulary. */
export const UNK_ID = 1;
/** Id every number maps to (dosages, ages and dates carry little class signal and explode the vocabulary). */
export const NUM_ID = 2;
const RESERVED = ['<pad>', '<unk>', '<num>'] as const;

/** How notes become fixed-length id sequences; stored in the model's metadata. */
export interface TextEncoding {
  readonly version: 1;
  /** Index = id. Starts with `<pad>`, `<unk>`, `<num>`. */
  readonly vocabulary: readonly string[];
  readonly sequenceLength: number;
  /** Notes longer than `sequenceLength` keep their first tokens. */
  readonly truncation: 'keep-start';
  /** Short notes are padded at the start, so the recurrent layer's last steps see real words. */
  readonly padding: 'pre';
  readonly lowercase: true;
}

const TOKEN = /\p{N}+(?:[.,:/]\p{N}+)*|[\p{L}\p{M}]+(?:['’][\p{L}]+)?/gu;

/**
 * Splits a note into tokens: NFKC, lower case, words (letters, with an inner apostrophe) and
 * numbers (with decimal/ratio/date separators, as one `<num>` token); punctuation and symbols
 * are dropped.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(TOKEN))
    out.push(/^\p{N}/u.test(m[0]) ? RESERVED[NUM_ID] : m[0]);
  return out;
}

/**
 * Builds the vocabulary from training notes only: words seen at least `minCount` times, most
 * frequent first (ties alphabetical, so the same notes always give the same ids), at most
 * `maxSize` entries including the reserved ones.
 */
export function buildEncoding(
  notes: Iterable<string>,
  options: { sequenceLength: number; maxSize?: number; minCount?: number },
): TextEncoding {
  const { sequenceLength, maxSize = 20_000, minCount = 2 } = options;
  const counts = new Map<string, number>();
  for (const note of notes)
    for (const t of tokenize(note)) if (t !== RESERVED[NUM_ID]) counts.set(t, (counts.get(t) ?? 0) + 1);
  const words = [...counts]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, Math.max(0, maxSize - RESERVED.length))
    .map(([w]) => w);
  return {
    version: 1,
    vocabulary: [...RESERVED, ...words],
    sequenceLength,
    truncation: 'keep-start',
    padding: 'pre',
    lowercase: true,
  };
}

/** A note encoded for the model, with the token shown at each position (null where padding). */
export interface EncodedNote {
  readonly ids: Int32Array;
  readonly tokens: readonly (string | null)[];
}

const lookups = new WeakMap<TextEncoding, Map<string, number>>();

function lookup(encoding: TextEncoding): Map<string, number> {
  let map = lookups.get(encoding);
  if (map === undefined) {
    map = new Map(encoding.vocabulary.map((w, i) => [w, i]));
    lookups.set(encoding, map);
  }
  return map;
}

/** Encodes one note: ids (unknown words -> `<unk>`), truncated and pre-padded to `sequenceLength`. */
export function encodeNote(encoding: TextEncoding, text: string): EncodedNote {
  const map = lookup(encoding);
  const tokens = tokenize(text).slice(0, encoding.sequenceLength);
  const ids = new Int32Array(encoding.sequenceLength);
  const shown: (string | null)[] = new Array<string | null>(encoding.sequenceLength).fill(null);
  const offset = encoding.sequenceLength - tokens.length;
  tokens.forEach((t, i) => {
    ids[offset + i] = map.get(t) ?? UNK_ID;
    shown[offset + i] = t;
  });
  return { ids, tokens: shown };
}

/** Encodes many notes into one row-major [n, sequenceLength] id matrix. */
export function encodeNotes(encoding: TextEncoding, texts: readonly string[]): Int32Array {
  const out = new Int32Array(texts.length * encoding.sequenceLength);
  texts.forEach((t, i) => out.set(encodeNote(encoding, t).ids, i * encoding.sequenceLength));
  return out;
}
