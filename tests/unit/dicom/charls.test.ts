import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CHARLS_ADDON_PATH,
  charls,
  jpegLsDecoderName,
  loadCharls,
  setCharlsForTesting,
} from '../../../native/dicom/codecs/charls.js';
import { decodeJpegLs } from '../../../native/dicom/codecs/jpegLs.js';
import { main } from '../../../native/cli/main.js';
import { frameBytes } from '../../../native/dicom/frames.js';
import {
  decodeFrame,
  isDicomParseError,
  parseDicom,
  readPixelModule,
  type PixelModule,
} from '../../../native/dicom/index.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const addon = charls();
/** Suite titles carry the reason when they skip. */
const needsAddon = (title: string) =>
  addon ? title : `${title} (skipped: the native CharLS addon is not built; npm run build:addons needs libcharls-dev)`;
const JLS_UIDS = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);
const hasDcmtk = ['dcmcjpls', 'dcmdrle'].every((tool) => spawnSync(tool, ['--version']).status === 0);

interface JlsFrame {
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

function framesOf(root: string, paths: Iterable<string>): JlsFrame[] {
  const frames: JlsFrame[] = [];
  for (const path of paths) {
    let pm: PixelModule;
    let ds;
    try {
      ds = parseDicom(readFileSync(path));
      if (!JLS_UIDS.has(ds.transferSyntaxUid)) continue;
      pm = readPixelModule(ds);
    } catch {
      continue;
    }
    for (let f = 0; f < pm.numberOfFrames; f++)
      frames.push({ label: `${path.slice(root.length + 1)} #${f}`, encoded: frameBytes(ds, pm, f, true).bytes, pm });
  }
  return frames;
}

/** Every frame of every JPEG-LS (.80/.81) file under the shared data and pydicom's test files. */
function jlsFrames(): JlsFrame[] {
  const roots = [data && join(data, 'dicom'), existsSync(PYDICOM_FILES) ? PYDICOM_FILES : null];
  return roots.flatMap((root) => (root ? framesOf(root, files(root)) : []));
}

/**
 * Colour JPEG-LS frames the shared files lack, made with dcmtk from pydicom's RGB RLE files: 8-bit lossless and
 * 16-bit near-lossless (NEAR 2), each in all three interleave modes (none is planar, which the decoders
 * interleave themselves).
 */
const generated = tempDir('osler-charls-');
afterAll(() => generated.cleanup());
function colourFrames(): JlsFrame[] {
  if (!hasDcmtk || !existsSync(join(PYDICOM_FILES, 'SC_rgb_rle.dcm'))) return [];
  const out: string[] = [];
  const run = (tool: string, ...args: string[]) => {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
  };
  for (const [source, name, lossy] of [
    ['SC_rgb_rle.dcm', 'rgb8', false],
    ['SC_rgb_rle_16bit.dcm', 'rgb16-near', true],
  ] as const) {
    const raw = join(generated.path, `${name}.raw.dcm`);
    run('dcmdrle', join(PYDICOM_FILES, source), raw);
    for (const mode of ['none', 'line', 'sample']) {
      const file = join(generated.path, `${name}-${mode}.dcm`);
      run('dcmcjpls', ...(lossy ? ['+en'] : []), `--interleave-${mode}`, raw, file);
      out.push(file);
    }
  }
  return framesOf(generated.path, out);
}

const frames = addon ? jlsFrames() : [];
const colour = addon ? colourFrames() : [];
const firstLossless = frames.find((f) => f.label.startsWith('mr-transfer-syntaxes/8_jpegls_lossless'));
const nearLossless = frames.find((f) => f.label.startsWith('dicomparser-samples/CT_2frame_jpegls_near_lossless_81'));

async function outcome(encoded: Uint8Array, pm: PixelModule, backend: 'native' | 'wasm') {
  try {
    return { ok: true as const, output: await decodeJpegLs(encoded, pm, backend) };
  } catch (error) {
    if (!isDicomParseError(error)) throw error;
    return { ok: false as const, reason: error.reason, message: error.message };
  }
}

async function differences(list: readonly JlsFrame[]): Promise<string[]> {
  const differing: string[] = [];
  for (const { label, encoded, pm } of list) {
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
  return differing;
}

describe.skipIf(!addon)(needsAddon('native CharLS addon: same samples as the wasm decoder'), () => {
  it.skipIf(!data)('finds the lossless and near-lossless JPEG-LS files to compare', () => {
    expect(firstLossless).toBeDefined();
    expect(nearLossless).toBeDefined();
    expect(frames.filter((f) => f.label.includes('near_lossless')).length).toBeGreaterThanOrEqual(3);
    expect(frames.length).toBeGreaterThanOrEqual(7);
  });

  it('decodes every JPEG-LS frame of the shared and pydicom files byte for byte like wasm', async () => {
    expect(await differences(frames)).toEqual([]);
  });

  it.skipIf(!hasDcmtk)('decodes colour in every interleave mode, lossless and near-lossless, like wasm', async () => {
    expect(colour.map((f) => f.label.replace(/\.dcm #0$/, ''))).toEqual([
      'rgb8-none',
      'rgb8-line',
      'rgb8-sample',
      'rgb16-near-none',
      'rgb16-near-line',
      'rgb16-near-sample',
    ]);
    expect(await differences(colour)).toEqual([]);
    const modes = colour.map((f) => addon!.decode(f.encoded, f.pm.columns, f.pm.rows, 3));
    expect(modes.map((m) => [m.interleaveMode, m.nearLossless, m.bitsPerSample])).toEqual([
      [0, 0, 8],
      [1, 0, 8],
      [2, 0, 8],
      [0, 2, 16],
      [1, 2, 16],
      [2, 2, 16],
    ]);
    // The planar stream comes back interleaved: the same pixels as the sample-interleaved one.
    expect(Buffer.from(modes[0]!.bytes).equals(Buffer.from(modes[2]!.bytes))).toBe(true);
  });

  it.skipIf(!data)('reports the near-lossless parameter and the stream layout', () => {
    const { encoded, pm } = nearLossless!;
    const frame = addon!.decode(encoded, pm.columns, pm.rows, pm.samplesPerPixel);
    expect(frame).toMatchObject({ width: pm.columns, height: pm.rows, components: 1, interleaveMode: 0 });
    expect(frame.nearLossless).toBeGreaterThan(0);
    expect(frame.bytes.length).toBe(pm.columns * pm.rows * 2);
    const lossless = addon!.decode(firstLossless!.encoded, firstLossless!.pm.columns, firstLossless!.pm.rows, 1);
    expect(lossless.nearLossless).toBe(0);
  });

  it.skipIf(!data)('decodes through decodeFrame (codec worker) to the wasm samples', async () => {
    const file = join(data!, 'dicom/mr-transfer-syntaxes/8_jpegls_lossless.dcm');
    const stored = await decodeFrame(parseDicom(readFileSync(file)), 0);
    const wasm = await decodeJpegLs(firstLossless!.encoded, firstLossless!.pm, 'wasm');
    expect(Buffer.from(stored.values.buffer, stored.values.byteOffset, stored.values.byteLength)).toEqual(
      Buffer.from(wasm.bytes),
    );
  });
});

describe.skipIf(!addon || !data)(needsAddon('native CharLS addon: damaged input'), () => {
  it('rejects truncated frames with decode-failed', async () => {
    for (const { encoded, pm } of [firstLossless!, nearLossless!]) {
      for (const cut of [20, 200, 5000, encoded.length >> 1, encoded.length - 2]) {
        const r = await outcome(encoded.subarray(0, cut), pm, 'native');
        expect(r, `cut at ${cut}`).toMatchObject({ ok: false, reason: 'decode-failed' });
      }
    }
  });

  it('gives CharLS own message for a truncated stream that still ends in EOI', async () => {
    // The EOI check in jpegLs.ts turns away plain truncation before the addon runs; with EOI put back on,
    // the addon itself must fail with CharLS's reason.
    const { encoded, pm } = firstLossless!;
    const cut = new Uint8Array([...encoded.subarray(0, encoded.length >> 1), 0xff, 0xd9]);
    const r = await outcome(cut, pm, 'native');
    expect(r).toMatchObject({ ok: false, reason: 'decode-failed' });
    expect(r.ok ? '' : r.message).toMatch(/^JPEG-LS frame cannot be decoded: cannot decode the stream \(.+\)$/);
  });

  it('rejects a stream whose size disagrees with the header before decoding', async () => {
    const { encoded, pm } = firstLossless!;
    expect(await outcome(encoded, { ...pm, rows: pm.rows - 1 }, 'native')).toMatchObject({
      ok: false,
      reason: 'decode-failed',
    });
    // The addon on its own (the TypeScript header check bypassed) refuses it too.
    expect(() => addon!.decode(encoded, pm.columns, pm.rows - 1, 1)).toThrow(
      /^charls: the stream is 384x384x1, the header says 384x383x1$/,
    );
  });

  it('survives seeded byte corruption: a frame of the right size or decode-failed, never a crash', async () => {
    for (const { encoded, pm } of [firstLossless!, nearLossless!]) {
      const expected = pm.rows * pm.columns * pm.samplesPerPixel * 2;
      const seen = { ok: 0, failed: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(encoded.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
          fc.option(fc.integer({ min: 2, max: encoded.length }), { nil: undefined }),
          async (edits, cut) => {
            const bytes = new Uint8Array(encoded.subarray(0, cut ?? encoded.length));
            for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
            // Put EOI back half the time so truncations reach CharLS instead of the EOI check.
            if (cut !== undefined && cut % 2 === 0 && bytes.length > 2) bytes.set([0xff, 0xd9], bytes.length - 2);
            const r = await outcome(bytes, pm, 'native');
            if (r.ok) expect(r.output.bytes.length).toBe(expected);
            else expect(r.reason).toBe('decode-failed');
            seen[r.ok ? 'ok' : 'failed']++;
          },
        ),
        { seed: 20261129, numRuns: 150 },
      );
      expect(seen.failed).toBeGreaterThan(0);
    }
  });

  it('validates its arguments in the addon', () => {
    const { encoded, pm } = firstLossless!;
    const call =
      (...args: unknown[]) =>
      () =>
        (addon!.decode as (...a: unknown[]) => unknown)(...args);
    expect(call(encoded, pm.columns, pm.rows)).toThrow(/^charls: .*four arguments/);
    expect(call(new Int16Array(8), pm.columns, pm.rows, 1)).toThrow(/^charls: encoded must be a Uint8Array/);
    expect(call('jls', pm.columns, pm.rows, 1)).toThrow(/^charls: encoded must be a Uint8Array/);
    expect(call(new Uint8Array(0), pm.columns, pm.rows, 1)).toThrow(/^charls: the stream is empty/);
    for (const bad of [0, -1, 1.5, 65536, Number.NaN, '384'])
      expect(call(encoded, bad, pm.rows, 1), String(bad)).toThrow(/^charls: columns, rows and components/);
    expect(call(encoded, pm.columns, pm.rows, 5)).toThrow(/^charls: columns, rows and components/);
    expect(call(encoded, 65535, 65535, 4)).toThrow(/^charls: the frame is too large/);
    expect(call(new Uint8Array(64).fill(0xff), 16, 16, 1)).toThrow(/^charls: cannot read the frame header \(.+\)/);
    expect(addon!.version()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('JPEG-LS decoder fallback', () => {
  afterEach(() => setCharlsForTesting(undefined));

  it('loads nothing from a path without an addon', () => {
    expect(loadCharls('/nonexistent/osler_charls.node')).toBeNull();
  });

  it.skipIf(!data)('decodes with wasm when the addon is unavailable, and says so', async () => {
    setCharlsForTesting(null);
    expect(jpegLsDecoderName()).toMatch(/wasm/);
    const file = join(data!, 'dicom/dicomparser-samples/CT_2frame_jpegls_near_lossless_81.dcm');
    const ds = parseDicom(readFileSync(file));
    const pm = readPixelModule(ds);
    const encoded = frameBytes(ds, pm, 1, true).bytes;
    const auto = await decodeJpegLs(encoded, pm);
    const wasm = await decodeJpegLs(encoded, pm, 'wasm');
    expect(Buffer.from(auto.bytes).equals(Buffer.from(wasm.bytes))).toBe(true);
    await expect(decodeJpegLs(encoded, pm, 'native')).rejects.toMatchObject({
      reason: 'decode-failed',
      message: expect.stringMatching(/not available/),
    });
  });

  it.skipIf(!data)('uses an injected addon for auto decodes', async () => {
    const file = join(data!, 'dicom/mr-transfer-syntaxes/8_jpegls_lossless.dcm');
    const ds = parseDicom(readFileSync(file));
    const pm = readPixelModule(ds);
    const fake = new Uint8Array(pm.rows * pm.columns * 2).fill(7);
    const calls: number[][] = [];
    setCharlsForTesting({
      version: () => '9.9.9',
      decode: (_e, columns, rows, components) => {
        calls.push([columns, rows, components]);
        return {
          bytes: fake,
          width: columns,
          height: rows,
          components,
          bitsPerSample: 16,
          interleaveMode: 0,
          nearLossless: 0,
        };
      },
    });
    expect(jpegLsDecoderName()).toBe('CharLS 9.9.9 (native addon)');
    const out = await decodeJpegLs(frameBytes(ds, pm, 0, true).bytes, pm);
    expect(out.bytes).toBe(fake);
    expect(calls).toEqual([[pm.columns, pm.rows, 1]]);
  });

  it.skipIf(!data)('osler dicom info names the JPEG-LS decoder for JPEG-LS files', async () => {
    const info = async (file: string) => {
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: () => {} };
      expect(await main(['dicom', 'info', '--json', join(data!, 'dicom', file)], io)).toBe(0);
      return JSON.parse(out.join('\n')) as { decoder?: string };
    };
    const near = 'dicomparser-samples/CT_2frame_jpegls_near_lossless_81.dcm';
    expect((await info(near)).decoder).toBe(jpegLsDecoderName());
    expect((await info('mr-transfer-syntaxes/8_jpegls_lossless.dcm')).decoder).toMatch(/^CharLS /);
    setCharlsForTesting(null);
    expect((await info(near)).decoder).toMatch(/^CharLS \(wasm/);
    expect((await info('mr-transfer-syntaxes/4_rle.dcm')).decoder).toBeUndefined();
  });

  it('OSLER_JLS_DECODER=wasm forces the wasm decoder in a fresh process', () => {
    const module = new URL('../../../native/dicom/codecs/charls.ts', import.meta.url).href;
    const code = `const m = await import(${JSON.stringify(module)}); console.log(m.jpegLsDecoderName());`;
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const forced = run({ OSLER_JLS_DECODER: 'wasm' });
    expect(forced.stdout.trim()).toMatch(/^CharLS \(wasm/);
    const normal = run({ OSLER_JLS_DECODER: '' });
    const built = loadCharls(join(import.meta.dirname, '../../..', CHARLS_ADDON_PATH)) !== null;
    expect(normal.stdout.trim()).toMatch(built ? /^CharLS \d.*native addon/ : /^CharLS \(wasm/);
  });
});
