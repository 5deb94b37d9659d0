import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { sha256File } from '../runtime/sha256.js';
import { resolveManaged, writeFileDurably } from './managedFiles.js';
import { MIGRATIONS } from './migrations/index.js';
import { fsyncPath } from '../runtime/durable.js';

/** The store file inside a data folder (and inside a backup). */
export const STORE_FILE_NAME = 'osler.sqlite';
/** Folders of the data folder whose files the store owns and a backup carries. */
export const MANAGED_AREAS = ['files', 'models'] as const;
/** Name of the manifest written into every backup folder. */
export const MANIFEST_FILE = 'manifest.json';

/** One file of a backup, addressed relative to the data folder with forward slashes. */
export interface BackupEntry {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** What a backup folder holds, written as `manifest.json` and checked before anything is restored. */
export interface BackupManifest {
  readonly format: 'osler-backup';
  readonly version: 1;
  /** ISO time the backup was taken. */
  readonly createdAt: string;
  /** The data folder it was taken from. */
  readonly source: string;
  /** Store schema version (`PRAGMA user_version`) of the copy. */
  readonly schemaVersion: number;
  /** The store first, then every managed file. */
  readonly files: readonly BackupEntry[];
}

/** Outcome of {@link backupDataFolder} or {@link restoreDataFolder}. */
export interface BackupReport {
  readonly manifest: BackupManifest;
  /** The folder written (the backup, or the restored data folder). */
  readonly folder: string;
  readonly totalBytes: number;
  /** Where the data folder that a forced restore replaced was moved, or null. */
  readonly previous: string | null;
}

/** Managed files under `home`, relative with forward slashes; temporaries of unfinished writes are left out. */
function managedFiles(home: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const info = lstatSync(full);
      if (info.isDirectory()) walk(full);
      else if (info.isFile() && !name.startsWith('.tmp-')) out.push(relative(home, full).split(sep).join('/'));
    }
  };
  for (const area of MANAGED_AREAS) if (existsSync(join(home, area))) walk(join(home, area));
  return out;
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..' && !/^[A-Za-z]:/.test(rel));
}

function isEmptyFolder(path: string, ignore: readonly string[] = []): boolean {
  return (
    !existsSync(path) ||
    (statSync(path).isDirectory() && readdirSync(path).filter((n) => !ignore.includes(n)).length === 0)
  );
}

/** A fresh sibling of `target` to stage into, so `target` only ever appears complete. */
function stagingFolder(target: string, tag: string): string {
  const staging = join(dirname(target), `.${basename(target)}.${tag}-${randomBytes(4).toString('hex')}`);
  mkdirSync(staging, { recursive: true });
  return staging;
}

function storeIntegrity(file: string): { ok: boolean; detail: string; version: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const detail = rows.map((r) => r.integrity_check).join('; ');
    return { ok: detail === 'ok', detail, version: db.pragma('user_version', { simple: true }) as number };
  } finally {
    db.close();
  }
}

/** Checks every file of `folder` against `manifest` and the store copy's integrity; throws on any mismatch. */
function verifyFolder(folder: string, manifest: BackupManifest, what: string): void {
  for (const entry of manifest.files) {
    const full = resolveManaged(folder, entry.path);
    if (!existsSync(full)) throw new OslerError('conflict', `${what}: ${entry.path} is missing`);
    const size = statSync(full).size;
    if (size !== entry.sizeBytes)
      throw new OslerError(
        'conflict',
        `${what}: ${entry.path} has ${size} bytes, the manifest says ${entry.sizeBytes}`,
      );
    if (sha256File(full) !== entry.sha256)
      throw new OslerError('conflict', `${what}: ${entry.path} does not match its SHA-256 in the manifest`);
  }
  const integrity = storeIntegrity(join(folder, STORE_FILE_NAME));
  if (!integrity.ok)
    throw new OslerError('conflict', `${what}: the store copy fails integrity_check: ${integrity.detail}`);
}

/** Reads and checks the shape of a backup's manifest, refusing paths that would leave the folder. */
export function readManifest(folder: string): BackupManifest {
  const file = join(folder, MANIFEST_FILE);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch {
    throw new OslerError('not-found', `${folder} is not an Osler backup (no readable ${MANIFEST_FILE})`);
  }
  if (manifest?.format !== 'osler-backup' || manifest.version !== 1 || !Array.isArray(manifest.files))
    throw new OslerError('invalid-input', `${file} is not an Osler backup manifest of a version this Osler reads`);
  for (const entry of manifest.files) {
    const ok =
      typeof entry?.path === 'string' &&
      (entry.path === STORE_FILE_NAME || MANAGED_AREAS.some((a) => entry.path.startsWith(`${a}/`))) &&
      !entry.path.split('/').includes('..') &&
      typeof entry.sizeBytes === 'number' &&
      typeof entry.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(entry.sha256);
    if (!ok)
      throw new OslerError(
        'invalid-input',
        `${file} lists an entry this Osler will not restore: ${JSON.stringify(entry)}`,
      );
  }
  if (!manifest.files.some((e) => e.path === STORE_FILE_NAME))
    throw new OslerError('invalid-input', `${file} lists no ${STORE_FILE_NAME}`);
  return manifest;
}

/**
 * Backs up the data folder `home` into the new folder `dest`: the case store through SQLite's
 * online backup (consistent while the app keeps writing), then the managed files (`files/`,
 * `models/`) and a manifest with the SHA-256 of each. The store is copied first: a managed file
 * is written before the row pointing at it commits, so every file the copy refers to already
 * exists when the files are copied. Everything is written to a staging folder, fsynced, verified
 * (integrity_check of the store copy, every hash re-read) and only then renamed to `dest`.
 * @throws OslerError `conflict` if `dest` exists and is not empty or overlaps `home`.
 */
