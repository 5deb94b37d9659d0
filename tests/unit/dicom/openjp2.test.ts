import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeJpeg2000 } from '../../../native/dicom/codecs/jpeg2000.js';
import {
  jpeg2000DecoderName,
  loadOpenJp2,
  OPENJP2_ADDON_PATH,
  openJp2,
  setOpenJp2ForTesting,
} from '../../../native/dicom/codecs/openjp2.js';
import { main } from '../../../native/cli/main.js';
import { frameBytes } from '../../../native/dicom/frames.js';
import {
  decodeFrame,
  isDicomParseError,
  parseDicom,
  readPixelModule,
  type PixelModule,
} from '../../../native/dicom/index.js';
import { corruptedCopies } from './corruption.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const addon = openJp2();
/** Suite titles carry the reason when they skip. */
const needsAddon = (title: string) =>
  addon
    ? title
    : `${title} (skipped: the native OpenJPEG addon is not built; npm run build:openjp2 needs libopenjp2-7-dev)`;
const J2K_UIDS = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);

interface J2kFrame {
  readonly label: string;
  readonly encoded: Uint8Array;
  readonly pm: PixelModule;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Every frame of every JPEG 2000 (.90/.91) file under the shared data and pydicom's test files. */
function j2kFrames(): J2kFrame[] {
  const roots = [data && join(data, 'dicom'), existsSync(PYDICOM_FILES) ? PYDICOM_FILES : null];
  const frames: J2kFrame[] = [];
  for (const root of roots) {
    if (!root) continue;
    for (const path of files(root)) {
      let pm: PixelModule;
      let ds;
      try {
        ds = parseDicom(readFileSync(path));
        if (!J2K_UIDS.has(ds.transferSyntaxUid)) continue;
        pm = readPixelModule(ds);
      } catch {
        continue;
      }
      for (let f = 0; f < pm.numberOfFrames; f++)
        frames.push({ label: `${path.slice(root.length + 1)} #${f}`, encoded: frameBytes(ds, pm, f, true).bytes, pm });
    }
  }
  return frames;
}

const frames = addon ? j2kFrames() : [];
const firstLossless = frames.find((f) => f.label.startsWith('mr-transfer-syntaxes/9_j2k_lossless'));

/** Decodes with the built addon or the wasm decoder, through the same decodeJpeg2000 the app calls. */
async function decodeWith(backend: 'native' | 'wasm', encoded: Uint8Array, pm: PixelModule) {
  setOpenJp2ForTesting(backend === 'wasm' ? null : addon);
  try {
    return await decodeJpeg2000(encoded, pm);
  } finally {
    setOpenJp2ForTesting(undefined);
  }
}

async function outcome(encoded: Uint8Array, pm: PixelModule, backend: 'native' | 'wasm') {
  try {
    return { ok: true as const, output: await decodeWith(backend, encoded, pm) };
  } catch (error) {
    if (!isDicomParseError(error)) throw error;
    return { ok: false as const, reason: error.reason, message: error.message };
  }
}

/** A JP2 file (signature, ftyp, jp2h with ihdr + colr, jp2c) around a raw codestream. */
function jp2Wrap(codestream: Uint8Array, pm: PixelModule, precision: number): Uint8Array {
  const box = (type: string, body: Uint8Array) => {
    const b = Buffer.alloc(8 + body.length);
    b.writeUInt32BE(b.length, 0);
    b.write(type, 4, 'latin1');
    b.set(body, 8);
    return b;
  };
  const ihdr = Buffer.alloc(14);
  ihdr.writeUInt32BE(pm.rows, 0);
  ihdr.writeUInt32BE(pm.columns, 4);
  ihdr.writeUInt16BE(pm.samplesPerPixel, 8);
  ihdr[10] = precision - 1;
  ihdr[11] = 7;
  const colr = Buffer.from([1, 0, 0, 0, 0, 0, pm.samplesPerPixel === 3 ? 16 : 17]);
  return Buffer.concat([
    Buffer.from([0, 0, 0, 12, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]),
    box('ftyp', Buffer.from('jp2 \0\0\0\0jp2 ', 'latin1')),
    box('jp2h', Buffer.concat([box('ihdr', ihdr), box('colr', colr)])),
    box('jp2c', codestream),
  ]);
}

describe.skipIf(!addon)(needsAddon('native OpenJPEG addon: same samples as the wasm decoder'), () => {
  it.skipIf(!data)('finds the JPEG 2000 files to compare', () => {
    expect(firstLossless).toBeDefined();
    expect(frames.length).toBeGreaterThanOrEqual(8);
  });

  it('decodes every JPEG 2000 frame of the shared and pydicom files byte for byte like wasm', async () => {
    const differing: string[] = [];
    for (const { label, encoded, pm } of frames) {
      const native = await outcome(encoded, pm, 'native');
      const wasm = await outcome(encoded, pm, 'wasm');
      if (native.ok !== wasm.ok) differing.push(`${label}: native ${native.ok}, wasm ${wasm.ok}`);
      else if (native.ok && wasm.ok) {
        const { bytes: a, ...restA } = native.output;
        const { bytes: b, ...restB } = wasm.output;
        if (!Buffer.from(a).equals(Buffer.from(b)) || JSON.stringify(restA) !== JSON.stringify(restB))
          differing.push(`${label}: different output`);
      }
    }
    expect(differing).toEqual([]);
  });

  it('reads the codestream signedness and precision (J2K_pixelrep_mismatch: 13-bit unsigned)', async () => {
    const frame = frames.find((f) => f.label.startsWith('J2K_pixelrep_mismatch'));
    if (!frame) return expect(existsSync(PYDICOM_FILES)).toBe(false);
    const out = await decodeWith('native', frame.encoded, frame.pm);
    expect(out).toMatchObject({ bytesPerSample: 2, precision: 13, signed: false });
  });

  it.skipIf(!data)('decodes a JP2-wrapped codestream to the same samples as the bare one', async () => {
    const { encoded, pm } = firstLossless!;
    const bare = await decodeWith('native', encoded, pm);
    const wrapped = await decodeWith('native', jp2Wrap(encoded, pm, bare.precision!), pm);
    expect(Buffer.from(wrapped.bytes).equals(Buffer.from(bare.bytes))).toBe(true);
  });

  it.skipIf(!data)('decodes through decodeFrame (codec worker) to the wasm samples', async () => {
    const file = join(data!, 'dicom/mr-transfer-syntaxes/9_j2k_lossless.dcm');
    const stored = await decodeFrame(parseDicom(readFileSync(file)), 0);
    const wasm = await decodeWith('wasm', firstLossless!.encoded, firstLossless!.pm);
    expect(Buffer.from(stored.values.buffer, stored.values.byteOffset, stored.values.byteLength)).toEqual(
      Buffer.from(wasm.bytes),
    );
  });

  // Both decoders give the same bytes, so only the process map tells which one the codec worker used.
  it.runIf(!!data && process.platform === 'linux')(
    'a fresh process decoding a JPEG 2000 frame maps the addon in (identical bytes alone cannot show which decoder ran)',
    () => {
      const index = new URL('../../../native/dicom/index.ts', import.meta.url).href;
      const file = join(data!, 'dicom/mr-transfer-syntaxes/9_j2k_lossless.dcm');
      const code =
        `const { decodeFrame, parseDicom } = await import(${JSON.stringify(index)});` +
        `const { readFileSync } = await import('node:fs');` +
        `const before = readFileSync('/proc/self/maps', 'utf8').includes('osler_openjp2.node');` +
        `await decodeFrame(parseDicom(readFileSync(${JSON.stringify(file)})), 0);` +
        `console.log(before, readFileSync('/proc/self/maps', 'utf8').includes('osler_openjp2.node'));` +
        `process.exit(0);`;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        encoding: 'utf8',
        env: { ...process.env, OSLER_J2K_DECODER: '' },
      });
      expect(run.stdout.trim()).toBe('false true');
    },
  );
});

