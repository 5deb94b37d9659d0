/** A [start, end) range of UTF-16 offsets in a note's text. */
export type Span = readonly [number, number];

/** A per-token model score over a range of the text (attribution), in [-1, 1]. */
export interface TokenScore {
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/** A run of text with the same marks. */
export interface Segment {
  readonly text: string;
  readonly start: number;
  /** Inside a search hit. */
  readonly hit: boolean;
  /** Attribution of the token covering the run, or null (no prediction, or not covered). */
  readonly score: number | null;
}

/**
 * Cuts `text` into runs at every boundary of a search hit or a scored token, so the view can
 * highlight hits and colour attributions independently (a hit inside a scored token keeps both).
 * Out-of-range and empty spans are ignored; overlapping spans merge.
 */
export function segmentText(text: string, hits: readonly Span[], scores: readonly TokenScore[] = []): Segment[] {
  const n = text.length;
  const cuts = new Set<number>([0, n]);
  const clean = (s: number, e: number): Span | null => {
    const a = Math.max(0, Math.min(n, s));
    const b = Math.max(0, Math.min(n, e));
    return b > a ? [a, b] : null;
  };
  const hitSpans = hits.map(([s, e]) => clean(s, e)).filter((s): s is Span => s !== null);
  const scoreSpans = scores
    .map((t) => ({ span: clean(t.start, t.end), score: t.score }))
    .filter((t): t is { span: Span; score: number } => t.span !== null);
  for (const [s, e] of hitSpans) cuts.add(s).add(e);
  for (const { span } of scoreSpans) cuts.add(span[0]).add(span[1]);
  const points = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    const hit = hitSpans.some(([s, e]) => s <= start && end <= e);
    const covering = scoreSpans.find(({ span }) => span[0] <= start && end <= span[1]);
    const score = covering ? covering.score : null;
    const prev = out[out.length - 1];
    if (prev && prev.hit === hit && prev.score === score)
      out[out.length - 1] = { ...prev, text: prev.text + text.slice(start, end) };
    else out.push({ text: text.slice(start, end), start, hit, score });
  }
  return out;
}

/**
 * Cuts a snippet so its first highlight starts about `leadChars` in, with an ellipsis for what
 * was dropped, so the match shows even in a one-line cell. Highlights are shifted to match.
 */
export function focusSnippet(
  text: string,
  highlights: readonly Span[],
  leadChars = 24,
): { text: string; highlights: Span[] } {
  const first = highlights.reduce((m, [s]) => Math.min(m, s), Infinity);
  if (!Number.isFinite(first) || first <= leadChars + 1) return { text, highlights: [...highlights] };
  // Start at a word boundary so the cut does not split a word.
  let from = first - leadChars;
  const space = text.indexOf(' ', from);
  if (space >= 0 && space < first) from = space + 1;
  const shift = from - 1;
  return {
    text: `…${text.slice(from)}`,
    highlights: highlights.filter(([, e]) => e > from).map(([s, e]) => [Math.max(1, s - shift), e - shift] as const),
  };
}
