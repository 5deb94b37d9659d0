import type { ChannelOutput } from '../../../native/contract/channels.js';

/** One recording annotation as `vitals.get` returns it. */
export type Annotation = ChannelOutput<'vitals.get'>['annotations'][number];

/** WFDB annotation codes that mark a beat (WFDB's `isqrs` table: N L R a V F J A S E j / Q B r e n f ?). */
const BEAT_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38]);
/** WFDB code of a rhythm change, whose `aux` names the new rhythm, e.g. `(AFIB`. */
const RHYTHM = 28;

/** Whether an annotation marks a beat. */
export function isBeat(a: Pick<Annotation, 'code'>): boolean {
  return BEAT_CODES.has(a.code);
}

/** A mark on the ECG strip. */
export interface Mark {
  readonly tMs: number;
  readonly text: string;
  readonly kind: 'beat' | 'rhythm';
  /** Normal beats are drawn quietly; anything else stands out. */
  readonly abnormal: boolean;
}

/** The annotators present, the reference (`atr`) first. */
export function annotatorsOf(annotations: readonly Pick<Annotation, 'source'>[]): string[] {
  const names = [...new Set(annotations.map((a) => a.source))];
  return names.sort((a, b) => (a === 'atr' ? -1 : b === 'atr' ? 1 : a.localeCompare(b)));
}

/** Beat and rhythm marks of one annotator. */
export function marksOf(annotations: readonly Annotation[], source: string | null): Mark[] {
  const marks: Mark[] = [];
  for (const a of annotations) {
    if (source !== null && a.source !== source) continue;
    if (isBeat(a)) marks.push({ tMs: a.tMs, text: a.symbol, kind: 'beat', abnormal: a.symbol !== 'N' });
    else if (a.code === RHYTHM && a.aux)
      marks.push({ tMs: a.tMs, text: a.aux.replace(/\0/g, ''), kind: 'rhythm', abnormal: false });
  }
  return marks;
}

/** Beats per symbol, commonest first. */
export function beatCounts(marks: readonly Mark[]): Array<{ symbol: string; count: number }> {
  const counts = new Map<string, number>();
  for (const m of marks) if (m.kind === 'beat') counts.set(m.text, (counts.get(m.text) ?? 0) + 1);
  return [...counts]
    .map(([symbol, count]) => ({ symbol, count }))
    .sort((a, b) => b.count - a.count || a.symbol.localeCompare(b.symbol));
}
