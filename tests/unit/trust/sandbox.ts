// Helpers shared by the trust tests: a folder of harmless files that hostile inputs point at, and
// a snapshot of a folder tree to prove nothing outside the data folder was written.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { enc212 } from '../vitals/fixtures.js';

/** Every entry under `root` (not following links) with its size, mtime and inode; `skip` prunes folders. */
export function snapshotTree(root: string, skip: (path: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (skip(full)) continue;
      const info = lstatSync(full);
      out.set(relative(root, full), `${info.isDirectory() ? 'd' : 'f'}:${info.size}:${info.mtimeMs}:${info.ino}`);
      if (info.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

/** Entries added, removed or changed between two snapshots (empty when the tree is untouched). */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [path, sig] of after) {
    const was = before.get(path);
    if (was === undefined) changes.push(`added ${path}`);
    // A folder's mtime moves when an entry is created or removed in it, even a temporary one.
    else if (was !== sig) changes.push(`changed ${path}`);
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push(`removed ${path}`);
  return changes;
}

/** Paths inside a sandbox built by {@link buildSandbox}. */
export interface Sandbox {
  readonly root: string;
  /** Where the test process runs from, so relative paths land inside the sandbox. */
  readonly cwd: string;
  readonly notesCsv: string;
  readonly wfdbHeader: string;
  /** A folder of DICOM files (synthetic when the shared data is absent). */
  readonly dicomDir: string;
  /** Whether `dicomDir` holds real DICOM (the shared data was found). */
  readonly hasDicom: boolean;
  readonly textFile: string;
}

/** A small WFDB record (format 212, 2 signals, 200 frames at 100 Hz) named `name`. */
export function writeWfdb(dir: string, name: string): string {
  const frames = Array.from({ length: 200 }, (_, i) => [i % 100, -(i % 50)]).flat();
  writeFileSync(join(dir, `${name}.dat`), enc212(frames));
  const header = join(dir, `${name}.hea`);
  const sum = (k: number) => (frames.filter((_, i) => i % 2 === k).reduce((a, b) => a + b, 0) << 16) >> 16;
  writeFileSync(
    header,
    `${name} 2 100 200\n${name}.dat 212 100 12 0 0 ${sum(0)} 0 II\n${name}.dat 212 100 12 0 0 ${sum(1)} 0 V\n`,
  );
  return header;
}

/**
 * Builds a tree of harmless files under `root`: a notes CSV, a WFDB record, DICOM files (copies of
 * the shared tiny CT series when `data` is given) and the targets that traversal strings such as
 * `../../etc/passwd` resolve to from {@link Sandbox.cwd}.
 */
export function buildSandbox(root: string, data: string | null): Sandbox {
  const cwd = join(root, 'work', 'deep');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:sandbox copy, harmless:/root:/bin/sh\n');
  const notesCsv = join(root, 'notes.csv');
  writeFileSync(notesCsv, 'id,text,dx\n1,chest pain radiating to the arm,MI\n2,cough and fever,URI\n');
  const textFile = join(root, 'readme.txt');
  writeFileSync(textFile, 'a plain text note about a cough\n');
  const vitals = join(root, 'vitals');
  mkdirSync(vitals);
  const wfdbHeader = writeWfdb(vitals, 'rec');
  const dicomDir = join(root, 'dicom');
  mkdirSync(dicomDir);
  const tiny = data === null ? null : join(data, 'dicom', 'ct-tiny-series', 'pydicom_CT2_head_16x16');
  const hasDicom = tiny !== null && existsSync(tiny);
  if (hasDicom) {
    for (const name of readdirSync(tiny).slice(0, 2)) copyFileSync(join(tiny, name), join(dicomDir, name));
  } else {
    writeFileSync(join(dicomDir, 'not-dicom.dcm'), 'DICM? no');
  }
  return { root, cwd, notesCsv, wfdbHeader, dicomDir, hasDicom, textFile };
}
