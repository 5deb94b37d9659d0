// Case store benchmarks on the real shared data: DICOM import rate, notes import rate, FTS query
// latency (real notes, then 100,000 notes resampled from them), worklist latency over 100,000
// notes plus 100,000 studies, bytes per note, peak RSS while importing, and the vitals import.
// Prints `name: value unit` lines. Temporary stores only.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { openStore, type StoreHandle } from '../../native/store/database.js';
import { searchNotes } from '../../native/store/notes.js';
import { listWorklist } from '../../native/store/worklist.js';
import { importNotes } from '../../native/text/notesImport.js';
import { importVitals } from '../../native/vitals/vitalsImport.js';
import { importDicom } from '../../native/store/dicomImport.js';

const data = resolve(process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const work = mkdtempSync(join(tmpdir(), 'osler-bench-'));
const print = (name: string, value: number, unit: string) => console.log(`store.${name}: ${+value.toFixed(3)} ${unit}`);

const QUERIES = [
  'myocardial infarction',
  'chest pain',
  'diabetes',
  'fracture',
  '"blood pressure"',
  'tumor',
  'pneumonia',
  'hypertension',
  'migraine',
  'renal failure',
  'carcinoma',
  'infection',
  'patient',
  'knee arthroscopy',
  'cardi*',
  'headache OR migraine',
  'abdominal pain',
  'colonoscopy',
  'stroke',
  'seizure',
];

function fresh(name: string): StoreHandle {
  const file = join(work, `${name}.sqlite`);
  return openStore(file);
}

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** CPU ms (user + system) of this thread since `from`: unlike wall time, not inflated by other processes on a busy machine. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function ftsLatency(store: StoreHandle, rounds: number): { p50: number; p95: number; cpuP95: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++)
    for (const q of QUERIES) {
      const c = process.cpuUsage();
      const t = performance.now();
      searchNotes(store.db, q, { limit: 20 });
      times.push(performance.now() - t);
      cpu.push(cpuMs(c));
    }
  return { p50: pct(times, 50), p95: pct(times, 95), cpuP95: pct(cpu, 95) };
}

function worklistLatency(store: StoreHandle): { p50: number; p95: number; cpuP95: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  const deep = listWorklist(store.db, { sort: 'date', limit: 500, offset: 0 }).nextCursor ?? undefined;
  const queries = [
    { sort: 'date' as const, limit: 100, offset: 0 },
    { sort: 'priority' as const, limit: 100, offset: 0 },
    { sort: 'date' as const, limit: 100, offset: 0, labelState: 'unlabelled' as const, task: 'condition' },
    { sort: 'date' as const, limit: 100, offset: 0, patientKey: 'P42' },
    { kinds: ['study' as const], sort: 'date' as const, limit: 100, offset: 0, modality: 'CT' },
    { kinds: ['study' as const], sort: 'date' as const, limit: 100, offset: 0, labelState: 'disputed' as const },
    { kinds: ['study' as const], sort: 'priority' as const, limit: 100, offset: 0, labelState: 'unlabelled' as const },
    { sort: 'date' as const, limit: 100, offset: 0, dateFrom: '2015-01-01', dateTo: '2016-01-01' },
    { sort: 'date' as const, limit: 100, offset: 0, ...(deep ? { cursor: deep } : {}) },
  ];
  for (let r = 0; r < 10; r++)
    for (const q of queries) {
      const c = process.cpuUsage();
      const t = performance.now();
      listWorklist(store.db, q);
      times.push(performance.now() - t);
      cpu.push(cpuMs(c));
    }
  return { p50: pct(times, 50), p95: pct(times, 95), cpuP95: pct(cpu, 95) };
}

/**
 * 100,000 studies (5,000 patients, eight modality mixes, dates over 15 years), half with a label
 * and a tenth with a model score, written straight to the tables: the worklist reads only these
 * rows, and importing 100,000 real DICOM files is not possible from the shared data.
 */
