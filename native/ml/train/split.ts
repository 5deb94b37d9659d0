import { seededRandom, shuffledIndices } from '../random.js';

/** Item indices of a train/validation split. */
export interface Split {
  readonly train: number[];
  readonly validation: number[];
}

/**
 * Splits items by patient: every patient's items land on one side only, so a model is never
 * validated on a patient it trained on. Stratified: patients are grouped by their most frequent
 * label and each group contributes `fraction` of its patients (at least one when the group has two
 * or more) to validation. Deterministic for a seed.
 */
export function splitByPatient(
  patientIds: readonly string[],
  labels: ArrayLike<number> | null,
  fraction: number,
  seed: number,
): Split {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validation fraction ${fraction} must be in (0, 1)`);
  const itemsOf = new Map<string, number[]>();
  patientIds.forEach((p, i) => {
    const list = itemsOf.get(p);
    if (list === undefined) itemsOf.set(p, [i]);
    else list.push(i);
  });
  const patients = [...itemsOf.keys()].sort();
  const stratumOf = (p: string): number => {
    if (labels === null) return 0;
    const counts = new Map<number, number>();
    for (const i of itemsOf.get(p)!) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    let best = -1;
    let bestCount = -1;
    for (const [label, c] of [...counts].sort((a, b) => a[0] - b[0]))
      if (c > bestCount) {
        best = label;
        bestCount = c;
      }
    return best;
  };
  const strata = new Map<number, string[]>();
  for (const p of patients) {
    const s = stratumOf(p);
    const list = strata.get(s);
    if (list === undefined) strata.set(s, [p]);
    else list.push(p);
  }
  const random = seededRandom(seed);
  const validationPatients = new Set<string>();
  for (const s of [...strata.keys()].sort((a, b) => a - b)) {
    const group = strata.get(s)!;
    const order = shuffledIndices(group.length, random);
    const take = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * fraction));
    for (let k = 0; k < take; k++) validationPatients.add(group[order[k]!]!);
  }
  const train: number[] = [];
  const validation: number[] = [];
  patientIds.forEach((p, i) => (validationPatients.has(p) ? validation : train).push(i));
  return { train, validation };
}

/**
 * A class-stratified fold for each of `rows`: within each class the rows are shuffled (class c with
 * `seededRandom(seed + c)`) and dealt round-robin to `folds` folds. Returns the fold of every row
 * index, -1 for indices not in `rows`. Deterministic for a seed.
 */
export function stratifiedFolds(
  labels: ArrayLike<number>,
  rows: readonly number[],
  folds: number,
  seed: number,
): Int32Array {
  const fold = new Int32Array(labels.length).fill(-1);
  let classes = 0;
  for (const i of rows) classes = Math.max(classes, labels[i]! + 1);
  for (let c = 0; c < classes; c++) {
    const members = rows.filter((i) => labels[i] === c);
    shuffledIndices(members.length, seededRandom(seed + c)).forEach((r, j) => (fold[members[r]!] = j % folds));
  }
  return fold;
}
