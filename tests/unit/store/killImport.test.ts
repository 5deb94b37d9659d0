// DICOM and vitals imports SIGKILLed at random points in a child process (the notes import has
// its own runs in tests/unit/text/killImport.test.ts). After each kill: the store passes
// integrity_check, every instance row points at a whole file with its recorded size and hash,
// the next start removes what the killed import wrote without committing, and finally a re-run
// completes with exactly the counts of an uninterrupted import.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../native/store/database.js';
import { importDicom } from '../../../native/store/dicomImport.js';
import { sweepPendingFiles } from '../../../native/store/pendingFiles.js';
import { importVitals } from '../../../native/vitals/vitalsImport.js';
import { dataDir, tempDir } from '../helpers.js';

const root = join(import.meta.dirname, '..', '..', '..');
const data = dataDir();
const RUNS = 8;

/** Seeded so a failure names a reproducible kill point. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Starts `body` (an import, with `report()` called on each progress event) in a child process
 * and SIGKILLs it once it has reported `afterEvents` progress events and `delayMs` more passed.
 * Resolves with the number of progress events seen and whether the import finished first.
 */
function killedChild(
  body: string,
  afterEvents: number,
  delayMs: number,
): Promise<{ events: number; finished: boolean }> {
  const code = `
    const report = () => process.stdout.write('p\\n');
    ${body}
    process.stdout.write('done\\n');
  `;
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let events = 0;
    let finished = false;
    let armed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line === 'p') events++;
        if (line === 'done') finished = true;
      }
      if (!armed && events >= afterEvents) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', () => resolvePromise({ events, finished }));
  });
}

const mod = (path: string) => JSON.stringify(join(root, path));

/** Files under `dir` (relative, forward slashes), recursively. */
function filesUnder(dir: string, base = dir): string[] {
  let out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(filesUnder(full, base));
    else out.push(relative(base, full).split('\\').join('/'));
  }
  return out.sort();
}

