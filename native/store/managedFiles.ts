import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fsyncPath } from '../runtime/durable.js';

/** A file the store owns, addressed by the SHA-256 of its content. */
export interface ManagedFile {
  /** Path relative to the data folder (always with forward slashes). */
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  /** False when an identical file was already stored. */
  readonly written: boolean;
}

/**
 * Writes `bytes` durably: to a temporary name in the target folder, fsync, rename, fsync the
 * folder. A crash leaves either no file or the whole file, never a partial one under `target`.
 */
export function writeFileDurably(target: string, bytes: Uint8Array): void {
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, 'wx');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncPath(dir);
}

/**
 * Stores `bytes` under `<home>/<area>/<aa>/<sha256><suffix>` unless an identical file is already
 * there. The caller commits the row that points at it only after this returns. `beforeWrite`
 * gets the managed path first (to record it as pending, see `pendingFiles.ts`).
 */
export function storeContentAddressed(
  home: string,
  area: string,
  bytes: Uint8Array,
  suffix = '',
  beforeWrite?: (rel: string) => void,
): ManagedFile {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const rel = `${area}/${sha256.slice(0, 2)}/${sha256}${suffix}`;
  const full = resolveManaged(home, rel);
  beforeWrite?.(rel);
  let written = false;
  if (!existsSync(full) || statSync(full).size !== bytes.length) {
    writeFileDurably(full, bytes);
    written = true;
  }
  return { path: rel, sha256, sizeBytes: bytes.length, written };
}

/** Resolves a managed path, refusing anything that would land outside the data folder. */
export function resolveManaged(home: string, rel: string): string {
  const base = resolve(home);
  const full = resolve(base, rel);
  const inside = relative(base, full);
  if (inside === '' || inside.startsWith('..') || inside.split(sep).includes('..'))
    throw new Error(`managed path escapes the data folder: ${rel}`);
  return full;
}
