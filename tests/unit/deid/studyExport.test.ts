import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OslerError } from '../../../native/contract/result.js';
import type { DcmDataset } from '../../../native/deid/dcmjs.js';
import { BASIC_PROFILE, profileAction } from '../../../native/deid/profile.js';
import { dateOffsetDays, remapUid, shiftDicomDate } from '../../../native/deid/pseudonyms.js';
import { exportStudyDeidentified, MANIFEST_FILE } from '../../../native/deid/studyExport.js';
import { parseDicom, readSegmentation } from '../../../native/dicom/index.js';
import { listAudit } from '../../../native/store/audit.js';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { importDicom } from '../../../native/store/dicomImport.js';
import { listInstances, listSeries, listStudies } from '../../../native/store/imaging.js';
import { dataDir, tempDir } from '../helpers.js';
import {
  copyData,
  dciodvfyErrors,
  findEncoded,
  instanceUids,
  PLANTED,
  plantedAbdomen,
  readDcm,
  rewrite,
  value,
  valuesOf,
} from './fixtures.js';

const data = dataDir();
const SECRET = new Uint8Array(32).fill(7);
const hasTool = (tool: string) => spawnSync('which', [tool]).status === 0;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}
const dcmFiles = (dir: string) => walk(dir).filter((f) => f.endsWith('.dcm'));

/** A data folder with a store into which `sources` were imported. */
async function storeWith(
  root: string,
  name: string,
  sources: string[],
  skipped = 0,
): Promise<{ home: string; store: StoreHandle }> {
  const home = join(root, name);
  mkdirSync(home, { recursive: true });
  const store = openStore(join(home, 'osler.sqlite'));
  const report = await importDicom(store.db, home, sources);
  expect(report.skipped).toBe(skipped);
  return { home, store };
}

describe('de-identification profile table', () => {
  it('holds Table E.1-1 rows with valid tags and actions, and the key attributes with the standard action', () => {
    expect(BASIC_PROFILE.length).toBeGreaterThan(600);
    for (const [tag, action, keyword] of BASIC_PROFILE) {
      expect(tag).toMatch(/^[0-9A-F]{8}$/);
      expect(['D', 'Z', 'X', 'U', 'Z/D', 'X/Z', 'X/D', 'X/Z/D', 'X/Z/U*']).toContain(action);
      expect(keyword).toMatch(/^[A-Za-z0-9]+$/);
    }
    expect(profileAction('00100010')).toBe('Z'); // Patient's Name
    expect(profileAction('00100020')).toBe('Z/D'); // Patient ID
    expect(profileAction('00080080')).toBe('X/Z/D'); // Institution Name
    expect(profileAction('00081155')).toBe('U'); // Referenced SOP Instance UID
    expect(profileAction('00081140')).toBe('X/Z/U*'); // Referenced Image Sequence
    expect(profileAction('60003000')).toBe('X'); // Overlay Data, repeating group
    expect(profileAction('00280010')).toBeNull(); // Rows: kept
  });

  it('derives UIDs under 2.25 from the secret and shifts dates by whole days', () => {
    const a = remapUid(SECRET, '1.2.3.4');
    expect(a).toMatch(/^2\.25\.[1-9]\d*$/);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(remapUid(SECRET, '1.2.3.4')).toBe(a);
    expect(remapUid(new Uint8Array(32).fill(8), '1.2.3.4')).not.toBe(a);
    expect(shiftDicomDate('20030417', -10)).toBe('20030407');
    expect(shiftDicomDate('20030301120000.5+0100', -1)).toBe('20030228120000.5+0100');
    expect(shiftDicomDate('2003', -400)).toBe('2002');
    expect(shiftDicomDate('notadate', 3)).toBeNull();
    const days = dateOffsetDays(SECRET, 'patient-1');
    expect(days).toBeLessThanOrEqual(-365);
    expect(dateOffsetDays(SECRET, 'patient-1')).toBe(days);
  });
});

