import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bundleChanges,
  bundleDigests,
  bundleStamp,
  readBundleIdentity,
  readBundleMetadata,
} from '../../../native/ml/bundleIo.js';
import { folderIOHandler } from '../../../native/ml/io/folderHandler.js';
import { tempDir } from '../helpers.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function bundle(): string {
  const dir = tempDir();
  cleanup = dir.cleanup;
  const root = join(dir.path, 'bundle');
  mkdirSync(root);
  writeFileSync(
    join(root, 'model.json'),
    JSON.stringify({ weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [] }] }),
  );
  writeFileSync(join(root, 'group1-shard1of2.bin'), 'aaaa');
  writeFileSync(join(root, 'group1-shard2of2.bin'), 'bbbb');
  writeFileSync(join(root, 'metadata.json'), '{}');
  writeFileSync(join(root, 'CARD.md'), '# card');
  return root;
}

/**
 * Replaces `path` with a FIFO. Should the code under test open it (the defect these tests catch), a
 * writer feeds it `text` after a moment, a few times, so that the read ends (with the wrong result)
 * instead of blocking the test run for good. Kill the returned writer when done.
 */
function fifoInPlaceOf(path: string, text: string): ChildProcess {
  rmSync(path);
  execFileSync('mkfifo', [path]);
  return spawn('sh', ['-c', 'for i in 1 2 3; do sleep 1; printf %s "$2" > "$1"; done', 'sh', path, text], {
    stdio: 'ignore',
  });
}

describe('bundle fingerprints', () => {
  it("hash the bundle's own files: model.json, every weight shard it names, metadata and card, not OS litter", () => {
    const root = bundle();
    writeFileSync(join(root, '.DS_Store'), 'Finder');
    expect(Object.keys(bundleDigests(root))).toEqual([
      'CARD.md',
      'group1-shard1of2.bin',
      'group1-shard2of2.bin',
      'metadata.json',
      'model.json',
    ]);
  });

  it('name what changed, was removed, or was added to the manifest', () => {
    const root = bundle();
    const before = bundleDigests(root);
    writeFileSync(join(root, 'group1-shard2of2.bin'), 'bbbc');
    rmSync(join(root, 'CARD.md'));
    expect(bundleChanges(before, bundleDigests(root))).toEqual([
      'CARD.md was removed',
      'group1-shard2of2.bin has changed',
    ]);
    expect(bundleChanges(before, before)).toEqual([]);
  });

  it('stamp stays while no file is rewritten and moves when one is, even at the same size', () => {
    const root = bundle();
    const stamp = bundleStamp(root);
    expect(bundleStamp(root)).toBe(stamp);
    writeFileSync(join(root, 'group1-shard1of2.bin'), 'aaab');
    utimesSync(join(root, 'group1-shard1of2.bin'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(bundleStamp(root)).not.toBe(stamp);
  });

  it('stamp moves when a file is rewritten at the same size and its modification time is put back', () => {
    const root = bundle();
    const shard = join(root, 'group1-shard1of2.bin');
    utimesSync(shard, 1_900_000_000, 1_900_000_000);
    const stamp = bundleStamp(root);
    const changed = statSync(shard).ctimeMs;
    writeFileSync(shard, 'aaac');
    utimesSync(shard, 1_900_000_000, 1_900_000_000);
    // The change time moves with the write and utimes; on a coarse clock, utimes again until it has.
    while (statSync(shard).ctimeMs === changed) utimesSync(shard, 1_900_000_000, 1_900_000_000);
    expect(bundleStamp(root)).not.toBe(stamp);
  });

  it('never reach outside the folder or into a non-file: a manifest naming ../ or a device path is not hashed', () => {
    const root = bundle();
    mkdirSync(join(root, 'fifo-dir'));
    writeFileSync(
      join(root, 'model.json'),
      JSON.stringify({
        weightsManifest: [
          { paths: ['group1-shard1of2.bin', '../../../../../../dev/zero', '/etc/hostname', 'fifo-dir'], weights: [] },
        ],
      }),
    );
    // Returns (hashing /dev/zero would never end) with only the bundle's own regular files.
    expect(Object.keys(bundleDigests(root))).toEqual([
      'CARD.md',
      'group1-shard1of2.bin',
      'metadata.json',
      'model.json',
    ]);
    expect(bundleStamp(root)).not.toMatch(/zero|hostname/);
  });

  it(
    'read no metadata.json that is not a regular file: a FIFO is not-found at once, never a hang',
    { timeout: 10_000 },
    () => {
      const root = bundle();
      const writer = fifoInPlaceOf(join(root, 'metadata.json'), '{"name":"fifo","version":"1"}');
      try {
        expect(() => readBundleMetadata(root)).toThrow(
          expect.objectContaining({ code: 'not-found', message: expect.stringMatching(/no metadata\.json/) }),
        );
        expect(readBundleIdentity(root)).toBeNull();
      } finally {
        writer.kill();
      }
    },
  );
  it(
    'load no model.json or weight shard that is not a regular file: a FIFO is refused at once, never a hang',
    { timeout: 15_000 },
    async () => {
      for (const name of ['model.json', 'group1-shard2of2.bin']) {
        cleanup?.();
        const root = bundle();
        const writer = fifoInPlaceOf(join(root, name), '{"weightsManifest":[]}');
        try {
          await expect(folderIOHandler(root).load!(), name).rejects.toThrow(
            new RegExp(`${name.replace('.', '\\.')} in .* is missing or not a regular file`),
          );
          // The fingerprint leaves it out (nothing to hash) rather than blocking on it.
          expect(Object.keys(bundleDigests(root)), name).not.toContain(name);
        } finally {
          writer.kill();
        }
      }
    },
  );
  it('load only the bytes that were verified, when given the digests: a changed or unlisted file is refused by name', async () => {
    const root = bundle();
    const digests = bundleDigests(root);
    await expect(folderIOHandler(root, { digests }).load!()).resolves.toMatchObject({ weightSpecs: [] });
    writeFileSync(join(root, 'group1-shard2of2.bin'), 'bbbc');
    await expect(folderIOHandler(root, { digests }).load!()).rejects.toThrow(
      expect.objectContaining({ name: 'BundleDigestError', file: 'group1-shard2of2.bin' }),
    );
    // Without digests (a detached folder) the same files load.
    await expect(folderIOHandler(root).load!()).resolves.toMatchObject({ weightSpecs: [] });
    const { ['group1-shard1of2.bin']: _unlisted, ...partial } = bundleDigests(root);
    await expect(folderIOHandler(root, { digests: partial }).load!()).rejects.toThrow(
      /group1-shard1of2\.bin in .* is not the file that was verified/,
    );
  });
});
