import type { TokenScore } from './segments.js';

/** A model as `models.list` describes it (the fields note triage needs). */
export interface ModelChoice {
  readonly name: string;
  readonly title: string;
  readonly outputs: readonly string[];
  readonly activeVersionId: number | null;
}

/** One class of a prediction: its model name, the label value it is stored as, its probability. */
export interface ClassOption {
  readonly name: string;
  /** The label value this class is stored as (the task's code, e.g. `"3"`, else the class name). */
  readonly value: string;
  readonly probability: number;
}

/**
 * The model that serves a label task: among models with an active version, the one whose name
 * contains the task (`abstract-condition` for `condition`), else the one whose label codes or
 * class names cover the task's known classes, else the only one. Null when none fits.
 */
export function pickModel<M extends ModelChoice>(
  models: readonly M[],
  task: string,
  classes: readonly string[],
  codesOf: (name: string) => readonly string[] = () => [],
): M | null {
  const live = models.filter((m) => m.activeVersionId !== null);
  const byName = live.find((m) => m.name === task || m.name.split('-').includes(task));
  if (byName) return byName;
  const known = new Set(classes);
  const covering = live.find((m) => {
    const values = new Set([...codesOf(m.name), ...m.outputs]);
    return known.size > 0 && [...known].every((c) => values.has(c));
  });
  return covering ?? (live.length === 1 ? live[0]! : null);
}

/**
 * The classes of a prediction, most probable first, each with the label value it is stored as:
 * the recorded label code of that class index when the model has codes, else the class name.
 */
export function classOptions(
  outputs: readonly string[],
  probabilities: readonly number[],
  labelCodes: readonly string[] = [],
): ClassOption[] {
  return outputs
    .map((name, i) => ({ name, value: labelCodes[i]?.trim() || name, probability: probabilities[i] ?? 0 }))
    .sort((a, b) => b.probability - a.probability);
}

/** Names of the task's label values, from a model's codes: `{ "3": "nervous system diseases" }`. */
export function valueNames(outputs: readonly string[], labelCodes: readonly string[]): Record<string, string> {
  const names: Record<string, string> = {};
  outputs.forEach((name, i) => {
    const code = labelCodes[i]?.trim();
    if (code && code !== name) names[code] = name;
  });
  return names;
}

/** The label codes a bundle's metadata records (`input.options.labelCodes`), or none. */
export function labelCodesOf(metadata: Readonly<Record<string, unknown>>): string[] {
  const input = metadata.input as { options?: { labelCodes?: unknown } } | undefined;
  const codes = input?.options?.labelCodes;
  return Array.isArray(codes) ? codes.map(String) : [];
}

/**
 * Token attributions scaled to [-1, 1] by the largest magnitude, so the colour scale spans the
 * note's own evidence; tokens with no weight (below `floor` of the largest) are left uncoloured.
 */
export function scaleAttributions(tokens: readonly TokenScore[], floor = 0.05): TokenScore[] {
  const max = tokens.reduce((m, t) => Math.max(m, Math.abs(t.score)), 0);
  if (!(max > 0) || !Number.isFinite(max)) return [];
  return tokens
    .map((t) => ({ start: t.start, end: t.end, score: t.score / max }))
    .filter((t) => Math.abs(t.score) >= floor);
}

/** The words that pushed hardest toward the predicted class, strongest first. */
export function topWords(text: string, tokens: readonly TokenScore[], count = 5): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of [...tokens].sort((a, b) => b.score - a.score)) {
    if (t.score <= 0 || out.length >= count) break;
    const word = text.slice(t.start, t.end).toLowerCase();
    if (!seen.has(word)) {
      seen.add(word);
      out.push(word);
    }
  }
  return out;
}