describe.skipIf(!addon || !data)(needsAddon('native OpenJPEG addon: damaged input'), () => {
  it('rejects truncated codestreams with decode-failed and a message from OpenJPEG', async () => {
    const { encoded, pm } = firstLossless!;
    for (const cut of [50, 200, 5000, encoded.length >> 1, encoded.length - 2]) {
      const r = await outcome(encoded.subarray(0, cut), pm, 'native');
      expect(r, `cut at ${cut}`).toMatchObject({ ok: false, reason: 'decode-failed' });
      expect(r.ok ? '' : r.message).toMatch(/^JPEG 2000 frame cannot be decoded: .+\(.+\)$/);
    }
  });

  it('rejects a codestream whose size disagrees with the header before decoding', async () => {
    const { encoded, pm } = firstLossless!;
    const r = await outcome(encoded, { ...pm, rows: pm.rows - 1 }, 'native');
    expect(r).toMatchObject({ ok: false, reason: 'decode-failed' });
  });

  it('survives seeded byte corruption: a frame of the right size or decode-failed, never a crash', async () => {
    const { encoded, pm } = firstLossless!;
    const expected = pm.rows * pm.columns * pm.samplesPerPixel * 2;
    const seen = { ok: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(corruptedCopies(encoded), async (bytes) => {
        const r = await outcome(bytes, pm, 'native');
        if (r.ok) expect(r.output.bytes.length).toBe(expected);
        else expect(r.reason).toBe('decode-failed');
        seen[r.ok ? 'ok' : 'failed']++;
      }),
      { seed: 20261128, numRuns: 300 },
    );
    expect(seen.failed).toBeGreaterThan(0);
  });

  it('validates its arguments in the addon', () => {
    const { encoded, pm } = firstLossless!;
    const call =
      (...args: unknown[]) =>
      () =>
        (addon!.decode as (...a: unknown[]) => unknown)(...args);
    expect(call(encoded, pm.columns, pm.rows)).toThrow(/^openjp2: .*four arguments/);
    expect(call(new Int16Array(8), pm.columns, pm.rows, 1)).toThrow(/^openjp2: encoded must be a Uint8Array/);
    expect(call('j2k', pm.columns, pm.rows, 1)).toThrow(/^openjp2: encoded must be a Uint8Array/);
    expect(call(new Uint8Array(0), pm.columns, pm.rows, 1)).toThrow(/^openjp2: the codestream is empty/);
    for (const bad of [0, -1, 1.5, 65536, Number.NaN, '384'])
      expect(call(encoded, bad, pm.rows, 1), String(bad)).toThrow(/^openjp2: columns, rows and components/);
    expect(call(encoded, pm.columns, pm.rows, 5)).toThrow(/^openjp2: columns, rows and components/);
    expect(call(new Uint8Array(64).fill(0xff), 16, 16, 1)).toThrow(/^openjp2: cannot read the codestream header/);
    expect(addon!.version()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('JPEG 2000 decoder fallback', () => {
  afterEach(() => setOpenJp2ForTesting(undefined));

  // The install never fails for want of the addon, so CI (which installs libopenjp2-7-dev) checks it was built.
  it.runIf(process.env.CI === 'true')('is built in CI', () => {
    expect(addon, 'npm ci did not build native/addons/openjp2').not.toBeNull();
  });

  it('loads nothing from a path without an addon, and reports no failure for it', () => {
    expect(loadOpenJp2('/nonexistent/osler_openjp2.node')).toEqual({ addon: null });
    setOpenJp2ForTesting({ path: '/nonexistent/osler_openjp2.node' });
    expect(openJp2()).toBeNull();
    expect(jpeg2000DecoderName()).toMatch(/^OpenJPEG \(wasm/);
    expect(jpeg2000DecoderName()).not.toMatch(/failed to load/);
  });

  it('says why an addon that exists did not load', () => {
    const dir = tempDir();
    try {
      const broken = join(dir.path, 'osler_openjp2.node');
      writeFileSync(broken, 'not a shared object');
      expect(loadOpenJp2(broken)).toMatchObject({ addon: null, failure: expect.stringContaining(broken) });
      setOpenJp2ForTesting({ path: broken });
      expect(openJp2()).toBeNull();
      expect(jpeg2000DecoderName()).toMatch(/^OpenJPEG \(wasm.*native addon failed to load: .*osler_openjp2\.node/);
      // A forced choice carries no stale failure.
      setOpenJp2ForTesting(null);
      expect(jpeg2000DecoderName()).not.toMatch(/failed to load/);
    } finally {
      dir.cleanup();
    }
  });

  it.skipIf(!data)('sends JPEG 2000 frames to the addon when there is one, and to wasm otherwise', async () => {
    const file = join(data!, 'dicom/mr-transfer-syntaxes/9_j2k_lossless.dcm');
    const ds = parseDicom(readFileSync(file));
    const pm = readPixelModule(ds);
    const encoded = frameBytes(ds, pm, 0, true).bytes;
    // A stand-in addon that refuses everything: a frame it is given fails with its message.
    const decode = vi.fn(() => {
      throw new Error('openjp2: stand-in refuses');
    });
    setOpenJp2ForTesting({ decode, version: () => '0.0-test' });
    expect(jpeg2000DecoderName()).toBe('OpenJPEG 0.0-test (native addon)');
    await expect(decodeJpeg2000(encoded, pm)).rejects.toMatchObject({
      reason: 'decode-failed',
      message: expect.stringMatching(/stand-in refuses/),
    });
    expect(decode).toHaveBeenCalledTimes(1);
    expect(decode.mock.calls[0]!.slice(1)).toEqual([pm.columns, pm.rows, pm.samplesPerPixel]);
    // Without it the wasm OpenJPEG decodes the same frame (to the addon's samples, when it is built).
    setOpenJp2ForTesting(null);
    expect(jpeg2000DecoderName()).toMatch(/^OpenJPEG \(wasm/);
    const wasm = await decodeJpeg2000(encoded, pm);
    expect(wasm.bytes.length).toBe(pm.rows * pm.columns * 2);
    if (addon !== null)
      expect(Buffer.from(wasm.bytes).equals(Buffer.from(addon.decode(encoded, pm.columns, pm.rows, 1).bytes))).toBe(
        true,
      );
    expect(decode).toHaveBeenCalledTimes(1);
  });

  it.skipIf(!data)('osler dicom info names the JPEG 2000 decoder for JPEG 2000 files only', async () => {
    const info = async (file: string) => {
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: () => {} };
      expect(await main(['dicom', 'info', '--json', join(data!, 'dicom', file)], io)).toBe(0);
      return JSON.parse(out.join('\n')) as { decoder?: string };
    };
    expect((await info('mr-transfer-syntaxes/9_j2k_lossless.dcm')).decoder).toBe(jpeg2000DecoderName());
    setOpenJp2ForTesting(null);
    expect((await info('mr-transfer-syntaxes/9_j2k_lossless.dcm')).decoder).toMatch(/^OpenJPEG \(wasm/);
    expect((await info('mr-transfer-syntaxes/4_rle.dcm')).decoder).toBeUndefined();
  });

  it('OSLER_J2K_DECODER=wasm forces the wasm decoder in a fresh process', () => {
    const module = new URL('../../../native/dicom/codecs/openjp2.ts', import.meta.url).href;
    const code = `const m = await import(${JSON.stringify(module)}); console.log(m.jpeg2000DecoderName());`;
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const forced = run({ OSLER_J2K_DECODER: 'wasm' });
    expect(forced.stdout.trim()).toMatch(/^OpenJPEG \(wasm/);
    const normal = run({ OSLER_J2K_DECODER: '' });
    const built = loadOpenJp2(join(import.meta.dirname, '../../..', OPENJP2_ADDON_PATH)).addon !== null;
    expect(normal.stdout.trim()).toMatch(built ? /^OpenJPEG \d.*native addon/ : /^OpenJPEG \(wasm/);
  });
});
