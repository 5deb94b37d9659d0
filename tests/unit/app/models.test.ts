import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import type { EventPayload } from '../../../native/contract/index.js';
import { call, failure, tempDir } from '../helpers.js';

/** Renames onto an existing folder, which Windows refuses even when the folder is empty. */
const renamedOntoFolders = vi.hoisted(() => [] as string[]);
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof Fs>();
  return {
    ...real,
    renameSync: (from: Fs.PathLike, to: Fs.PathLike) => {
      if (real.statSync(to, { throwIfNoEntry: false })?.isDirectory()) renamedOntoFolders.push(String(to));
      real.renameSync(from, to);
    },
  };
});

/** Waits for a training run's final progress report. */
function finished(core: Core, runId: () => number): Promise<EventPayload<'models.trainingProgress'>> {
  return new Promise((resolve) => {
    const off = core.on('models.trainingProgress', (p) => {
      if (p.runId === runId() && (p.phase === 'done' || p.phase === 'failed' || p.phase === 'cancelled')) {
        off();
        resolve(p);
      }
    });
  });
}

const audits = (core: Core, action: string) =>
  core.store.db.prepare('SELECT COUNT(*) FROM audit WHERE action = ?').pluck().get(action) as number;

/**
 * Synthetic triage notes: 60 notes from 30 patients; "cardiology" notes talk about chest pain and
 * troponin, "neurology" notes about weakness and aphasia, with shared filler words.
 */
