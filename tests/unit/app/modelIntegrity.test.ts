import { cpSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import type * as Fs from 'node:fs';
import type * as BundleIo from '../../../native/ml/bundleIo.js';
import type * as Sha256 from '../../../native/runtime/sha256.js';
import { call, failure, tempDir } from '../helpers.js';

/** Hooks into the fingerprint code: which files were hashed, and a chance to act at a chosen moment. */
const hooks = vi.hoisted(() => ({
  hashed: [] as string[],
  onHash: null as ((path: string) => void) | null,
  afterStamp: null as ((dir: string) => void) | null,
  renamedOntoFolders: [] as string[],
}));

// Windows refuses a rename onto an existing folder, even an empty one: every rename is checked.
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof Fs>();
  return {
    ...real,
    renameSync: (from: Fs.PathLike, to: Fs.PathLike) => {
      if (real.statSync(to, { throwIfNoEntry: false })?.isDirectory()) hooks.renamedOntoFolders.push(String(to));
      real.renameSync(from, to);
    },
  };
});

vi.mock('../../../native/runtime/sha256.js', async (importOriginal) => {
  const real = await importOriginal<typeof Sha256>();
  return {
    ...real,
    sha256RegularFile: (path: string) => {
      hooks.hashed.push(path);
      hooks.onHash?.(path);
      return real.sha256RegularFile(path);
    },
  };
});

vi.mock('../../../native/ml/bundleIo.js', async (importOriginal) => {
  const real = await importOriginal<typeof BundleIo>();
  return {
    ...real,
    bundleStamp: (dir: string) => {
      const stamp = real.bundleStamp(dir);
      hooks.afterStamp?.(dir);
      return stamp;
    },
  };
});

const shipped = join(import.meta.dirname, '..', '..', '..', 'resources', 'models', 'chest-xray-pneumonia');
const NAME = 'chest-xray-pneumonia';

const audits = (core: Core, action: string) =>
  core.store.db.prepare('SELECT COUNT(*) FROM audit WHERE action = ?').pluck().get(action) as number;

let clock = 0;
/**
 * Rewrites a file and gives it a modification time of its own: the stamp (size, times, inode) sees
 * every rewrite even when two fall within one tick of the file system's clock, which the change time
 * alone would not.
 */
function rewrite(path: string, bytes: Buffer | string): void {
  writeFileSync(path, bytes);
  const t = 2_000_000_000 + ++clock;
  utimesSync(path, t, t);
}

/** The same bytes with one bit of the last byte flipped (`bit` picks which). */
function flipped(bytes: Buffer, bit = 0): Buffer {
  const out = Buffer.from(bytes);
  out[out.length - 1] = out[out.length - 1]! ^ (1 << bit);
  return out;
}

