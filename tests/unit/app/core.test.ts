import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, STORE_FILE } from '../../../native/app/core.js';
import { tempDir } from '../helpers.js';

describe('core', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  afterEach(() => tmps.splice(0).forEach((t) => t.cleanup()));

  it('creates its data folder and answers app.info and app.health', async () => {
    const tmp = tempDir();
    tmps.push(tmp);
    const home = join(tmp.path, 'nested', 'home');
    const core = createCore({ home, mode: 'cli', log: () => undefined });
    const events: string[] = [];
    core.on('app.backend', (b) => events.push(b.name));
    const info = await core.dispatch('app.info', {}, { via: 'cli' });
    expect(info.ok).toBe(true);
    if (!info.ok) return;
    const value = info.value as {
      home: string;
      mode: string;
      backend: { name: string };
      counts: Record<string, number>;
      schemaVersion: number;
    };
    expect(value.home).toBe(home);
    expect(value.mode).toBe('cli');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(value.backend.name);
    expect(events).toEqual([value.backend.name]);
    expect(value.counts.studies).toBe(0);
    expect(value.schemaVersion).toBeGreaterThanOrEqual(10);
    const health = await core.dispatch('app.health', {}, { via: 'cli' });
    expect(health).toMatchObject({ ok: true, value: { ok: true } });
    await core.close();
  });

  it('names in its data-folder health check the other Osler cores that have the folder open', async () => {
    const tmp = tempDir();
    tmps.push(tmp);
    const core = createCore({ home: tmp.path, mode: 'browser', log: () => undefined });
    const dataFolder = async () => {
      const health = await core.dispatch('app.health', {}, { via: 'cli' });
      if (!health.ok) throw new Error(health.message);
      return (health.value as { checks: { name: string; ok: boolean; detail: string }[] }).checks.find(
        (c) => c.name === 'data-folder',
      )!;
    };
    expect(await dataFolder()).toMatchObject({ ok: true, detail: 'writable; no other Osler process has it open' });
    const other = createCore({ home: tmp.path, mode: 'cli', log: () => undefined });
    expect(await dataFolder()).toMatchObject({
      ok: true,
      detail: expect.stringMatching(new RegExp(`^writable; also open in pid ${process.pid} \\(cli, since .*\\.cores`)),
    });
    await other.close();
    expect((await dataFolder()).detail).toBe('writable; no other Osler process has it open');
    await core.close();
  });

  it('counts what the store holds', async () => {
    const tmp = tempDir();
    tmps.push(tmp);
    const first = createCore({ home: tmp.path, mode: 'cli', log: () => undefined });
    await first.close();
    const db = new Database(join(tmp.path, STORE_FILE));
    db.prepare("INSERT INTO patients (patient_key) VALUES ('p1'), ('p2')").run();
    db.close();
    const core = createCore({ home: tmp.path, mode: 'cli', log: () => undefined });
    const info = await core.dispatch('app.info', {}, { via: 'cli' });
    expect(info).toMatchObject({ ok: true, value: { counts: { patients: 2 } } });
    await core.close();
  });

  it('refuses a store written by a newer Osler with a clear message', async () => {
    const tmp = tempDir();
    tmps.push(tmp);
    const db = new Database(join(tmp.path, STORE_FILE));
    db.pragma('user_version = 99990');
    db.close();
    expect(() => createCore({ home: tmp.path, mode: 'cli', log: () => undefined })).toThrow(/newer than this Osler/);
  });
});
