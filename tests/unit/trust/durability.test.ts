import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../native/app/core.js';
import { readBundleMetadata } from '../../../native/ml/bundleIo.js';
import { seededRandom } from '../../../native/ml/random.js';
import { openStore } from '../../../native/store/database.js';
import { addModelVersion } from '../../../native/store/models.js';
import { upsertNote } from '../../../native/store/notes.js';
import { tempDir } from '../helpers.js';

const root = join(import.meta.dirname, '..', '..', '..');
const KILLS = 20;

/**
 * Runs `body` (an ES module snippet) in a child process and SIGKILLs it `ms` after it prints
 * `ready`; resolves with every `ack <n>` line it printed before dying.
 */
function killed(body: string, ms: number): Promise<string[]> {
  return new Promise((resolve) => {
    // Acks are written with writeSync: a pipe write that returned reached the parent before any kill.
    const code = `import { writeSync } from 'node:fs';\n${body}`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const acks: string[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), ms);
        else if (line.startsWith('ack ')) acks.push(line.slice(4));
      }
    });
    child.on('exit', () => resolve(acks));
  });
}

const mod = (path: string) => JSON.stringify(join(root, path));

describe('durability under kill -9', { timeout: 600_000 }, () => {
  const dir = tempDir('osler-durability-');
  afterAll(() => dir.cleanup());
  const random = seededRandom(20261128);

  it(`keeps every acknowledged label across ${KILLS} kills during label writes`, async () => {
    const file = join(dir.path, 'labels.sqlite');
    const store = openStore(file);
    const noteId = upsertNote(store.db, { source: 'kill', sourceKey: '1', text: 'chest pain' }).id;
    store.close();
    const acknowledged: string[] = [];
    const body = `
      const { openStore } = await import(${mod('native/store/database.ts')});
      const { setLabel } = await import(${mod('native/store/labels.ts')});
      const s = openStore(${JSON.stringify(file)});
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        const [label] = setLabel(s.db, { target: { kind: 'note', id: ${noteId} }, task: 'urgency', value: 'u' + (i % 3), source: 'human', author: 'kill-test' }, 'kill-test');
        writeSync(1, 'ack ' + label.id + '\\n');
      }
    `;
    for (let k = 0; k < KILLS; k++) {
      acknowledged.push(...(await killed(body, 20 + Math.floor(random() * 200))));
      const db = new Database(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const present = new Set(db.prepare('SELECT id FROM labels').pluck().all() as number[]);
      const missing = acknowledged.filter((id) => !present.has(Number(id)));
      expect(missing, `acknowledged labels lost after kill ${k + 1}`).toEqual([]);
      db.close();
    }
    expect(acknowledged.length).toBeGreaterThan(KILLS);
  });

  it(`never leaves the registry without exactly one active, complete version across ${KILLS} kills during promotion`, async () => {
    const home = join(dir.path, 'promote');
    const file = join(home, 'osler.sqlite');
    mkdirSync(home, { recursive: true });
    const store = openStore(file);
    const ids: number[] = [];
    for (const v of ['1', '2', '3']) {
      const rel = join('models', 'm', v);
      mkdirSync(join(home, rel), { recursive: true });
      for (const f of ['model.json', 'weights.bin', 'metadata.json']) writeFileSync(join(home, rel, f), v);
      ids.push(
        addModelVersion(
          store.db,
          {
            name: 'm',
            task: 'text',
            family: 'text-bilstm',
            version: v,
            state: v === '1' ? 'active' : 'candidate',
            path: rel,
            metadata: {},
            metrics: {},
          },
          'setup',
        ).id,
      );
    }
    store.close();
    let lastAcked: string | null = null;
    const body = `
      const { openStore } = await import(${mod('native/store/database.ts')});
      const { activateModelVersion } = await import(${mod('native/store/models.ts')});
      const s = openStore(${JSON.stringify(file)});
      const ids = ${JSON.stringify(ids)};
      const active = () => s.db.prepare("SELECT id FROM model_versions WHERE state = 'active'").pluck().get();
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        const current = active();
        const next = ids[(ids.indexOf(current) + 1) % ids.length];
        activateModelVersion(s.db, next, 'kill-test', 'rotation ' + i, i % 2 ? 'models.rollback' : 'models.promote');
        writeSync(1, 'ack ' + next + '\\n');
      }
    `;
    for (let k = 0; k < KILLS; k++) {
      const acks = await killed(body, 20 + Math.floor(random() * 200));
      if (acks.length > 0) lastAcked = acks.at(-1)!;
      const db = new Database(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const active = db.prepare(`SELECT id, path FROM model_versions WHERE state = 'active'`).all() as {
        id: number;
        path: string;
      }[];
      expect(active).toHaveLength(1);
      for (const f of ['model.json', 'weights.bin', 'metadata.json'])
        expect(existsSync(join(home, active[0]!.path, f))).toBe(true);
      if (lastAcked !== null) {
        // The acknowledged promotion survived, or the one in flight after it committed too.
        const after = ids[(ids.indexOf(Number(lastAcked)) + 1) % ids.length];
        expect([Number(lastAcked), after]).toContain(active[0]!.id);
      }
      db.close();
    }
    expect(lastAcked).not.toBeNull();
  });

  it(`recovers from ${KILLS} kills during training: no partial model registered, runs marked failed, stray folders removed`, async () => {
    const home = join(dir.path, 'train');
    const csv = join(dir.path, 'train.csv');
    writeFileSync(
      csv,
      'id,patient,text,label\n' +
        Array.from(
          { length: 40 },
          (_, i) =>
            `${i},p${i},"${i % 2 ? 'chest pain troponin' : 'aphasia weakness'} note ${i}",${i % 2 ? 'cardio' : 'neuro'}\n`,
        ).join(''),
    );
    const setup = createCore({ home, mode: 'cli', log: () => undefined, bundledModels: null });
    const imported = await setup.dispatch(
      'notes.import',
      {
        path: csv,
        textCol: ['text'],
        labelCol: ['label'],
        labelTask: ['specialty'],
        idCol: 'id',
        patientCol: 'patient',
      },
      { via: 'cli' },
    );
    expect(imported.ok).toBe(true);
    await setup.close();
    const body = `
      const { createCore } = await import(${mod('native/app/core.ts')});
      const core = createCore({ home: ${JSON.stringify(home)}, mode: 'cli', log: () => undefined, bundledModels: null });
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        const done = new Promise((r) => { const off = core.on('models.trainingProgress', (p) => { if (p.phase === 'done' || p.phase === 'failed') { off(); r(p); } }); });
        const run = await core.dispatch('models.train', { name: 'triage', task: 'text', data: { source: 'store', labelTask: 'specialty' }, settings: { epochs: 1, batchSize: 8, seed: i } }, { via: 'cli' });
        const p = await done;
        if (p.phase === 'done') writeSync(1, 'ack ' + p.versionId + '\\n');
      }
    `;
    const acked = new Set<number>();
    for (let k = 0; k < KILLS; k++) {
      for (const a of await killed(body, 500 + Math.floor(random() * 4000))) acked.add(Number(a));
      const core = createCore({ home, mode: 'cli', log: () => undefined, bundledModels: null });
      try {
        const db = core.store.db;
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare(`SELECT COUNT(*) FROM training_runs WHERE status = 'running'`).pluck().get()).toBe(0);
        const versions = db.prepare('SELECT id, path FROM model_versions').all() as { id: number; path: string }[];
        for (const v of versions) {
          // Every registered version is a complete, valid bundle.
          expect(readBundleMetadata(join(home, v.path)).name).toBe('triage');
          expect(existsSync(join(home, v.path, 'weights.bin'))).toBe(true);
        }
        for (const id of acked) expect(versions.some((v) => v.id === id)).toBe(true);
        // No folder the registry does not point at survives the restart.
        const folders = existsSync(join(home, 'models', 'triage')) ? readdirSync(join(home, 'models', 'triage')) : [];
        expect(folders.length).toBe(versions.length);
      } finally {
        await core.close();
      }
    }
  });
});
