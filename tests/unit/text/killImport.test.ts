import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../native/store/database.js';
import { importNotes } from '../../../native/text/notesImport.js';
import { tempDir } from '../helpers.js';

const root = join(import.meta.dirname, '..', '..', '..');
const N = 30_000;

/**
 * Runs a notes import in a child process and SIGKILLs it once it has committed `batches` batches
 * (it reports each) and `ms` more passed, so the kill lands mid-import however busy the machine
 * is; resolves when the child is gone.
 */
function killedImport(store: string, csv: string, batches: number, ms: number): Promise<void> {
  const code = `
    const { openStore } = await import(${JSON.stringify(join(root, 'native/store/database.ts'))});
    const { importNotes } = await import(${JSON.stringify(join(root, 'native/text/notesImport.ts'))});
    const s = openStore(${JSON.stringify(store)});
    process.stdout.write('ready\\n');
    await importNotes(s.db, { path: ${JSON.stringify(csv)}, labelCol: ['label'], actor: 'kill-test', batchSize: 200 },
      { onProgress: () => process.stdout.write('batch\\n') });
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let seen = 0;
    let armed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      seen += chunk.split('\n').filter((l) => l === 'batch').length;
      if (!armed && seen >= batches) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.on('exit', () => resolve());
  });
}

describe('notes import killed with SIGKILL', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('leaves an intact store that a re-run completes with the exact counts', async () => {
    const csv = join(dir.path, 'n.csv');
    writeFileSync(
      csv,
      'id,text,label\n' +
        Array.from({ length: N }, (_, i) => `${i},"note ${i} about chest pain\nand fever",${i % 4}\n`).join(''),
    );
    const file = join(dir.path, 's.sqlite');
    const seen: number[] = [];
    // Each run starts over on the same store (re-reading committed rows as unchanged), so later
    // runs need more batches reported before the kill to land past what is already stored.
    for (const [batches, ms] of [
      [0, 5],
      [20, 3],
      [60, 0],
      [110, 7],
      [140, 1],
    ] as const) {
      await killedImport(file, csv, batches, ms);
      const db = new Database(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const notes = db.prepare('SELECT count(*) FROM notes').pluck().get() as number;
      const labels = db.prepare('SELECT count(*) FROM labels').pluck().get() as number;
      // Batches commit whole: notes and their labels arrive together, never half a batch.
      expect(labels).toBe(notes);
      expect(notes % 200 === 0 || notes === N).toBe(true);
      seen.push(notes);
      db.close();
    }
    // At least one kill landed mid-import (after some batches, before the end).
    expect(
      seen.some((n) => n > 0 && n < N),
      `notes after each kill: ${seen.join(', ')}`,
    ).toBe(true);
    const store = openStore(file);
    try {
      await importNotes(store.db, { path: csv, labelCol: ['label'], actor: 'test' });
      expect(store.db.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(N);
      expect(store.db.prepare('SELECT count(*) FROM labels').pluck().get()).toBe(N);
      expect(store.db.prepare("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'fever'").pluck().get()).toBe(N);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      store.close();
    }
  });
});
