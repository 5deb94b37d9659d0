/**
 * Label values versus model classes: a model may record the codes its training labels used
 * (`input.options.labelCodes`, e.g. the abstracts' 1..5 for five conditions); labels are then
 * written and counted by code, and shown by class name.
 */

/** The label codes a model's metadata records, one per output, or null. */
export function labelCodesOf(metadata: Readonly<Record<string, unknown>>): string[] | null {
  const input = metadata.input as { options?: { labelCodes?: unknown } } | undefined;
  const codes = input?.options?.labelCodes;
  return Array.isArray(codes) && codes.every((c) => typeof c === 'string' || typeof c === 'number')
    ? codes.map((c) => String(c).trim())
    : null;
}

/** The class a stored label value means (by code, else by name, any case), or null. */
export function classOfValue(
  outputs: readonly string[],
  codes: readonly string[] | null,
  value: string,
): string | null {
  const v = value.trim();
  const byCode = codes?.indexOf(v) ?? -1;
  if (byCode >= 0) return outputs[byCode] ?? null;
  return outputs.find((c) => c.toLowerCase() === v.toLowerCase()) ?? null;
}

/** The label value to store for a class: its code when the model records codes, else its name. */
export function valueForClass(outputs: readonly string[], codes: readonly string[] | null, className: string): string {
  const i = outputs.indexOf(className);
  return codes !== null && i >= 0 && codes[i] !== undefined ? codes[i]! : className;
}

/** The case-store target kind a model of this task labels. */
export function targetKindOf(task: string): 'note' | 'series' | 'recording' {
  return task === 'text' ? 'note' : task === 'image' ? 'series' : 'recording';
}

/** Current labels per source (human / imported / model-accepted). */
export interface SourceCounts {
  human: number;
  imported: number;
  'model-accepted': number;
}

/** One class's label counts. */
export interface ClassCount {
  name: string;
  count: number;
  known: boolean;
  sources: SourceCounts;
  /** Labels written since the active version was made. */
  newSince: number;
}

/** Label counts per model class; values that match no class are counted under their own value. */
export function countsByClass(
  outputs: readonly string[],
  codes: readonly string[] | null,
  rows: readonly { value: string; count: number; sources?: SourceCounts; newSince?: number }[],
): ClassCount[] {
  const empty = (known: boolean): Omit<ClassCount, 'name'> => ({
    count: 0,
    known,
    sources: { human: 0, imported: 0, 'model-accepted': 0 },
    newSince: 0,
  });
  const counts = new Map<string, Omit<ClassCount, 'name'>>(outputs.map((o) => [o, empty(true)]));
  for (const row of rows) {
    const cls = classOfValue(outputs, codes, row.value);
    const key = cls ?? row.value;
    const entry = counts.get(key) ?? empty(cls !== null);
    entry.count += row.count;
    entry.newSince += row.newSince ?? 0;
    if (row.sources)
      for (const s of ['human', 'imported', 'model-accepted'] as const) entry.sources[s] += row.sources[s];
    counts.set(key, entry);
  }
  return [...counts].map(([name, e]) => ({ name, ...e }));
}
