import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../native/cli/main.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('osler export --deidentify', () => {
  const tmp = tempDir('osler-deid-cli-');
  const home = join(tmp.path, 'home');
  afterAll(() => tmp.cleanup());

  it('explains what it needs', async () => {
    expect(await run(['export', '--study', '1', '--out', join(tmp.path, 'x'), '--home', home])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--deidentify/) as string,
    });
    expect(await run(['export', '--deidentify', '--out', join(tmp.path, 'x'), '--home', home])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/exactly one of --study/) as string,
    });
    expect((await run(['--help'])).out).toMatch(/export --deidentify --study/);
  });

  it.skipIf(!data)('imports the abdomen CT with its SEG and exports it de-identified', async () => {
    const imported = await run(['import', 'dicom', join(data!, 'dicom', 'ct-abdomen-3slice'), '--home', home]);
    expect(imported.code).toBe(0);
    const out = join(tmp.path, 'out');
    const r = await run([
      'export',
      '--deidentify',
      '--study',
      '1.2.392.200103.20080913.113635.0.2009.6.22.21.43.10.22941.1',
      '--out',
      out,
      '--retain-dates',
      '--home',
      home,
      '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { instances: number; series: number; studyUid: string; retainDates: boolean };
    expect(report).toMatchObject({ instances: 4, series: 2, retainDates: true });
    expect(report.studyUid).toMatch(/^2\.25\./);
    expect(readdirSync(out).sort()).toHaveLength(3); // two series folders and the manifest
    const again = await run(['export', '--deidentify', '--study', '1', '--out', out, '--home', home]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/not empty/);
    const audit = await run(['audit', '--action', 'export.deidentify', '--home', home, '--json']);
    expect(audit.out).toMatch(/export\.deidentify/);
  });

  it('exports notes de-identified to a JSONL file', async () => {
    const file = join(tmp.path, 'notes.jsonl');
    const r = await run(['export', '--deidentify', '--notes', '--out', file, '--home', home]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/note\(s\)/);
    expect(existsSync(file)).toBe(true);
  });
});