describe('model version fingerprints', { timeout: 60_000 }, () => {
  const cores: Core[] = [];
  const dirs: { cleanup(): void }[] = [];
  afterEach(async () => {
    hooks.hashed = [];
    hooks.onHash = null;
    hooks.afterStamp = null;
    for (const core of cores.splice(0)) await core.close();
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  /** A data folder with the small shipped X-ray model installed; `open` starts a core on it (again). */
  function setup(install = true) {
    const tmp = tempDir('osler-integrity-');
    dirs.push(tmp);
    const bundles = join(tmp.path, 'bundles');
    cpSync(shipped, join(bundles, 'cxr'), { recursive: true });
    const home = join(tmp.path, 'home');
    const open = () => {
      const core = createCore({ home, mode: 'cli', log: () => undefined, bundledModels: install ? bundles : null });
      cores.push(core);
      return core;
    };
    const core = open();
    return { home, bundles, open, core };
  }

  function versionOf(core: Core): { id: number; dir: string } {
    const row = core.store.db
      .prepare(
        `SELECT v.id, v.path FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? AND v.state = 'active'`,
      )
      .get(NAME) as { id: number; path: string };
    return { id: row.id, dir: join(core.home, row.path) };
  }

  it('installs and imports a bundle without renaming onto an existing folder (which Windows refuses)', async () => {
    hooks.renamedOntoFolders = [];
    const { core } = setup();
    const { id } = versionOf(core);
    expect(readdirSync(versionOf(core).dir).sort()).toEqual(readdirSync(shipped).sort());
    const exported = await call(core, 'models.export', { versionId: id, dest: 'copy' });
    const metaPath = join(exported.path, 'metadata.json');
    writeFileSync(
      metaPath,
      JSON.stringify({ ...(JSON.parse(readFileSync(metaPath, 'utf8')) as object), version: 'x2' }),
    );
    const imported = await call(core, 'models.import', { path: exported.path });
    expect((await call(core, 'models.get', { versionId: imported.id })).version.version).toBe('x2');
    expect(hooks.renamedOntoFolders).toEqual([]);
  });

  it('hashes an unchanged tampered folder once, not on every call, and still notices a restore', async () => {
    const { core } = setup();
    const { id, dir } = versionOf(core);
    const weights = join(dir, 'weights.bin');
    const original = readFileSync(weights);
    rewrite(weights, flipped(original));
    hooks.hashed = [];
    const weightHashes = () => hooks.hashed.filter((p) => basename(p) === 'weights.bin').length;
    for (let i = 0; i < 4; i++) expect(await failure(core, 'models.get', { versionId: id })).toBe('conflict');
    expect(await failure(core, 'models.export', { versionId: id, dest: 'tampered' })).toBe('conflict');
    expect(weightHashes()).toBe(1);
    // The refusal still names the change, and the registry is not audited again for it.
    const again = await core.dispatch('models.get', { versionId: id }, { via: 'cli' });
    expect(again.ok ? '' : again.message).toMatch(/weights\.bin has changed/);
    expect(audits(core, 'models.integrity-failed')).toBe(1);
    // Files put back: the next call hashes them again and serves the version.
    rewrite(weights, original);
    expect((await call(core, 'models.get', { versionId: id })).version.id).toBe(id);
    expect(weightHashes()).toBe(2);
  });

  it('refuses a weight file rewritten in place at the same size with its modification time put back', async () => {
    const { core } = setup();
    const { id, dir } = versionOf(core);
    const weights = join(dir, 'weights.bin');
    const original = readFileSync(weights);
    // A whole-second modification time, which utimes puts back exactly; the files verify with it.
    const t = 1_900_000_000;
    utimesSync(weights, t, t);
    expect((await call(core, 'models.get', { versionId: id })).version.id).toBe(id);
    const verifiedChange = statSync(weights).ctimeMs;
    // Same inode, same size, same modification time: only the bytes (and the change time) differ.
    writeFileSync(weights, flipped(original));
    utimesSync(weights, t, t);
    // The kernel moves the change time on the write and the utimes; on a coarse clock both may fall in
    // the tick of the verification, so utimes again until it has moved (as any later moment would see).
    while (statSync(weights).ctimeMs === verifiedChange) utimesSync(weights, t, t);
    expect(statSync(weights)).toMatchObject({ size: original.length, mtimeMs: t * 1000 });
    // Export checks the version's files on every call (before its own check of the copy).
    const refused = await core.dispatch('models.export', { versionId: id, dest: 'same-stamp' }, { via: 'cli' });
    expect(refused.ok ? '' : refused.message).toMatch(
      /will not be used: since it was registered, weights\.bin has changed/,
    );
    expect(audits(core, 'models.integrity-failed')).toBe(1);
    // Put back the same way (the tampered file's stamp but for the change time): served again.
    const refusedChange = statSync(weights).ctimeMs;
    writeFileSync(weights, original);
    utimesSync(weights, t, t);
    while (statSync(weights).ctimeMs === refusedChange) utimesSync(weights, t, t);
    expect((await call(core, 'models.export', { versionId: id, dest: 'restored' })).path).toMatch(/restored/);
  });

  it('audits a second change after a restore in the same run', async () => {
    const { core } = setup();
    const { id, dir } = versionOf(core);
    const weights = join(dir, 'weights.bin');
    const original = readFileSync(weights);
    rewrite(weights, flipped(original));
    expect(await failure(core, 'models.get', { versionId: id })).toBe('conflict');
    expect(await failure(core, 'models.get', { versionId: id })).toBe('conflict');
    expect(audits(core, 'models.integrity-failed')).toBe(1);
    rewrite(weights, original);
    expect((await call(core, 'models.get', { versionId: id })).version.id).toBe(id);
    // Changed again (export checks the files on every call): a new event, audited again.
    rewrite(weights, flipped(original, 1));
    expect(await failure(core, 'models.export', { versionId: id, dest: 'second' })).toBe('conflict');
    expect(audits(core, 'models.integrity-failed')).toBe(2);
  });

  it('audits a further, different change made while the version is still refused, and the same change once', async () => {
    const { core } = setup();
    const { id, dir } = versionOf(core);
    const weights = join(dir, 'weights.bin');
    const card = join(dir, 'CARD.md');
    rewrite(weights, flipped(readFileSync(weights)));
    expect(await failure(core, 'models.get', { versionId: id })).toBe('conflict');
    expect(audits(core, 'models.integrity-failed')).toBe(1);
    rewrite(card, `${readFileSync(card, 'utf8')}\nEdited while refused.\n`);
    const refused = await core.dispatch('models.get', { versionId: id }, { via: 'cli' });
    expect(refused.ok ? '' : refused.message).toMatch(/CARD\.md has changed, weights\.bin has changed/);
    expect(audits(core, 'models.integrity-failed')).toBe(2);
    // The same changes again (the files hashed anew, as a restart would): not audited again.
    rewrite(card, readFileSync(card));
    expect(await failure(core, 'models.export', { versionId: id, dest: 'again' })).toBe('conflict');
    expect(audits(core, 'models.integrity-failed')).toBe(2);
    const rows = core.store.db
      .prepare(`SELECT detail_json FROM audit WHERE action = 'models.integrity-failed' ORDER BY id`)
      .pluck()
      .all() as string[];
    expect(rows.map((r) => (JSON.parse(r) as { changes: string[] }).changes)).toEqual([
      ['weights.bin has changed'],
      ['CARD.md has changed', 'weights.bin has changed'],
    ]);
  });

  it('parses metadata.json from the bytes whose digest matched, never from a second read', async () => {
    const { core, open } = setup();
    const { id, dir } = versionOf(core);
    const metaPath = join(dir, 'metadata.json');
    const original = readFileSync(metaPath, 'utf8');
    const title = (JSON.parse(original) as { title: string }).title;
    const changed = `${JSON.stringify({ ...(JSON.parse(original) as object), title: 'Swapped after the check' })}\n`;
    // Changed just after the stamp matched the one taken at registration (no hashing on that path):
    // what is parsed must still be what was registered, so the change is refused.
    hooks.afterStamp = () => {
      hooks.afterStamp = null;
      writeFileSync(metaPath, changed);
    };
    const refused = await core.dispatch('models.get', { versionId: id }, { via: 'cli' });
    expect(refused).toMatchObject({ ok: false, code: 'conflict' });
    expect(refused.ok ? '' : refused.message).toMatch(/metadata\.json has changed/);
    rewrite(metaPath, original);
    // Changed after metadata.json was hashed, while the weights are (a fresh run hashes everything):
    // the version is served with the metadata that was hashed, and the changed file is refused next.
    const fresh = open();
    hooks.onHash = (path) => {
      if (basename(path) !== 'weights.bin') return;
      hooks.onHash = null;
      rewrite(metaPath, changed);
    };
    const detail = await call(fresh, 'models.get', { versionId: id });
    expect(hooks.onHash).toBeNull();
    expect(detail.metadata.title).toBe(title);
    expect(await failure(fresh, 'models.export', { versionId: id, dest: 'swapped' })).toBe('conflict');
  });

  it('loads only the weights it verified: a weight file changed after the check, before the engine reads it, is refused and audited', async () => {
    const { core } = setup();
    const { id, dir } = versionOf(core);
    const png = join(import.meta.dirname, '..', '..', '..', 'resources', 'screenshots', 'note-triage.png');
    const weights = join(dir, 'weights.bin');
    const original = readFileSync(weights);
    // Metadata read (and cached) first, so the next stamp check is the load's own. It matches the
    // stamp taken at registration (no hashing), and just after it the weights change, before the
    // engine reads them.
    await call(core, 'models.get', { versionId: id });
    hooks.afterStamp = () => {
      hooks.afterStamp = null;
      rewrite(weights, flipped(original, 3));
    };
    const version = core.models.resolveCli(String(id));
    await expect(core.models.predictPath(version, png, {})).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/weights\.bin/),
    });
    expect(audits(core, 'models.integrity-failed')).toBe(1);
    // Restored, the same version loads and predicts.
    rewrite(weights, original);
    const predictions = await core.models.predictPath(version, png, {});
    expect(predictions).toHaveLength(1);
  });

  it('registers the metadata it hashed, and refuses a copy whose metadata.json names another version', async () => {
    const { core, home, bundles } = setup(false);
    const modelDir = join(home, 'models', NAME);
    const meta = JSON.parse(readFileSync(join(shipped, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    // The copy's metadata.json changes after the source's was read, just before it is hashed.
    const swapTo = (changed: Record<string, unknown>) => {
      hooks.afterStamp = (dir) => {
        hooks.afterStamp = null;
        writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ ...meta, ...changed }));
      };
    };
    swapTo({ version: '9.9.9' });
    expect(core.models.installBundles(bundles)).toEqual([]);
    expect(readdirSync(modelDir)).toEqual([]);
    swapTo({ title: 'Retitled during the copy' });
    expect(core.models.installBundles(bundles)).toEqual([`${NAME} ${meta.version as string}`]);
    const { id } = versionOf(core);
    expect((await call(core, 'models.list', {})).find((m) => m.name === NAME)!.title).toBe('Retitled during the copy');
    expect((await call(core, 'models.get', { versionId: id })).metadata.title).toBe('Retitled during the copy');
  });

  it('removes the folder a registration copied when the registry insert fails, and only that one', async () => {
    const { core, home, bundles } = setup(false);
    const modelDir = join(home, 'models', NAME);
    const version = (JSON.parse(readFileSync(join(shipped, 'metadata.json'), 'utf8')) as { version: string }).version;
    // A folder this registration did not create holds the version's name (a leftover the next start
    // would sweep): the copy goes beside it, and only the copy is removed.
    cpSync(shipped, join(modelDir, version), { recursive: true });
    core.store.db.exec(
      `CREATE TEMP TRIGGER refuse_versions BEFORE INSERT ON main.model_versions BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    expect(core.models.installBundles(bundles)).toEqual([]);
    expect(readdirSync(modelDir)).toEqual([version]);
    expect(readdirSync(join(modelDir, version)).sort()).toEqual(readdirSync(shipped).sort());
    core.store.db.exec('DROP TRIGGER refuse_versions');
    expect(core.models.installBundles(bundles)).toHaveLength(1);
    expect(versionOf(core).dir).toBe(join(modelDir, `${version}-2`));
  });

  it('keeps the folder of a version whose row was committed when registration fails after the commit', async () => {
    const { core, bundles } = setup(false);
    const db = core.store.db;
    const pragma = db.pragma.bind(db);
    // durableTransaction restores the connection's synchronous setting after its commit: that fails.
    let failed = false;
    const spy = vi.spyOn(db, 'pragma').mockImplementation(((source: string, options?: { simple?: boolean }) => {
      if (!failed && /^synchronous = \d+$/.test(source)) {
        failed = true;
        throw new Error('disk I/O error after the commit');
      }
      return pragma(source, options);
    }) as typeof db.pragma);
    expect(core.models.installBundles(bundles)).toEqual([]);
    spy.mockRestore();
    expect(failed).toBe(true);
    // The row is committed (active): its files are still there, and it is served.
    const { id, dir } = versionOf(core);
    expect(readdirSync(dir).sort()).toEqual(readdirSync(shipped).sort());
    expect((await call(core, 'models.get', { versionId: id })).version.id).toBe(id);
  });
});