describe.skipIf(data === null)('imports killed with SIGKILL (real shared data)', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it(`DICOM: ${RUNS} kills at random points leave no row without its whole file and no orphan after the next start`, async () => {
    const source = join(data!, 'dicom');
    // The counts of an uninterrupted import, in a separate data folder.
    const refHome = join(dir.path, 'ref');
    const ref = openStore(join(dir.path, 'ref.sqlite'));
    const expected = await importDicom(ref.db, refHome, [source], { actor: 'test' });
    const expectedInstances = ref.db.prepare('SELECT count(*) FROM instances').pluck().get() as number;
    const expectedSeries = ref.db.prepare('SELECT count(*) FROM series').pluck().get() as number;
    ref.close();
    expect(expectedInstances).toBeGreaterThan(50);

    const random = rng(20261128);
    const stored: number[] = [];
    let orphansSwept = 0;
    for (let run = 0; run < RUNS; run++) {
      // A fresh store each run, so the kills land at different depths of the same import.
      const home = join(dir.path, `home-${run}`);
      const file = join(dir.path, `dicom-${run}.sqlite`);
      const body = `
        const { openStore } = await import(${mod('native/store/database.ts')});
        const { importDicom } = await import(${mod('native/store/dicomImport.ts')});
        const s = openStore(${JSON.stringify(file)});
        report();
        await importDicom(s.db, ${JSON.stringify(home)}, [${JSON.stringify(source)}], { actor: 'kill', onProgress: report, batchSize: 8 });
      `;
      // Progress comes every 16 files (about 6 events); kill after a random one, a little later.
      await killedChild(body, 1 + Math.floor(random() * 6), Math.floor(random() * 40));
      const db = new Database(file);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const rows = db.prepare('SELECT path, size_bytes, sha256 FROM instances').all() as Array<{
          path: string;
          size_bytes: number;
          sha256: string;
        }>;
        for (const r of rows) {
          const bytes = readFileSync(join(home, r.path));
          expect(bytes.length, r.path).toBe(r.size_bytes);
          expect(createHash('sha256').update(bytes).digest('hex'), r.path).toBe(r.sha256);
        }
        stored.push(rows.length);
        // The next start: whatever the killed import wrote without a row goes.
        orphansSwept += sweepPendingFiles(db, home).files;
        const onDisk = filesUnder(join(home, 'files', 'dicom'));
        expect(onDisk.filter((f) => f.includes('.tmp-'))).toEqual([]);
        const referenced = new Set(rows.map((r) => r.path.replace(/^files\/dicom\//, '')));
        expect(onDisk.filter((f) => !referenced.has(f))).toEqual([]);
        expect(db.prepare('SELECT count(*) FROM pending_files').pluck().get()).toBe(0);
      } finally {
        db.close();
      }
      // Re-running the import completes with exactly the uninterrupted counts.
      const store = openStore(file);
      try {
        const again = await importDicom(store.db, home, [source], { actor: 'test' });
        expect(again.filesSeen).toBe(expected.filesSeen);
        expect(again.skipped).toBe(expected.skipped);
        expect(again.imported + again.duplicates).toBe(expected.imported + expected.duplicates);
        expect(store.db.prepare('SELECT count(*) FROM instances').pluck().get()).toBe(expectedInstances);
        expect(store.db.prepare('SELECT count(*) FROM series').pluck().get()).toBe(expectedSeries);
        expect(filesUnder(join(home, 'files', 'dicom'))).toHaveLength(
          store.db.prepare('SELECT count(DISTINCT path) FROM instances').pluck().get() as number,
        );
        expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        store.close();
      }
    }
    console.log(
      `DICOM instances after each kill: ${stored.join(', ')} of ${expectedInstances}; orphans swept: ${orphansSwept}`,
    );
    // The kills landed in different places, at least one of them mid-import.
    expect(
      stored.some((n) => n > 0 && n < expectedInstances),
      `instances after each kill: ${stored.join(', ')}`,
    ).toBe(true);
    expect(new Set(stored).size).toBeGreaterThan(2);
  }, 120_000);

  describe('vitals', () => {
    const folder = join(dir.path, 'vitals');
    const STAYS = 150;
    // Seven headers in six folders (the 2015 challenge folder holds two records).
    const WFDB = 7;
    beforeAll(() => {
      // All seven WFDB records and the first 150 set-A stays with their outcome rows.
      mkdirSync(join(folder, 'set-a'), { recursive: true });
      symlinkSync(join(data!, 'vitals', 'wfdb'), join(folder, 'wfdb'));
      const stays = readdirSync(join(data!, 'vitals', 'physionet2012', 'set-a'))
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .slice(0, STAYS);
      for (const f of stays) symlinkSync(join(data!, 'vitals', 'physionet2012', 'set-a', f), join(folder, 'set-a', f));
      const ids = new Set(stays.map((f) => f.replace(/\.txt$/, '')));
      const outcomes = readFileSync(join(data!, 'vitals', 'physionet2012', 'Outcomes-a.txt'), 'utf8').split('\n');
      writeFileSync(
        join(folder, 'Outcomes-a.txt'),
        [outcomes[0], ...outcomes.slice(1).filter((l) => ids.has(l.split(',')[0]!))].join('\n') + '\n',
      );
    });

    it(`${RUNS} kills at random points: intact store, whole records only, exact counts after a re-run`, async () => {
      const ref = openStore(':memory:');
      const expected = await importVitals(ref.db, { path: folder, actor: 'test' });
      const count = (db: Database.Database, table: string) =>
        db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      const expectedCounts = Object.fromEntries(
        ['recordings', 'signals', 'signal_chunks', 'recording_annotations', 'labels'].map((t) => [t, count(ref.db, t)]),
      );
      ref.close();
      expect(expected.records).toBe(STAYS + WFDB);

      const random = rng(1128);
      const seen: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const file = join(dir.path, `vitals-${run}.sqlite`);
        const body = `
          const { openStore } = await import(${mod('native/store/database.ts')});
          const { importVitals } = await import(${mod('native/vitals/vitalsImport.ts')});
          const s = openStore(${JSON.stringify(file)});
          report();
          await importVitals(s.db, { path: ${JSON.stringify(folder)}, actor: 'kill', batchSize: 10 }, { onProgress: report });
        `;
        // Seven WFDB records then batches of ten stays report progress; kill after a random one.
        await killedChild(body, 1 + Math.floor(random() * (WFDB + STAYS / 10)), Math.floor(random() * 15));
        const db = new Database(file);
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          // A recording is committed whole: every signal has exactly the samples its chunks hold.
          const partial = db
            .prepare(
              `SELECT count(*) FROM signals s WHERE s.sample_count !=
                 (SELECT coalesce(sum(c.sample_count), 0) FROM signal_chunks c WHERE c.signal_id = s.id)`,
            )
            .pluck()
            .get();
          expect(partial).toBe(0);
          expect(
            db
              .prepare(
                'SELECT count(*) FROM recordings r WHERE NOT EXISTS (SELECT 1 FROM signals s WHERE s.recording_id = r.id)',
              )
              .pluck()
              .get(),
          ).toBe(0);
          seen.push(count(db, 'recordings'));
        } finally {
          db.close();
        }
        const store = openStore(file);
        try {
          const again = await importVitals(store.db, { path: folder, actor: 'test' });
          expect(again.records).toBe(STAYS + WFDB);
          expect(again.failed).toBe(expected.failed);
          for (const [t, n] of Object.entries(expectedCounts)) expect(count(store.db, t), t).toBe(n);
          expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
        } finally {
          store.close();
        }
      }
      console.log(`vitals recordings after each kill: ${seen.join(', ')} of ${STAYS + WFDB}`);
      expect(
        seen.some((n) => n > 0 && n < STAYS + WFDB),
        `recordings after each kill: ${seen.join(', ')}`,
      ).toBe(true);
      expect(new Set(seen).size).toBeGreaterThan(2);
    }, 120_000);
  });
});
