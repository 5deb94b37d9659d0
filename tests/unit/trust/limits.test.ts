// Resource limits: hostile files that declare or unpack to huge sizes must be refused with a clear
// reason, in bounded time and without the process's peak memory growing by more than a bound.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { tempDir } from '../helpers.js';
import { deflateBombDicom, lyingLengthDicom, smallDicom } from './dicomBytes.js';
import { writeWfdb } from './sandbox.js';

/** Most the process's peak resident memory may grow while one hostile input is refused. */
const MAX_PEAK_GROWTH_BYTES = 300 * 1024 * 1024;
/** Generous bound on the time a refusal may take (behaviour, not speed: a hang or a bomb blows it). */
const MAX_REFUSAL_MS = 10_000;

/** Peak resident set size of this process so far, in bytes (monotonic: growth means a new peak). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** Writes a large file piece by piece so building the input never holds it in memory. */
async function writeStreamed(path: string, pieces: () => Generator<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const piece of pieces()) if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((r) => out.end(r));
}

function* joined(count: number, item: (i: number) => string): Generator<string> {
  let s = '';
  for (let i = 0; i < count; i++) {
    s += (i === 0 ? '' : ',') + item(i);
    if (s.length > 1 << 16) {
      yield s;
      s = '';
    }
  }
  yield `${s}\n`;
}

interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  readonly peakGrowth: number;
}

describe('resource limits', () => {
  const tmp = tempDir('osler-limits-');
  const src = join(tmp.path, 'src');
  let core: Core;

  const measure = async <T>(fn: () => Promise<T>): Promise<Measured<T>> => {
    const before = peakRss();
    const started = performance.now();
    const value = await fn();
    return { value, ms: performance.now() - started, peakGrowth: peakRss() - before };
  };

  const call = async <T>(
    channel: string,
    input: unknown,
  ): Promise<Measured<{ ok: boolean; code?: string; message?: string; value?: T }>> =>
    measure(
      () =>
        core.dispatch(channel, input, { via: 'cli' }) as Promise<{
          ok: boolean;
          code?: string;
          message?: string;
          value?: T;
        }>,
    );

  beforeAll(async () => {
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'small.dcm'), smallDicom());
    writeFileSync(join(src, 'gigabyte-element.dcm'), lyingLengthDicom(0x40000000));
    writeFileSync(join(src, 'bomb.dcm'), deflateBombDicom(320 * 1024 * 1024));
    const chunk = 'x'.repeat(1 << 20);
    await writeStreamed(join(src, 'big-note.csv'), function* () {
      yield 'id,text\n1,a short note before the big one\n2,"';
      for (let i = 0; i < 50; i++) yield chunk;
      yield '"\n3,a short note after it\n';
    });
    await writeStreamed(join(src, 'wide.csv'), function* () {
      yield* joined(1_000_000, (i) => `c${i}`);
      yield* joined(1_000_000, () => 'v');
    });
    writeWfdb(src, 'huge');
    writeFileSync(
      join(src, 'huge.hea'),
      'huge 2 100 4000000000\nhuge.dat 212 100 12 0 0 0 0 II\nhuge.dat 212 100 12 0 0 0 0 V\n',
    );
    core = createCore({ home: join(tmp.path, 'home'), mode: 'cli', log: () => undefined });
    await core.backend();
    // Warm up every importer once, so lazily loaded code is not counted as growth.
    await core.dispatch('dicom.import', { paths: [join(src, 'small.dcm')] }, { via: 'cli' });
    writeWfdb(src, 'ok');
    await core.dispatch('vitals.import', { path: join(src, 'ok.hea') }, { via: 'cli' });
    writeFileSync(join(src, 'ok.csv'), 'id,text\n1,fine\n');
    await core.dispatch('notes.import', { path: join(src, 'ok.csv') }, { via: 'cli' });
  }, 120_000);

  afterAll(async () => {
    await core?.close();
    tmp.cleanup();
  });

  it('skips a DICOM file whose element declares a gigabyte it does not hold', async () => {
    const r = await call<ChannelOutput<'dicom.import'>>('dicom.import', { paths: [join(src, 'gigabyte-element.dcm')] });
    expect(r.value.ok).toBe(true);
    const report = r.value.value!;
    expect(report.imported).toBe(0);
    expect(report.skipped).toBe(1);
    expect(report.skippedFiles[0]!.reason).toMatch(/declares 1073741824 bytes/);
    expect(r.ms).toBeLessThan(MAX_REFUSAL_MS);
    expect(r.peakGrowth).toBeLessThan(MAX_PEAK_GROWTH_BYTES);
  });

  it('refuses a 50 MB note in a CSV with the limit in the message, keeping the notes around it', async () => {
    const r = await call<ChannelOutput<'notes.import'>>('notes.import', { path: join(src, 'big-note.csv') });
    expect(r.value.ok).toBe(true);
    const summary = r.value.value!;
    expect(summary.complete).toBe(false);
    expect(summary.inserted).toBeGreaterThanOrEqual(1);
    expect(summary.errors[0]!.message).toMatch(/longer than 8388608 characters/);
    expect(r.ms).toBeLessThan(MAX_REFUSAL_MS);
    expect(r.peakGrowth).toBeLessThan(MAX_PEAK_GROWTH_BYTES);
  });

  it('refuses a WFDB header that promises four billion samples per signal', async () => {
    const r = await call<ChannelOutput<'vitals.import'>>('vitals.import', { path: join(src, 'huge.hea') });
    expect(r.value.ok).toBe(true);
    const summary = r.value.value!;
    expect(summary.inserted).toBe(0);
    expect(summary.failed).toBe(1);
    expect(summary.errors[0]!.message).toMatch(/promises 4000000000 samples per signal but huge\.dat holds only 200/);
    expect(r.ms).toBeLessThan(MAX_REFUSAL_MS);
    expect(r.peakGrowth).toBeLessThan(MAX_PEAK_GROWTH_BYTES);
  });

  it('refuses a CSV with a million columns with a typed error naming the limit', async () => {
    const r = await call('notes.import', { path: join(src, 'wide.csv'), textCol: ['c1'] });
    expect(r.ms).toBeLessThan(MAX_REFUSAL_MS);
    expect(r.peakGrowth).toBeLessThan(MAX_PEAK_GROWTH_BYTES);
    expect(r.value).toMatchObject({ ok: false, code: 'invalid-input' });
    expect(r.value.message).toMatch(/column|header|too long|longer/i);
  });

  it('refuses a deflate bomb in a deflated-syntax DICOM within bounded memory', async () => {
    const r = await call<ChannelOutput<'dicom.import'>>('dicom.import', { paths: [join(src, 'bomb.dcm')] });
    expect(r.peakGrowth).toBeLessThan(MAX_PEAK_GROWTH_BYTES);
    expect(r.ms).toBeLessThan(MAX_REFUSAL_MS);
    expect(r.value.ok).toBe(true);
    expect(r.value.value!.imported).toBe(0);
    expect(r.value.value!.skippedFiles[0]!.reason).toMatch(/too-large|inflate/);
  });
});