function notesCsv(): string {
  const cardio = ['chest pain radiating to the left arm', 'troponin raised, ST elevation', 'palpitations and syncope'];
  const neuro = [
    'sudden left sided weakness',
    'expressive aphasia and facial droop',
    'seizure with post ictal confusion',
  ];
  const rows = ['id,patient,text,specialty'];
  for (let i = 0; i < 60; i++) {
    const cardiology = i % 2 === 0;
    const phrase = (cardiology ? cardio : neuro)[i % 3]!;
    rows.push(
      `n${i},p${Math.floor(i / 2) + (cardiology ? 0 : 100)},"Patient seen today. ${phrase}. Plan reviewed.",${cardiology ? 'cardiology' : 'neurology'}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

describe('models domain (registry, training, prediction, explanation, evaluation)', { timeout: 180_000 }, () => {
  const dir = tempDir('osler-models-');
  let core: Core;
  let noteId: number;
  const openCore = () =>
    createCore({ home: join(dir.path, 'home'), mode: 'cli', log: () => undefined, bundledModels: null });

  beforeAll(async () => {
    core = openCore();
    const csv = join(dir.path, 'notes.csv');
    writeFileSync(csv, notesCsv());
    await call(core, 'notes.import', {
      path: csv,
      textCol: ['text'],
      labelCol: ['specialty'],
      labelTask: ['specialty'],
      idCol: 'id',
      patientCol: 'patient',
    });
    noteId = (await call(core, 'notes.search', { query: 'aphasia', limit: 1 })).hits[0]!.id;
  });
  afterAll(async () => {
    await core.close();
    dir.cleanup();
  });

  it('trains a new text model from store labels with progress, registers it active and records the run', async () => {
    let runId = -1;
    const done = finished(core, () => runId);
    const epochs: number[] = [];
    const off = core.on('models.trainingProgress', (p) => {
      if (p.phase === 'epoch') epochs.push(p.epoch);
    });
    const run = await call(core, 'models.train', {
      name: 'triage-specialty',
      task: 'text',
      data: { source: 'store', labelTask: 'specialty' },
      settings: { epochs: 6, batchSize: 8, learningRate: 0.01, seed: 3, patience: 10 },
    });
    runId = run.id;
    expect(run.status).toBe('running');
    // The UI stays immediate while a model trains: store calls answer before the run ends.
    let trainingOver = false;
    void done.then(() => (trainingOver = true));
    const [hits, classes] = await Promise.all([
      call(core, 'notes.search', { query: 'aphasia', limit: 5 }),
      call(core, 'labels.classes', { task: 'specialty' }),
    ]);
    expect(trainingOver).toBe(false);
    expect(hits.hits.length).toBeGreaterThan(0);
    expect(classes.length).toBeGreaterThan(0);
    const last = await done;
    off();
    expect(last.message).toBeNull();
    expect(last.phase).toBe('done');
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
    const [models] = [await call(core, 'models.list', {})];
    const model = models.find((m) => m.name === 'triage-specialty')!;
    expect(model.outputs).toEqual(['cardiology', 'neurology']);
    expect(model.versions).toHaveLength(1);
    expect(model.versions[0]!.state).toBe('active');
    expect(model.activeVersionId).toBe(last.versionId);
    // Registered in the folder it was trained into, under its version's name, not copied beside it.
    const path = core.store.db.prepare('SELECT path FROM model_versions WHERE id = ?').pluck().get(last.versionId);
    expect(path).toBe(join('models', 'triage-specialty', model.versions[0]!.version));
    expect(readdirSync(join(core.home, 'models', 'triage-specialty'))).toEqual([model.versions[0]!.version]);
    // Saved straight into its reserved folder: no rename onto a folder, which Windows would refuse.
    expect(renamedOntoFolders).toEqual([]);
    const [finishedRun] = await call(core, 'models.runs', { name: 'triage-specialty', limit: 5 });
    expect(finishedRun).toMatchObject({ status: 'succeeded', versionId: last.versionId });
    const metrics = finishedRun!.metrics as { final: Record<string, unknown>; heldOut: { ids: string[] } };
    // Split by patient: every note of a held-out patient is held out (2 notes per patient).
    expect(metrics.heldOut.ids.length % 2).toBe(0);
    expect(metrics.heldOut.ids.length).toBeGreaterThanOrEqual(8);
    // The bundle and its card exist in the data folder.
    const detail = await call(core, 'models.get', { name: 'triage-specialty' });
    expect(detail.card).toContain('Intended use');
    expect(detail.metadata.task).toBe('text');
    // The vocabulary stays on disk; the client gets its size.
    const input = detail.metadata.input as { vocabulary?: unknown; vocabularySize?: number };
    expect(input.vocabulary).toBeUndefined();
    expect(input.vocabularySize).toBeGreaterThan(10);
    expect(audits(core, 'models.train')).toBe(1);
    expect(audits(core, 'models.train.succeeded')).toBe(1);
  });

  it('predicts a note, stores the prediction with the model version, and explains it with token scores', async () => {
    const prediction = await call(core, 'predict.run', {
      model: { name: 'triage-specialty' },
      target: { kind: 'note', id: noteId },
    });
    expect(prediction.predicted).toBe('neurology');
    expect(prediction.probabilities!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(prediction.modelName).toBe('triage-specialty');
    const listed = await call(core, 'predictions.list', { kind: 'note', id: noteId });
    expect(listed[0]!.id).toBe(prediction.id);
    expect(listed[0]!.modelVersionId).toBe(prediction.modelVersionId);
    const explanation = await call(core, 'explain.run', {
      model: { name: 'triage-specialty' },
      target: { kind: 'note', id: noteId },
    });
    // A recurrent (text-bilstm) model is explained on its embeddings, not by the occlusion fallback.
    expect(explanation.method).toBe('integrated-gradients');
    expect(explanation.attribution.kind).toBe('tokens');
    if (explanation.attribution.kind !== 'tokens') return;
    const tokens = explanation.attribution.tokens;
    const note = await call(core, 'notes.get', { id: noteId });
    for (const t of tokens) expect(note.text.slice(t.start, t.end)).toBe(t.text);
    // The class-specific words carry more attribution than the shared filler.
    const score = (word: string) =>
      Math.max(...tokens.filter((t) => t.text.toLowerCase() === word).map((t) => t.score));
    const top = [...tokens]
      .sort((a, b) => b.score - a.score)
      .slice(0, 3)
      .map((t) => t.text.toLowerCase());
    expect(top.some((w) => ['aphasia', 'expressive', 'facial', 'droop'].includes(w))).toBe(true);
    expect(score('aphasia')).toBeGreaterThan(score('plan'));
    expect(audits(core, 'predictions.add')).toBeGreaterThanOrEqual(1);
  });

  it('evaluates on the store labels with the full report', async () => {
    const evaluation = await call(core, 'evaluate.run', {
      model: { name: 'triage-specialty' },
      data: { source: 'store', labelTask: 'specialty' },
    });
    expect(evaluation.n).toBe(60);
    expect(evaluation.summary.accuracy).toBeGreaterThan(0.9);
    expect(evaluation.summary.auc).toBeGreaterThan(0.9);
    expect(evaluation.report.confusion).toHaveLength(2);
  });

  it('fine-tunes into a candidate, compares it with the active version on the same held-out cases, promotes and rolls back', async () => {
    // The active version carries decision offsets (as abstract-condition does): a copy of it with
    // offsets, imported and promoted. They were fitted to its weights, so the fine-tuned child must
    // not inherit them.
    const first = (await call(core, 'models.list', {})).find((m) => m.name === 'triage-specialty')!;
    const exported = await call(core, 'models.export', { versionId: first.activeVersionId!, dest: 'with-offsets' });
    const metaPath = join(exported.path, 'metadata.json');
    const exportedMeta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(metaPath, JSON.stringify({ ...exportedMeta, version: 'offsets-1', classOffsets: [0.4, -0.4] }));
    const withOffsets = await call(core, 'models.import', { path: exported.path });
    await call(core, 'models.promote', { versionId: withOffsets.id, reason: 'site decision offsets' });
    const activeId = withOffsets.id;
    expect((await call(core, 'models.get', { versionId: activeId })).metadata.classOffsets).toEqual([0.4, -0.4]);
    // A clinician corrects one label; the fine-tune then starts from the active version.
    await call(core, 'labels.set', {
      target: { kind: 'note', id: noteId },
      task: 'specialty',
      value: 'neurology',
      source: 'human',
    });
    let runId = -1;
    const done = finished(core, () => runId);
    const run = await call(core, 'models.train', {
      name: 'triage-specialty',
      data: { source: 'store', labelTask: 'specialty' },
      settings: { epochs: 2, batchSize: 8, seed: 5 },
    });
    runId = run.id;
    expect(run.params.fineTune).toBe(true);
    const last = await done;
    expect(last.phase).toBe('done');
    const candidateId = last.versionId!;
    const summary = (await call(core, 'models.list', {})).find((m) => m.name === 'triage-specialty')!;
    expect(summary.versions.find((v) => v.id === candidateId)).toMatchObject({ state: 'candidate' });
    const child = (await call(core, 'models.get', { versionId: candidateId })).metadata;
    expect(child.parent).toMatchObject({ name: 'triage-specialty' });
    expect(child.classOffsets).toBeUndefined();
    const comparison = await call(core, 'models.compare', { candidateVersionId: candidateId });
    expect(comparison.heldOut).toBeGreaterThan(0);
    expect(comparison.candidate.n).toBe(comparison.reference.n);
    expect(comparison.verdict).toMatch(/held-out cases|forecast/);
    const firstId = summary.activeVersionId!;
    const promoted = await call(core, 'models.promote', { versionId: candidateId, reason: 'better on site data' });
    expect(promoted.activeVersionId).toBe(candidateId);
    const rolled = await call(core, 'models.rollback', { name: 'triage-specialty', reason: 'clinician feedback' });
    expect(rolled.activeVersionId).toBe(firstId);
    expect(audits(core, 'models.promote')).toBe(2);
    expect(audits(core, 'models.rollback')).toBe(1);
    expect(await failure(core, 'models.promote', { versionId: firstId, reason: 'again' })).toBe('conflict');
    expect(await failure(core, 'models.promote', { versionId: firstId, reason: '' })).toBe('invalid-input');
  });

  it('exports with float16 and uint8 quantization, reports sizes and metric change, and imports the export back', async () => {
    const detail = await call(core, 'models.get', { name: 'triage-specialty' });
    const plain = await call(core, 'models.export', { versionId: detail.version.id, dest: 'site-export' });
    expect(plain.path.startsWith(join(core.home, 'exports', 'site-export'))).toBe(true);
    const half = await call(core, 'models.export', {
      versionId: detail.version.id,
      dest: 'site-export',
      quantize: 'float16',
    });
    const byte = await call(core, 'models.export', {
      versionId: detail.version.id,
      dest: 'site-export',
      quantize: 'uint8',
    });
    // Through the contract an export never leaves the data folder.
    expect(await failure(core, 'models.export', { versionId: detail.version.id, dest: '../../etc' })).toBe(
      'invalid-input',
    );
    expect(await failure(core, 'models.export', { versionId: detail.version.id, dest: '/tmp/x' })).toBe(
      'invalid-input',
    );
    expect(half.bytes).toBeLessThan(plain.bytes * 0.55);
    expect(byte.bytes).toBeLessThan(plain.bytes * 0.3);
    expect(existsSync(join(half.path, 'CARD.md'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(byte.path, 'model.json'), 'utf8')) as {
      weightsManifest: { weights: { quantization?: { dtype: string } }[] }[];
    };
    expect(manifest.weightsManifest[0]!.weights.some((w) => w.quantization?.dtype === 'uint8')).toBe(true);
    // The quantized model still predicts (tfjs dequantizes on load); metric change measured on data.
    const csv = join(dir.path, 'notes.csv');
    const measured = await call(core, 'models.export', {
      versionId: detail.version.id,
      dest: 'measured',
      quantize: 'uint8',
      validation: { source: 'path', path: csv, textCol: 'text', labelCol: 'specialty' },
    });
    expect(measured.metricChange).not.toBeNull();
    expect(Math.abs(measured.metricChange!.accuracy!)).toBeLessThan(0.1);
    // A re-import of the same name and version is refused; a renamed bundle imports as a candidate.
    expect(await failure(core, 'models.import', { path: plain.path })).toBe('conflict');
    const meta = JSON.parse(readFileSync(join(plain.path, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(plain.path, 'metadata.json'), JSON.stringify({ ...meta, version: 'imported-1' }));
    const imported = await call(core, 'models.import', { path: plain.path });
    expect(imported).toMatchObject({ state: 'candidate', version: 'imported-1' });
  });

  it('gives versions whose names share a folder name their own folders, and never exports over a folder', async () => {
    const detail = await call(core, 'models.get', { name: 'triage-specialty' });
    const first = await call(core, 'models.export', { versionId: detail.version.id, dest: 'collide' });
    const again = await call(core, 'models.export', { versionId: detail.version.id, dest: 'collide' });
    expect(again.path).toBe(`${first.path}-2`);
    expect(existsSync(join(first.path, 'weights.bin'))).toBe(true);
    const meta = JSON.parse(readFileSync(join(first.path, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    const ids: number[] = [];
    for (const version of ['2.0 beta', '2.0-beta']) {
      writeFileSync(join(first.path, 'metadata.json'), JSON.stringify({ ...meta, version }));
      ids.push((await call(core, 'models.import', { path: first.path })).id);
    }
    const paths = ids.map(
      (id) => core.store.db.prepare('SELECT path FROM model_versions WHERE id = ?').pluck().get(id) as string,
    );
    expect(new Set(paths).size).toBe(2);
    // Each version still reads as its own, unchanged files.
    for (const [i, id] of ids.entries())
      expect((await call(core, 'models.get', { versionId: id })).version.version).toBe(['2.0 beta', '2.0-beta'][i]);
    // A bundle imported from inside the model's own folder is copied too, never registered where it lies.
    const inside = join(core.home, 'models', 'triage-specialty', 'dropped-here');
    cpSync(first.path, inside, { recursive: true });
    writeFileSync(join(inside, 'metadata.json'), JSON.stringify({ ...meta, version: 'dropped' }));
    const dropped = (await call(core, 'models.import', { path: inside })).id;
    const droppedPath = core.store.db.prepare('SELECT path FROM model_versions WHERE id = ?').pluck().get(dropped);
    expect(droppedPath).toBe(join('models', 'triage-specialty', 'dropped'));
  });

  it('ranks unlabelled notes by uncertainty for review (active learning)', async () => {
    const csv = join(dir.path, 'unlabelled.csv');
    writeFileSync(
      csv,
      [
        'id,patient,text',
        'u1,q1,"Patient seen today. troponin raised, ST elevation. Plan reviewed."',
        'u2,q2,"Patient seen today. expressive aphasia and facial droop. Plan reviewed."',
        'u3,q3,"Patient seen today. Plan reviewed."',
      ].join('\n'),
    );
    await call(core, 'notes.import', { path: csv, textCol: ['text'], idCol: 'id', patientCol: 'patient' });
    const queue = await call(core, 'models.reviewQueue', {
      model: { name: 'triage-specialty' },
      labelTask: 'specialty',
    });
    expect(queue).toHaveLength(3);
    const uncertainties = queue.map((q) => q.uncertainty);
    expect([...uncertainties].sort((a, b) => b - a)).toEqual(uncertainties);
    // The note with no specialty words is the one the model is least sure about.
    const first = await call(core, 'notes.get', { id: queue[0]!.target.id });
    expect(first.text).not.toMatch(/troponin|aphasia/);
    expect(audits(core, 'models.reviewQueue')).toBe(1);
  });

  it('refuses bad requests with typed errors', async () => {
    expect(await failure(core, 'predict.run', { model: { name: 'nope' }, target: { kind: 'note', id: noteId } })).toBe(
      'not-found',
    );
    expect(
      await failure(core, 'predict.run', { model: { name: 'triage-specialty' }, target: { kind: 'recording', id: 1 } }),
    ).toBe('invalid-input');
    expect(await failure(core, 'models.import', { path: join(dir.path, 'missing') })).toBe('not-found');
    expect(await failure(core, 'models.train', { name: 'x', data: { source: 'store', labelTask: 'specialty' } })).toBe(
      'invalid-input',
    );
    expect(await failure(core, 'models.cancel', { runId: 999 })).toBe('not-found');
    expect(
      await failure(core, 'models.train', {
        name: 'Bad Name',
        task: 'text',
        data: { source: 'store', labelTask: 'x' },
      }),
    ).toBe('invalid-input');
  });

  it('refuses a version whose files changed since registration, names them and audits it, and records digests for older versions', async () => {
    const target = { kind: 'note' as const, id: noteId };
    const model = { name: 'triage-specialty' };
    const versionId = (await call(core, 'models.list', {})).find(
      (m) => m.name === 'triage-specialty',
    )!.activeVersionId!;
    const db = () => core.store.db;
    const rel = db().prepare('SELECT path FROM model_versions WHERE id = ?').pluck().get(versionId) as string;
    const weights = join(core.home, rel, 'weights.bin');
    const original = readFileSync(weights);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0x01;
    // Restarts read the folder afresh (metadata is cached for a run).
    const restart = async () => {
      await core.close();
      core = openCore();
    };
    writeFileSync(weights, tampered);
    await restart();
    const refused = await core.dispatch('predict.run', { model, target }, { via: 'cli' });
    expect(refused).toMatchObject({ ok: false, code: 'conflict' });
    expect(refused.ok ? '' : refused.message).toMatch(/since it was registered, weights\.bin has changed/);
    expect(await failure(core, 'explain.run', { model, target })).toBe('conflict');
    // Nor can it leave under its registered name and version.
    expect(await failure(core, 'models.export', { versionId, dest: 'tampered' })).toBe('conflict');
    expect(existsSync(join(core.home, 'exports', 'tampered'))).toBe(false);
    // Audited once per run, however often it is refused; the registry still lists the version.
    expect(audits(core, 'models.integrity-failed')).toBe(1);
    expect((await call(core, 'models.list', {})).find((m) => m.name === 'triage-specialty')!.activeVersionId).toBe(
      versionId,
    );
    writeFileSync(weights, original);
    // A file that is not part of the bundle (an OS's folder metadata) changes nothing.
    writeFileSync(join(core.home, rel, '.DS_Store'), 'Finder');
    await restart();
    expect((await call(core, 'predict.run', { model, target })).modelVersionId).toBe(versionId);
    // A bundle file removed is refused; a missing folder is not-found, not an internal error.
    const card = join(core.home, rel, 'CARD.md');
    const cardText = readFileSync(card);
    rmSync(card);
    await restart();
    expect(await core.dispatch('models.get', { versionId }, { via: 'cli' })).toMatchObject({
      ok: false,
      code: 'conflict',
      message: expect.stringMatching(/CARD\.md was removed/),
    });
    writeFileSync(card, cardText);
    // (Moved out of the data folder: start-up removes model folders no version points to.)
    renameSync(join(core.home, rel), join(dir.path, 'moved'));
    await restart();
    expect(await failure(core, 'predict.run', { model, target })).toBe('not-found');
    renameSync(join(dir.path, 'moved'), join(core.home, rel));
    await restart();
    expect((await call(core, 'predict.run', { model, target })).modelVersionId).toBe(versionId);
    // A version registered before digests were kept gets them at its first use.
    db().prepare('UPDATE model_versions SET files_json = NULL WHERE id = ?').run(versionId);
    await restart();
    await call(core, 'predict.run', { model, target });
    const files = JSON.parse(
      db().prepare('SELECT files_json FROM model_versions WHERE id = ?').pluck().get(versionId) as string,
    ) as Record<string, string>;
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['metadata.json', 'model.json', 'weights.bin']));
    // A version already used in this run is checked again when it is exported.
    await call(core, 'models.get', { versionId });
    writeFileSync(weights, tampered);
    expect(await failure(core, 'models.export', { versionId, dest: 'after-use' })).toBe('conflict');
    expect(existsSync(join(core.home, 'exports', 'after-use'))).toBe(false);
    writeFileSync(weights, original);
    expect((await call(core, 'models.export', { versionId, dest: 'after-use' })).path).toMatch(/after-use/);
  });

  it("removes a training run's own folder when its registration fails, not leaving it for a start's recovery", async () => {
    core.store.db.exec(
      `CREATE TEMP TRIGGER refuse_versions BEFORE INSERT ON main.model_versions BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    let runId = -1;
    const done = finished(core, () => runId);
    const run = await call(core, 'models.train', {
      name: 'triage-unregistered',
      task: 'text',
      data: { source: 'store', labelTask: 'specialty' },
      settings: { epochs: 1, batchSize: 8, seed: 3 },
    });
    runId = run.id;
    const last = await done;
    core.store.db.exec('DROP TRIGGER refuse_versions');
    expect(last).toMatchObject({ phase: 'failed', message: expect.stringMatching(/disk full/) });
    // Gone at once: recovery runs at a start only with no other core on the folder, maybe not for long.
    expect(readdirSync(join(core.home, 'models', 'triage-unregistered'))).toEqual([]);
  });
});