function addStudies(store: StoreHandle, n: number): void {
  let seed = 7;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const mods = ['CT', 'MR', 'CR', 'US', 'CT\\SEG', 'MR\\SR', 'DX', 'NM'];
  const db = store.db;
  db.prepare("INSERT INTO models (name, task, family) VALUES ('bench', 'finding', 'image')").run();
  const version = Number(
    db
      .prepare(
        "INSERT INTO model_versions (model_id, version, state, path, metadata_json) VALUES (1, '1', 'active', 'm', '{}')",
      )
      .run().lastInsertRowid,
  );
  db.transaction(() => {
    const pat = db.prepare(
      'INSERT INTO patients (patient_key) VALUES (?) ON CONFLICT (patient_key) DO UPDATE SET name = name RETURNING id',
    );
    const st = db.prepare(
      'INSERT INTO studies (patient_id, study_uid, study_date, description, accession_number, modalities) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const lab = db.prepare(
      "INSERT INTO labels (target_kind, target_id, task, value, source) VALUES ('study', ?, 'finding', ?, 'imported')",
    );
    const pred = db.prepare(
      "INSERT INTO predictions (model_version_id, target_kind, target_id, output_json, score) VALUES (?, 'study', ?, '{}', ?)",
    );
    for (let i = 0; i < n; i++) {
      const p = (pat.get(`P${Math.floor(rnd() * 5000)}`) as { id: number }).id;
      const date = `20${10 + Math.floor(rnd() * 15)}0${1 + Math.floor(rnd() * 9)}1${Math.floor(rnd() * 9)}`;
      const mod = mods[Math.floor(rnd() * mods.length)]!;
      const id = Number(st.run(p, `1.2.826.0.1.${i}`, date, `Study ${i}`, `A${i}`, mod).lastInsertRowid);
      if (rnd() < 0.5) lab.run(id, rnd() < 0.5 ? 'normal' : 'abnormal');
      if (rnd() < 0.1) pred.run(version, id, rnd());
    }
  })();
}

