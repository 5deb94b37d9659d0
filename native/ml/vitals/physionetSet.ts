import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OslerError } from '../../contract/result.js';
import { parseOutcomes, parseStay, type Stay } from '../../vitals/physionet2012.js';
import { seededRandom, shuffledIndices } from '../random.js';

/** Where a PhysioNet-2012-layout data set lives: the records folder and its outcomes file. */
export interface PhysioNetLayout {
  /** `set-*` folder of `<RecordID>.txt` files. */
  readonly setDir: string;
  /** `Outcomes-*.txt` beside it, when present. */
  readonly outcomesFile: string | null;
}

/** A PhysioNet 2012 set read from disk. */
export interface PhysioNetSet {
  /** Stays sorted by file name (RecordID). */
  readonly stays: readonly Stay[];
  /** RecordID -> outcome labels (task name -> value, e.g. `in-hospital-death` -> `1`). */
  readonly outcomes: ReadonlyMap<string, Readonly<Record<string, string>>> | null;
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds the records folder and outcomes file of a PhysioNet-2012-layout path: either the root
 * (one `set-*` folder with `Outcomes-*.txt` beside it) or the `set-*` folder itself.
 */
export function findPhysioNetLayout(path: string): PhysioNetLayout {
  const root = resolve(path);
  if (!isDir(root)) throw new OslerError('not-found', `no folder at ${basename(root)}`);
  const outcomesFor = (dir: string, setName: string): string | null => {
    const suffix = /^set-(.+)$/.exec(setName)?.[1];
    const exact = suffix !== undefined ? join(dir, `Outcomes-${suffix}.txt`) : null;
    if (exact !== null && existsSync(exact)) return exact;
    const any = readdirSync(dir).filter((f) => /^Outcomes.*\.txt$/i.test(f));
    return any.length === 1 ? join(dir, any[0]!) : null;
  };
  if (/^set-/.test(basename(root)) && !readdirSync(root).some((f) => /^set-/.test(f)))
    return { setDir: root, outcomesFile: outcomesFor(dirname(root), basename(root)) };
  const sets = readdirSync(root)
    .filter((f) => /^set-/.test(f) && isDir(join(root, f)))
    .sort();
  if (sets.length === 0)
    throw new OslerError('invalid-input', 'not a PhysioNet 2012 layout: no set-* folder of records found');
  if (sets.length > 1)
    throw new OslerError(
      'invalid-input',
      `several record folders (${sets.join(', ')}); point at one set-* folder or a root holding one`,
    );
  return { setDir: join(root, sets[0]!), outcomesFile: outcomesFor(root, sets[0]!) };
}

/**
 * Reads a PhysioNet-2012-layout folder with the case store's parser. `limit` keeps the first
 * records in sorted order (deterministic subsets for tests).
 */
export function readPhysioNetSet(path: string, options: { limit?: number } = {}): PhysioNetSet {
  const layout = findPhysioNetLayout(path);
  let files = readdirSync(layout.setDir)
    .filter((f) => f.endsWith('.txt'))
    .sort();
  if (options.limit !== undefined) files = files.slice(0, options.limit);
  const stays: Stay[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const f of files) {
    const id = f.replace(/\.txt$/, '');
    let text: string;
    try {
      text = readFileSync(join(layout.setDir, f), 'utf8');
    } catch (error) {
      skipped.push({ id, reason: `unreadable: ${error instanceof Error ? error.message.split('\n')[0] : ''}` });
      continue;
    }
    if (!/^Time,Parameter,Value\r?\n/.test(text)) {
      skipped.push({ id, reason: 'not a Time,Parameter,Value stay file' });
      continue;
    }
    stays.push(parseStay(text, id));
  }
  let outcomes: Map<string, Readonly<Record<string, string>>> | null = null;
  if (layout.outcomesFile !== null) {
    outcomes = new Map(
      parseOutcomes(readFileSync(layout.outcomesFile, 'utf8')).outcomes.map((o) => [o.recordId, o.labels]),
    );
  }
  return { stays, outcomes, skipped };
}

/**
 * Splits items into training and validation by patient, stratified on a label: each class's
 * patients are shuffled with a seeded generator and the first `validationFraction` of each goes to
 * validation. Every item of a patient lands on the same side. Returns item indices, sorted.
 */
export function stratifiedPatientSplit(
  patientIds: readonly string[],
  labels: ArrayLike<number>,
  validationFraction: number,
  seed: number,
): { train: number[]; validation: number[] } {
  // A patient's label: the largest of its items' labels (any death counts).
  const patientLabel = new Map<string, number>();
  patientIds.forEach((p, i) => patientLabel.set(p, Math.max(patientLabel.get(p) ?? -Infinity, labels[i]!)));
  const byClass = new Map<number, string[]>();
  for (const [p, l] of [...patientLabel].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    let list = byClass.get(l);
    if (list === undefined) byClass.set(l, (list = []));
    list.push(p);
  }
  const random = seededRandom(seed);
  const validationPatients = new Set<string>();
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(cls)!;
    const order = shuffledIndices(list.length, random);
    const take = Math.round(list.length * validationFraction);
    for (let k = 0; k < take; k++) validationPatients.add(list[order[k]!]!);
  }
  const train: number[] = [];
  const validation: number[] = [];
  patientIds.forEach((p, i) => (validationPatients.has(p) ? validation : train).push(i));
  return { train, validation };
}