export async function backupDataFolder(home: string, dest: string): Promise<BackupReport> {
  const from = resolve(home);
  const to = resolve(dest);
  const storeFile = join(from, STORE_FILE_NAME);
  if (!existsSync(storeFile)) throw new OslerError('not-found', `${from} holds no case store (${STORE_FILE_NAME})`);
  if (isInside(from, to) || isInside(to, from))
    throw new OslerError('invalid-input', `the backup folder ${to} must be outside the data folder ${from}`);
  if (!isEmptyFolder(to)) throw new OslerError('conflict', `${to} already exists and is not empty`);
  mkdirSync(dirname(to), { recursive: true });
  const staging = stagingFolder(to, 'partial');
  try {
    const copy = join(staging, STORE_FILE_NAME);
    const source = new Database(storeFile, { readonly: true, fileMustExist: true });
    try {
      await source.backup(copy);
    } finally {
      source.close();
    }
    // One self-contained file: no -wal beside it, so its hash describes the whole store.
    const db = new Database(copy);
    db.pragma('journal_mode = DELETE');
    db.close();
    const entries: BackupEntry[] = [];
    const addEntry = (rel: string, full: string) =>
      entries.push({ path: rel, sizeBytes: statSync(full).size, sha256: sha256File(full) });
    fsyncPath(copy);
    addEntry(STORE_FILE_NAME, copy);
    for (const rel of managedFiles(from)) {
      const target = resolveManaged(staging, rel);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(resolveManaged(from, rel), target);
      fsyncPath(target);
      addEntry(rel, target);
    }
    const manifest: BackupManifest = {
      format: 'osler-backup',
      version: 1,
      createdAt: new Date().toISOString(),
      source: from,
      schemaVersion: storeIntegrity(copy).version,
      files: entries,
    };
    writeFileDurably(join(staging, MANIFEST_FILE), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    verifyFolder(staging, readManifest(staging), 'backup verification');
    if (existsSync(to)) rmSync(to, { recursive: true });
    renameSync(staging, to);
    fsyncPath(dirname(to));
    return { manifest, folder: to, totalBytes: entries.reduce((n, e) => n + e.sizeBytes, 0), previous: null };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Moves every entry of `from` into `to` and removes `from`; on a failure the entries already moved
 * are removed again, so `to` never holds part of a restore.
 */
function moveEntries(from: string, to: string): void {
  const moved: string[] = [];
  try {
    for (const name of readdirSync(from)) {
      renameSync(join(from, name), join(to, name));
      moved.push(name);
    }
  } catch (error) {
    for (const name of moved) rmSync(join(to, name), { recursive: true, force: true });
    throw error;
  }
  rmSync(from, { recursive: true, force: true });
}

/** Options of {@link restoreDataFolder}. */
export interface RestoreOptions {
  /** Replace a data folder that is not empty (it is moved aside, not deleted). */
  readonly force?: boolean;
  /** Names at the top of the data folder that do not make it "not empty" (e.g. the presence folder). */
  readonly ignore?: readonly string[];
  /** Called once the backup is verified and the folder may be replaced, before copying. */
  readonly onCopy?: () => void;
  /** Called just before the swap; throwing refuses the restore (the staged copy is removed). */
  readonly beforeSwap?: () => void;
}

/**
 * Restores the backup in `src` as the data folder `home`. The backup is verified first (every
 * hash, integrity_check, a schema this Osler understands), copied into a staging folder beside
 * `home`, verified again there, and only then switched in by rename (into an empty folder, by
 * moving the entries in, so what the folder holds, e.g. `ignore`d names, stays). Refuses a data folder that
 * is not empty unless `force`; a forced restore moves the old folder aside (reported as
 * `previous`) rather than deleting patient data. Do not restore into a folder an app has open.
 */
export function restoreDataFolder(src: string, home: string, options: RestoreOptions = {}): BackupReport {
  const from = resolve(src);
  const to = resolve(home);
  if (isInside(from, to) || isInside(to, from))
    throw new OslerError('invalid-input', `the backup ${from} and the data folder ${to} must not overlap`);
  const manifest = readManifest(from);
  const newest = Math.max(...MIGRATIONS.map((m) => m.version));
  if (typeof manifest.schemaVersion !== 'number' || manifest.schemaVersion > newest)
    throw new OslerError(
      'conflict',
      `the backup has store schema ${manifest.schemaVersion}, newer than this Osler understands (${newest})`,
    );
  verifyFolder(from, manifest, 'backup');
  if (!isEmptyFolder(to, options.ignore) && options.force !== true)
    throw new OslerError('conflict', `${to} is not empty; restore into an empty folder, or pass --force to replace it`);
  mkdirSync(dirname(to), { recursive: true });
  options.onCopy?.();
  const staging = stagingFolder(to, 'restoring');
  let previous: string | null = null;
  try {
    for (const entry of manifest.files) {
      const target = resolveManaged(staging, entry.path);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(resolveManaged(from, entry.path), target);
      fsyncPath(target);
    }
    verifyFolder(staging, manifest, 'restored copy');
    options.beforeSwap?.();
    if (existsSync(to) && isEmptyFolder(to, options.ignore)) {
      // Restored around what it holds (the presence folder, whose start lock a starting core may
      // hold, must not be deleted from under it): the staged entries are moved in one by one.
      moveEntries(staging, to);
      fsyncPath(to);
    } else {
      if (existsSync(to)) {
        previous = join(
          dirname(to),
          `${basename(to)}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        );
        renameSync(to, previous);
      }
      renameSync(staging, to);
    }
    fsyncPath(dirname(to));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { manifest, folder: to, totalBytes: manifest.files.reduce((n, e) => n + e.sizeBytes, 0), previous };
}