describe.skipIf(!data)('de-identified study export (needs the shared data folder)', () => {
  const tmp = tempDir('osler-deid-');
  let abd: { home: string; store: StoreHandle };
  let sourceFiles: string[];
  let out: string;
  let report: ReturnType<typeof exportStudyDeidentified>;
  let studyId: number;

  beforeAll(async () => {
    sourceFiles = plantedAbdomen(data!, join(tmp.path, 'src-abdomen'));
    abd = await storeWith(tmp.path, 'home-abd', sourceFiles);
    studyId = listStudies(abd.store.db)[0]!.id;
    out = join(tmp.path, 'out-abd');
    report = exportStudyDeidentified(abd.store.db, abd.home, String(studyId), { out, actor: 'test', secret: SECRET });
  });
  afterAll(() => {
    abd?.store.close();
    tmp.cleanup();
  });

  it('writes every instance, a manifest and one audit row', () => {
    expect(report).toMatchObject({ instances: 4, series: 2, skipped: [], retainDates: false });
    const files = dcmFiles(out);
    expect(files).toHaveLength(4);
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(true);
    expect(walk(out).some((f) => f.includes('.tmp-'))).toBe(false);
    const audit = listAudit(abd.store.db, { action: 'export.deidentify', limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'test', targetKind: 'study', targetId: studyId });
    expect(audit[0]!.detail).toMatchObject({ instances: 4, retainDates: false });
  });

  it('leaves no identifying value of the source anywhere in the exported bytes', () => {
    const sourceUids = new Set<string>();
    for (const f of sourceFiles) {
      const { meta, dict } = readDcm(f);
      instanceUids(meta, sourceUids);
      instanceUids(dict, sourceUids);
    }
    expect(sourceUids.size).toBeGreaterThanOrEqual(8);
    const needles = [
      ...PLANTED.patientName.split('^'),
      PLANTED.patientName,
      PLANTED.patientId,
      PLANTED.birthDate,
      PLANTED.otherIds,
      PLANTED.institution,
      'Plantedhospital',
      'Plantedway',
      'Plantedref',
      'Plantedperf',
      'Plantedop',
      PLANTED.accession,
      PLANTED.station,
      PLANTED.studyId,
      PLANTED.privateText,
      'PLANTED_PRIVATE',
      'Müllerstraße',
      'Jörg',
      PLANTED.pacsHost,
      PLANTED.studyDate,
      '20160318', // the SEG's series and content date
      ...sourceUids,
    ];
    // The search finds what is there: every planted value is in the source bytes.
    const sourceBytes = Buffer.concat(sourceFiles.map((f) => readFileSync(f)));
    for (const n of needles) expect({ n, found: findEncoded(sourceBytes, n).length > 0 }).toEqual({ n, found: true });
    const leaks: string[] = [];
    for (const f of [...dcmFiles(out), join(out, MANIFEST_FILE)]) {
      const bytes = readFileSync(f);
      for (const n of needles) for (const hit of findEncoded(bytes, n)) leaks.push(`${f.slice(out.length)}: ${hit}`);
    }
    expect(leaks).toEqual([]);
  });

  it("removes the real files' own identifiers too (unmodified abdomen CT and SEG)", async () => {
    const dir = join(tmp.path, 'src-real');
    copyData(data!, 'ct-abdomen-3slice', dir);
    const real = await storeWith(tmp.path, 'home-real', [dir]);
    try {
      const target = join(tmp.path, 'out-real');
      const r = exportStudyDeidentified(real.store.db, real.home, listStudies(real.store.db)[0]!.studyUid, {
        out: target,
        actor: 'test',
      });
      expect(r.instances).toBe(4);
      const uids = new Set<string>();
      for (const f of readdirSync(dir)) instanceUids(readDcm(join(dir, f)).dict, uids);
      // Patient name, accession number, study/series/acquisition dates, coordinating centre.
      const needles = ['JANCT000', '03086212', '20030417', '20160318', 'UIowa', ...uids];
      const sourceBytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
      for (const n of needles) expect(findEncoded(sourceBytes, n).length).toBeGreaterThan(0);
      const leaks = dcmFiles(target).flatMap((f) => needles.flatMap((n) => findEncoded(readFileSync(f), n)));
      expect(leaks).toEqual([]);
      for (const f of dcmFiles(target)) expect(value(readDcm(f).dict, '00100020')).not.toBe('99000');
    } finally {
      real.store.close();
    }
  });

  it('sets the de-identification attributes and keeps the clinical ones', () => {
    for (const f of dcmFiles(out)) {
      const { dict } = readDcm(f);
      expect(value(dict, '00120062')).toBe('YES');
      const codes = (dict['00120064']!.Value as DcmDataset[]).map((i) => value(i, '00080100'));
      expect(codes).toEqual(['113100']);
      expect(value(dict, '00280303')).toBe('REMOVED');
      expect(value(dict, '00100010')).toBe('');
      expect(value(dict, '00100020')).toMatch(/^DEID-[0-9A-F]{10}$/);
      expect(dict['00080080']).toBeUndefined();
      expect(dict['00101000']).toBeUndefined();
      expect(dict['00400275']).toBeUndefined();
      expect(value(dict, '00080020')).toBe('');
      expect(Object.keys(dict).filter((t) => parseInt(t.slice(0, 4), 16) % 2 === 1)).toEqual([]);
      expect(['CT', 'SEG']).toContain(value(dict, '00080060'));
      expect(dict['00280010']).toBeDefined();
    }
  });

  it('parses with the engine, and the SEG still references the new CT instances', async () => {
    const cts: Array<{ sop: string; series: string; study: string; frame: string }> = [];
    let seg: ReturnType<typeof parseDicom> | null = null;
    for (const f of dcmFiles(out)) {
      const ds = parseDicom(readFileSync(f));
      if (ds.string('Modality') === 'SEG') seg = ds;
      else
        cts.push({
          sop: ds.string('SOPInstanceUID')!,
          series: ds.string('SeriesInstanceUID')!,
          study: ds.string('StudyInstanceUID')!,
          frame: ds.string('FrameOfReferenceUID')!,
        });
    }
    expect(cts).toHaveLength(3);
    expect(seg).not.toBeNull();
    expect(new Set(cts.map((c) => c.series)).size).toBe(1);
    expect(new Set(cts.map((c) => c.study))).toEqual(new Set([seg!.string('StudyInstanceUID')]));
    expect(cts[0]!.frame).toBe(seg!.string('FrameOfReferenceUID'));
    const refSeries = seg!.sequence('ReferencedSeriesSequence');
    expect(refSeries.map((s) => s.string('SeriesInstanceUID'))).toEqual([cts[0]!.series]);
    const refs = refSeries[0]!.sequence('0008114A').map((r) => r.string('00081155'));
    expect(new Set(refs)).toEqual(new Set(cts.map((c) => c.sop)));
    const segmentation = await readSegmentation(
      seg!,
      cts.map((c) => ({ sopInstanceUid: c.sop })),
    );
    expect(segmentation.unmatchedFrames).toEqual([]);
    expect(segmentation.frames.length).toBeGreaterThan(0);
  });

  it('re-imports as one patient, one study and two series', async () => {
    // The manifest is the one file the import passes over.
    const again = await storeWith(tmp.path, 'home-reimport', [out], 1);
    try {
      const studies = listStudies(again.store.db);
      expect(studies).toHaveLength(1);
      expect(studies[0]!.patientKey).toMatch(/^DEID-/);
      expect(
        listSeries(again.store.db, studies[0]!.id)
          .map((s) => s.modality)
          .sort(),
      ).toEqual(['CT', 'SEG']);
      expect(studies[0]!.instanceCount).toBe(4);
    } finally {
      again.store.close();
    }
  });

  it.skipIf(!hasTool('dcmdump'))(
    'is read by dcmtk dcmdump without error (skipped where dcmdump is not installed)',
    () => {
      for (const f of dcmFiles(out)) {
        const r = spawnSync('dcmdump', ['-q', '+E', f], { encoding: 'utf8' });
        expect({ f, status: r.status, stderr: r.stderr }).toEqual({ f, status: 0, stderr: '' });
      }
    },
  );

  it.skipIf(!hasTool('dciodvfy'))(
    'adds no dciodvfy error over the source file (skipped where dicom3tools is not installed)',
    () => {
      const errors = dciodvfyErrors;
      // Compared with the original shared files (the planted copies were also written by dcmjs).
      const original = join(data!, 'dicom', 'ct-abdomen-3slice');
      const byModality = new Map<string, Set<string>>();
      for (const f of readdirSync(original))
        byModality.set(value(readDcm(join(original, f)).dict, '00080060'), errors(join(original, f)));
      expect(byModality.get('CT')!.size).toBeGreaterThan(0); // the check sees errors where there are some
      for (const f of dcmFiles(out)) {
        const before = byModality.get(value(readDcm(f).dict, '00080060'))!;
        const after = errors(f);
        const added = [...after].filter((e) => !before.has(e));
        expect({ f, added }).toEqual({ f, added: [] });
        expect(after.size).toBeLessThanOrEqual(before.size);
      }
    },
  );

  it('uses the same new UIDs for the same secret and different ones for another export', () => {
    const again = join(tmp.path, 'out-abd-again');
    const other = join(tmp.path, 'out-abd-other');
    const r1 = exportStudyDeidentified(abd.store.db, abd.home, String(studyId), {
      out: again,
      actor: 'test',
      secret: SECRET,
    });
    const r2 = exportStudyDeidentified(abd.store.db, abd.home, String(studyId), { out: other, actor: 'test' });
    expect(r1.studyUid).toBe(report.studyUid);
    expect(r2.studyUid).not.toBe(report.studyUid);
    expect(r2.studyUid).toMatch(/^2\.25\./);
  });

  it('shifts dates by one per-patient offset with --retain-dates', () => {
    const dir = join(tmp.path, 'out-abd-dates');
    const r = exportStudyDeidentified(abd.store.db, abd.home, String(studyId), {
      out: dir,
      actor: 'test',
      secret: SECRET,
      retainDates: true,
    });
    expect(r.retainDates).toBe(true);
    const pseudoKey = listStudies(abd.store.db)[0]!.patientKey;
    const days = dateOffsetDays(SECRET, pseudoKey);
    for (const f of dcmFiles(dir)) {
      const { dict } = readDcm(f);
      expect(value(dict, '00080020')).toBe(shiftDicomDate(PLANTED.studyDate, days));
      expect(value(dict, '00100030')).toBe(''); // birth date is never retained
      expect(value(dict, '00280303')).toBe('MODIFIED');
      const codes = (dict['00120064']!.Value as DcmDataset[]).map((i) => value(i, '00080100'));
      expect(codes).toContain('113107');
      if (value(dict, '00080060') === 'SEG') expect(value(dict, '00080021')).toBe(shiftDicomDate('20160318', days));
      const bytes = readFileSync(f);
      expect(findEncoded(bytes, PLANTED.studyDate)).toEqual([]);
      expect(findEncoded(bytes, PLANTED.birthDate)).toEqual([]);
    }
  });

  it('refuses an export into a folder that is not empty', () => {
    expect(() => exportStudyDeidentified(abd.store.db, abd.home, String(studyId), { out, actor: 'test' })).toThrowError(
      /not empty/,
    );
  });

  it('answers not-found for an unknown study', () => {
    let error: unknown;
    try {
      exportStudyDeidentified(abd.store.db, abd.home, '1.2.3.999', { out: join(tmp.path, 'x'), actor: 'test' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OslerError);
    expect((error as OslerError).code).toBe('not-found');
    expect(existsSync(join(tmp.path, 'x'))).toBe(false);
  });

  it('refuses images flagged Burned In Annotation unless allowed, writing nothing', async () => {
    const dir = join(tmp.path, 'src-burned');
    mkdirSync(dir);
    const src = join(data!, 'dicom', 'ct-abdomen-3slice');
    for (const f of ['01.dcm', '02.dcm'])
      rewrite(join(src, f), join(dir, f), (ds) => {
        if (f === '02.dcm') ds['00280301'] = { vr: 'CS', Value: ['YES'] };
      });
    const burned = await storeWith(tmp.path, 'home-burned', [dir]);
    try {
      const id = String(listStudies(burned.store.db)[0]!.id);
      const target = join(tmp.path, 'out-burned');
      let error: unknown;
      try {
        exportStudyDeidentified(burned.store.db, burned.home, id, { out: target, actor: 'test' });
      } catch (e) {
        error = e;
      }
      expect((error as OslerError).code).toBe('conflict');
      expect((error as Error).message).toMatch(/Burned In Annotation YES/);
      expect(existsSync(target)).toBe(false);
      expect(listAudit(burned.store.db, { action: 'export.deidentify', limit: 5 })).toHaveLength(0);
      const r = exportStudyDeidentified(burned.store.db, burned.home, id, {
        out: target,
        actor: 'test',
        allowBurnedIn: true,
      });
      expect(r).toMatchObject({ instances: 2, burnedIn: 1 });
    } finally {
      burned.store.close();
    }
  });

  it('drops private attributes except the safe list (GE head CT)', async () => {
    const dir = join(tmp.path, 'src-head');
    copyData(data!, 'ct-head-ge', dir);
    const head = await storeWith(tmp.path, 'home-head', [dir]);
    try {
      const target = join(tmp.path, 'out-head');
      const r = exportStudyDeidentified(head.store.db, head.home, listStudies(head.store.db)[0]!.studyUid, {
        out: target,
        actor: 'test',
      });
      expect(r.instances).toBe(28);
      const files = dcmFiles(target);
      const { dict } = readDcm(files[0]!);
      const privates = Object.keys(dict)
        .filter((t) => parseInt(t.slice(0, 4), 16) % 2 === 1)
        .sort();
      expect(privates).toEqual(['00190010', '00191023', '00191024', '00191027']);
      expect(value(dict, '00190010')).toBe('GEMS_ACQU_01');
      const codes = (dict['00120064']!.Value as DcmDataset[]).map((i) => value(i, '00080100'));
      expect(codes).toEqual(['113100', '113111']);
      const sourceUids = new Set<string>();
      for (const f of readdirSync(dir)) instanceUids(readDcm(join(dir, f)).dict, sourceUids);
      for (const f of files) {
        const bytes = readFileSync(f);
        const leaks = [...sourceUids, 'GEMS_PARM_01', 'GEMS_IMAG_01', 'ALIZAAE'].flatMap((u) => findEncoded(bytes, u));
        expect(leaks).toEqual([]);
        parseDicom(bytes);
      }
      if (hasTool('dcmdump'))
        for (const f of files) expect(spawnSync('dcmdump', ['-q', '+E', f], { encoding: 'utf8' }).status).toBe(0);
      if (hasTool('dciodvfy')) {
        const before = new Set(readdirSync(dir).flatMap((f) => [...dciodvfyErrors(join(dir, f))]));
        const after = new Set(files.slice(0, 5).flatMap((f) => [...dciodvfyErrors(f)]));
        expect([...after].filter((e) => !before.has(e))).toEqual([]);
        // The source's empty De-identification Method (Type 1C) is an error the export fixes.
        expect(before.size).toBeGreaterThan(after.size);
      }
    } finally {
      head.store.close();
    }
  });

  it("keeps an RTSTRUCT's references to its CT on the new UIDs (phantom CT + RTSTRUCT)", async () => {
    const dir = join(tmp.path, 'src-rt');
    copyData(data!, 'ct-phantom-rtstruct', dir);
    const rt = await storeWith(tmp.path, 'home-rt', [dir]);
    try {
      const target = join(tmp.path, 'out-rt');
      const r = exportStudyDeidentified(rt.store.db, rt.home, String(listStudies(rt.store.db)[0]!.id), {
        out: target,
        actor: 'test',
      });
      expect(r.instances).toBe(3);
      const outputs = dcmFiles(target).map((f) => ({ f, ...readDcm(f) }));
      const ctSops = new Set(
        outputs.filter((o) => value(o.dict, '00080060') === 'CT').map((o) => value(o.dict, '00080018')),
      );
      const rtOut = outputs.find((o) => value(o.dict, '00080060') === 'RTSTRUCT')!;
      // Every reference to a CT image names one of the exported CT instances by its new UID.
      const ctRefs: string[] = [];
      const walkRefs = (ds: DcmDataset) => {
        if (value(ds, '00081150') === '1.2.840.10008.5.1.4.1.1.2') ctRefs.push(value(ds, '00081155'));
        for (const e of Object.values(ds))
          if (e.vr === 'SQ') for (const item of e.Value as DcmDataset[]) walkRefs(item);
      };
      walkRefs(rtOut.dict);
      expect(ctRefs.length).toBeGreaterThanOrEqual(2);
      for (const ref of ctRefs) expect(ctSops.has(ref)).toBe(true);
      expect(valuesOf(rtOut.dict, '00081155').every((u) => u.startsWith('2.25.'))).toBe(true);
      const sourceUids = new Set<string>();
      for (const f of readdirSync(dir)) instanceUids(readDcm(join(dir, f)).dict, sourceUids);
      for (const o of outputs) expect([...sourceUids].flatMap((u) => findEncoded(readFileSync(o.f), u))).toEqual([]);
      if (hasTool('dciodvfy')) {
        const before = new Set(readdirSync(dir).flatMap((f) => [...dciodvfyErrors(join(dir, f))]));
        const added = outputs.flatMap((o) => [...dciodvfyErrors(o.f)]).filter((e) => !before.has(e));
        expect(added).toEqual([]);
      }
    } finally {
      rt.store.close();
    }
  });
});

describe.skipIf(!data)('a failed de-identified export (needs the shared data folder)', () => {
  const tmp = tempDir('osler-deid-fail-');
  afterAll(() => tmp.cleanup());

  it('refuses a managed file changed since import and leaves no file behind', async () => {
    const src = join(tmp.path, 'src');
    copyData(data!, 'ct-abdomen-3slice', src);
    const home = join(tmp.path, 'home');
    mkdirSync(home);
    const store = openStore(join(home, 'osler.sqlite'));
    try {
      await importDicom(store.db, home, [src]);
      const study = listStudies(store.db)[0]!;
      // Cut the pixel data of the instance exported last, after import: its header still reads, so
      // the export has written the others when it meets it.
      const series = listSeries(store.db, study.id);
      const last = listInstances(store.db, series.at(-1)!.id).at(-1)!;
      const managed = join(home, last.path);
      const bytes = readFileSync(managed);
      writeFileSync(managed, bytes.subarray(0, bytes.length - 4000));
      const out = join(tmp.path, 'out');
      expect(() => exportStudyDeidentified(store.db, home, String(study.id), { out, actor: 'test' })).toThrow(
        /changed since it was imported/,
      );
      expect(existsSync(out)).toBe(false);
      const empty = join(tmp.path, 'empty');
      mkdirSync(empty);
      expect(() => exportStudyDeidentified(store.db, home, String(study.id), { out: empty, actor: 'test' })).toThrow();
      expect(readdirSync(empty)).toEqual([]);
      expect(listAudit(store.db, { action: 'export.deidentify', limit: 5 })).toHaveLength(0);
    } finally {
      store.close();
    }
  });
});
