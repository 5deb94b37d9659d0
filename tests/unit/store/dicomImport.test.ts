import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { checkImportSource, importDicom } from '../../../native/store/dicomImport.js';
import { listInstances, listSeries, listStudies } from '../../../native/store/imaging.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const headCt = data && join(data, 'dicom', 'ct-head-ge');

function managedFiles(home: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(join(dir, e.name));
    }
  };
  walk(join(home, 'files'));
  return out;
}

describe('DICOM import', () => {
  let tmp: { path: string; cleanup(): void };
  let store: StoreHandle;
  let home: string;

  beforeEach(() => {
    tmp = tempDir();
    home = join(tmp.path, 'home');
    mkdirSync(home);
    store = openStore(join(home, 'osler.sqlite'));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it.skipIf(!headCt)('imports the head CT into one patient, study and series, ordered by geometry', async () => {
    const progress: number[] = [];
    const report = await importDicom(store.db, home, [headCt!], { onProgress: (p) => progress.push(p.filesSeen) });
    expect(report).toMatchObject({ filesSeen: 28, imported: 28, duplicates: 0, skipped: 0 });
    expect(progress.at(-1)).toBe(28);
    const studies = listStudies(store.db);
    expect(studies).toHaveLength(1);
    expect(studies[0]).toMatchObject({ modalities: 'CT', seriesCount: 1, instanceCount: 28 });
    const [series] = listSeries(store.db, studies[0]!.id);
    expect(series).toMatchObject({ modality: 'CT', rows: 512, columns: 512, frameCount: 28, instanceCount: 28 });
    const geometry = series!.geometry as { order: number[]; sortedBy: string; tiltDeg: number; issues: string[] };
    expect(geometry.sortedBy).toBe('position');
    expect(geometry.order).toHaveLength(28);
    expect(new Set(geometry.order)).toEqual(new Set(listInstances(store.db, series!.id).map((i) => i.id)));
    expect(geometry.issues).toContain('gantry-tilt');
    expect(geometry.tiltDeg).toBeGreaterThan(10);
    const files = managedFiles(home);
    expect(files).toHaveLength(28);
    expect(files.every((f) => /\/files\/dicom\/[0-9a-f]{2}\/[0-9a-f]{64}\.dcm$/.test(f))).toBe(true);
    // Managed copies are byte-identical to the sources.
    const first = listInstances(store.db, series!.id)[0]!;
    const source = readdirSync(headCt!).map((n) => readFileSync(join(headCt!, n)));
    expect(source.some((b) => b.equals(readFileSync(join(home, first.path))))).toBe(true);
    expect(store.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'import.dicom'").get()).toEqual({ n: 1 });
  });

  it.skipIf(!headCt)('changes nothing when the same folder is imported twice', async () => {
    await importDicom(store.db, home, [headCt!]);
    const before = store.db.prepare('SELECT count(*) AS n FROM instances').get();
    const again = await importDicom(store.db, home, [headCt!]);
    expect(again).toMatchObject({ filesSeen: 28, imported: 0, duplicates: 28, skipped: 0 });
    expect(store.db.prepare('SELECT count(*) AS n FROM instances').get()).toEqual(before);
    expect(managedFiles(home)).toHaveLength(28);
    expect(listStudies(store.db)).toHaveLength(1);
  });

  it.skipIf(!headCt)('identifies DICOM by content, skips junk with a reason per file, survives loops', async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(join(src, 'nested', 'deeper'), { recursive: true });
    const names = readdirSync(headCt!).sort();
    copyFileSync(join(headCt!, names[0]!), join(src, 'IM0001')); // no suffix
    copyFileSync(join(headCt!, names[1]!), join(src, 'nested', 'deeper', 'slice.DCM'));
    copyFileSync(join(headCt!, names[1]!), join(src, 'nested', 'copy-of-slice')); // same SOP twice
    const whole = readFileSync(join(headCt!, names[2]!));
    writeFileSync(join(src, 'truncated.dcm'), whole.subarray(0, Math.floor(whole.length / 2)));
    writeFileSync(join(src, 'notes.txt'), 'not an image\n');
    writeFileSync(join(src, 'empty.dcm'), '');
    writeFileSync(join(src, 'random.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    symlinkSync(src, join(src, 'nested', 'loop'));
    const report = await importDicom(store.db, home, [src]);
    expect(report.imported).toBe(2);
    expect(report.duplicates).toBe(1);
    const reasons = Object.fromEntries(report.skippedFiles.map((s) => [s.path.slice(src.length + 1), s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['empty.dcm', 'notes.txt', 'random.bin', 'truncated.dcm']);
    expect(reasons['notes.txt']).toBe('not a DICOM file');
    expect(reasons['empty.dcm']).toBe('empty file');
    expect(reasons['truncated.dcm']).toMatch(/^(truncated|bad-length)/);
    expect(managedFiles(home).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('refuses a source that does not exist with a clear error', async () => {
    await expect(importDicom(store.db, home, [join(tmp.path, 'nope')])).rejects.toThrow(/cannot read .*nope/);
  });

  const tiny = data && join(data, 'dicom', 'ct-tiny-series');
  const hasDcmmkdir = spawnSync('dcmmkdir', ['--version']).status === 0;
  it.skipIf(!tiny || !hasDcmmkdir)('follows a DICOMDIR to the files it lists', async () => {
    const media = join(tmp.path, 'media');
    mkdirSync(join(media, 'IMAGES'), { recursive: true });
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else files.push(join(dir, e.name));
      }
    };
    walk(tiny!);
    files.slice(0, 4).forEach((f, i) => copyFileSync(f, join(media, 'IMAGES', `IM${String(i).padStart(6, '0')}`)));
    execFileSync('dcmmkdir', ['--recurse', '--invent', '-Pgp', '+D', join(media, 'DICOMDIR'), 'IMAGES'], {
      cwd: media,
      stdio: 'pipe',
    });
    const report = await importDicom(store.db, home, [join(media, 'DICOMDIR')]);
    expect(report.imported).toBe(4);
    expect(report.skipped).toBe(0);
  });
  it('refuses filesystem roots and system folders before reading anything', async () => {
    for (const p of ['/', '/proc', '/usr/lib', '/etc/'])
      await expect(importDicom(store.db, home, [p])).rejects.toMatchObject({ code: 'invalid-input' });
    expect(() => checkImportSource('/')).toThrow(/filesystem root/);
    expect(() => checkImportSource('/sys/class')).toThrow(/system folder/);
    expect(() => checkImportSource(tmp.path)).not.toThrow();
    expect(store.db.prepare('SELECT count(*) FROM instances').pluck().get()).toBe(0);
  });

  it.skipIf(!data)('stops a walk past maxFiles with a clear error, keeping what it committed', async () => {
    const error = await importDicom(store.db, home, [join(data!, 'dicom')], { maxFiles: 20, batchSize: 4 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/stopped after 20 files/) });
    const kept = store.db.prepare('SELECT count(*) FROM instances').pluck().get() as number;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(20);
    expect(store.db.prepare('SELECT count(*) FROM pending_files').pluck().get()).toBe(0);
  });

  it.skipIf(!headCt)('never reads the data folder back in when it lies inside the source', async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (const f of readdirSync(headCt!).slice(0, 3)) copyFileSync(join(headCt!, f), join(src, f));
    const inner = join(src, 'osler-home');
    const first = await importDicom(store.db, inner, [src]);
    expect(first.imported).toBe(3);
    const again = await importDicom(store.db, inner, [src]);
    expect(again.filesSeen).toBe(3);
    expect(again.duplicates).toBe(3);
  });
});