async function main(): Promise<void> {
  // Wall-time figures on a shared machine include waiting for the CPU: print the load with them.
  print('load_average_1min', loadavg()[0]!, '');
  // 0. DICOM: every shared folder, copied into a fresh data folder.
  {
    const home = join(work, 'dicom-home');
    const d = fresh('dicom');
    const t0 = performance.now();
    const r = await importDicom(d.db, home, [join(data, 'dicom')], { actor: 'bench' });
    const secs = (performance.now() - t0) / 1000;
    print('import_dicom_files', r.filesSeen, 'files');
    print('import_dicom_files_per_s', r.filesSeen / secs, 'files/s');
    d.close();
  }

  // 1. Real abstracts and mtsamples.
  const real = fresh('real');
  let t = performance.now();
  const abs = await importNotes(real.db, {
    path: join(data, 'text/medical-abstracts/abstracts.csv'),
    labelCol: ['condition_label'],
    labelTask: ['condition'],
    actor: 'bench',
  });
  let s = (performance.now() - t) / 1000;
  print('notes_import_abstracts_notes_per_s', abs.records / s, 'notes/s');
  print('notes_import_abstracts_mb_per_s', abs.totalBytes / 1e6 / s, 'MB/s');
  t = performance.now();
  let mt = 0;
  let mtBytes = 0;
  for (let i = 1; i <= 5; i++) {
    const r = await importNotes(real.db, {
      path: join(data, `text/mtsamples/mtsamples_part${i}.csv`),
      textCol: ['transcription'],
      labelCol: ['medical_specialty'],
      labelTask: ['specialty'],
      titleCol: 'sample_name',
      actor: 'bench',
    });
    mt += r.records;
    mtBytes += r.totalBytes;
  }
  s = (performance.now() - t) / 1000;
  print('notes_import_mtsamples_notes_per_s', mt / s, 'notes/s');
  print('notes_import_mtsamples_mb_per_s', mtBytes / 1e6 / s, 'MB/s');
  const small = ftsLatency(real, 10);
  print(`fts_query_p50_ms_${abs.records + mt}_notes`, small.p50, 'ms');
  print(`fts_query_p95_ms_${abs.records + mt}_notes`, small.p95, 'ms');

  // 2. 100,000 notes resampled from the real ones (sentences shuffled), with patients, dates, labels.
  const sentences = (real.db.prepare('SELECT text FROM notes').pluck().all() as string[])
    .flatMap((n) => n.split(/(?<=[.!?])\s+/))
    .filter((x) => x.length > 20 && x.length < 600);
  real.close();
  const csv = join(work, 'notes100k.csv');
  const out = createWriteStream(csv);
  let seed = 42;
  // mulberry32: small, seeded, uniform enough for resampling.
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const N = Number(process.env.OSLER_BENCH_NOTES ?? 100_000);
  out.write('id,patient,date,text,condition\n');
  for (let i = 0; i < N; i++) {
    const k = 3 + Math.floor(rnd() * 6);
    const text = Array.from({ length: k }, () => sentences[Math.floor(rnd() * sentences.length)]).join(' ');
    const date = `20${10 + Math.floor(rnd() * 15)}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`;
    if (
      !out.write(
        `${i},P${Math.floor(rnd() * 5000)},${date},"${text.replace(/"/g, '""')}",${1 + Math.floor(rnd() * 5)}\n`,
      )
    )
      await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const big = fresh('big');
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  t = performance.now();
  const b = await importNotes(big.db, {
    path: csv,
    patientCol: 'patient',
    dateCol: 'date',
    labelCol: ['condition'],
    actor: 'bench',
    batchSize: 1000,
  });
  s = (performance.now() - t) / 1000;
  clearInterval(timer);
  print(`notes_import_${N}_notes_per_s`, b.records / s, 'notes/s');
  print(`notes_import_${N}_mb_per_s`, b.totalBytes / 1e6 / s, 'MB/s');
  print(`notes_import_${N}_peak_rss_mb`, peak / 1e6, 'MB');
  print('peak_rss_mb', peak / 1e6, 'MB');
  big.db.pragma('wal_checkpoint(TRUNCATE)');
  print('db_bytes_per_note', statSync(join(work, 'big.sqlite')).size / b.records, 'bytes');
  const large = ftsLatency(big, 5);
  print(`fts_query_p50_ms_${N}_notes`, large.p50, 'ms');
  print(`fts_query_p95_ms_${N}_notes`, large.p95, 'ms');
  print('fts_query_p95_ms', large.p95, 'ms');
  print('fts_query_cpu_p95_ms', large.cpuP95, 'ms');
  addStudies(big, N);
  const wl = worklistLatency(big);
  print(`worklist_p50_ms_${N}_notes_${N}_studies`, wl.p50, 'ms');
  print(`worklist_p95_ms_${N}_notes_${N}_studies`, wl.p95, 'ms');
  print('worklist_p95_ms', wl.p95, 'ms');
  print('worklist_cpu_p95_ms', wl.cpuP95, 'ms');
  big.close();

  // 3. Vitals: all six WFDB folders and the 4,000 PhysioNet 2012 stays.
  const v = fresh('vitals');
  t = performance.now();
  const vs = await importVitals(v.db, { path: join(data, 'vitals'), actor: 'bench' });
  s = (performance.now() - t) / 1000;
  print('vitals_import_records', vs.records, 'records');
  print('vitals_import_s', s, 's');
  print('vitals_import_samples_per_s', vs.samples / s, 'samples/s');
  v.db.pragma('wal_checkpoint(TRUNCATE)');
  print('vitals_db_bytes_per_sample', statSync(join(work, 'vitals.sqlite')).size / vs.samples, 'bytes');
  v.close();
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
