import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFrame, parseDicom, readPixelModule } from '../../../native/dicom/index.js';
import { dataDir, tempDir } from '../helpers.js';
import { rleFrame } from './rleFrame.js';
import { sampleDifference } from './sampleDiff.js';

const data = dataDir();
const haveDcmtk =
  spawnSync('dcmcjpeg', ['--version']).status === 0 && spawnSync('dcmdjpeg', ['--version']).status === 0;

describe.skipIf(!data || !haveDcmtk)('12-bit JPEG extended (process 4, .51)', () => {
  const tmp = tempDir('osler-jpeg12-');
  afterAll(() => tmp.cleanup());

  it('decodes a dcmcjpeg +ee stream of a 12-bit MR exactly as dcmdjpeg does, close to the lossless source', async () => {
    const source = join(data!, 'dicom/mr-transfer-syntaxes/1_explicit_LE.dcm');
    const encoded = join(tmp.path, 'mr12.dcm');
    const reference = join(tmp.path, 'mr12-dcmdjpeg.dcm');
    expect(spawnSync('dcmcjpeg', ['+ee', source, encoded]).status).toBe(0);
    expect(spawnSync('dcmdjpeg', [encoded, reference]).status).toBe(0);

    const ds = parseDicom(readFileSync(encoded));
    expect(ds.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.51');
    expect(readPixelModule(ds).bitsStored).toBe(12);
    const ours = await decodeFrame(ds, 0);
    expect(ours.values).toBeInstanceOf(Uint16Array);
    const ref = await decodeFrame(parseDicom(readFileSync(reference)), 0);
    // Same bitstream, same IJG arithmetic: identical samples.
    expect(sampleDifference(ours.values, ref.values).max).toBe(0);

    // And a lossy copy of the original: small error everywhere, values spanning more than 8 bits.
    const original = await decodeFrame(parseDicom(readFileSync(source)), 0);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < original.values.length; i++) {
      sum += Math.abs(ours.values[i]! - original.values[i]!);
      max = Math.max(max, ours.values[i]!);
    }
    expect(sum / original.values.length).toBeLessThan(4);
    expect(max).toBeGreaterThan(255);
  });

  it('decodes the real 12-bit NM file exactly as dcmdjpeg does', async () => {
    const file = join(data!, 'dicom/pydicom-samples/NM_JPEG_extended_51.dcm');
    const reference = join(tmp.path, 'nm-dcmdjpeg.dcm');
    expect(spawnSync('dcmdjpeg', [file, reference]).status).toBe(0);
    const ours = await decodeFrame(parseDicom(readFileSync(file)), 0);
    const ref = await decodeFrame(parseDicom(readFileSync(reference)), 0);
    expect(sampleDifference(ours.values, ref.values).max).toBe(0);
  });

  it('refuses a corrupt 12-bit stream with decode-failed, and still decodes afterwards', async () => {
    const file = join(data!, 'dicom/pydicom-samples/NM_JPEG_extended_51.dcm');
    const bytes = new Uint8Array(readFileSync(file));
    const soi = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xd8);
    const dht = bytes.findIndex((b, i) => i > soi && b === 0xff && bytes[i + 1] === 0xc4);
    expect(soi).toBeGreaterThan(0);
    expect(dht).toBeGreaterThan(soi);
    // Huffman code counts all 255: more codes than any table can hold.
    const broken = new Uint8Array(bytes);
    broken.fill(0xff, dht + 5, dht + 21);
    await expect(decodeFrame(parseDicom(broken), 0)).rejects.toMatchObject({
      name: 'DicomParseError',
      reason: 'decode-failed',
      message: expect.stringMatching(/Huffman/),
    });
    const again = await decodeFrame(parseDicom(bytes), 0);
    expect(again.values.length).toBe(256 * 1024);
  });
});

describe.skipIf(!data)('libjpeg failures do not wear the codec out', () => {
  // The codec throws through wasm frames on corrupt data: its shadow stack must be restored and its leaked heap
  // recycled, or thousands of corrupt frames end with every decode failing out of bounds.
  const codecs = createRequire(join(import.meta.dirname, '../../../native/dicom/codecs/libjpeg.ts'))(
    'dcmjs-codecs',
  ) as {
    NativeCodecs: { wasmApi?: { wasmemscripten_stack_get_current(): number } };
  };

  it('restores the stack after a failure and replaces the module after a leak budget', async () => {
    const bytes = new Uint8Array(readFileSync(join(data!, 'dicom/pydicom-samples/NM_JPEG_extended_51.dcm')));
    await decodeFrame(parseDicom(bytes), 0);
    const soi = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xd8);
    const dht = bytes.findIndex((b, i) => i > soi && b === 0xff && bytes[i + 1] === 0xc4);
    const broken = new Uint8Array(bytes);
    broken.fill(0xff, dht + 5, dht + 21);
    const first = codecs.NativeCodecs.wasmApi!;
    const sp = first.wasmemscripten_stack_get_current();
    await expect(decodeFrame(parseDicom(broken), 0)).rejects.toMatchObject({ reason: 'decode-failed' });
    if (codecs.NativeCodecs.wasmApi === first) expect(first.wasmemscripten_stack_get_current()).toBe(sp);
    for (let i = 0; i < 150; i++) await decodeFrame(parseDicom(broken), 0).catch(() => undefined);
    expect(codecs.NativeCodecs.wasmApi).not.toBe(first);
    const ok = await decodeFrame(parseDicom(bytes), 0);
    expect(ok.values.length).toBe(256 * 1024);
  });
});

describe.skipIf(!data)('JPEG-LS frames cut short', () => {
  it('are refused as decode-failed before CharLS decodes past their end', async () => {
    const { decodeJpegLs } = await import('../../../native/dicom/codecs/jpegLs.js');
    const { frameBytes } = await import('../../../native/dicom/frames.js');
    const ds = parseDicom(readFileSync(join(data!, 'dicom/mr-transfer-syntaxes/7_jpegls_lossless_gdcm.dcm')));
    const pm = readPixelModule(ds);
    const frame = frameBytes(ds, pm, 0, true).bytes;
    expect((await decodeJpegLs(frame, pm)).bytes.length).toBe(384 * 384 * 2);
    for (const cut of [2, 100, frame.length >> 1]) {
      await expect(decodeJpegLs(frame.subarray(0, frame.length - cut), pm)).rejects.toMatchObject({
        reason: 'decode-failed',
        message: expect.stringMatching(/EOI/),
      });
    }
  });
});

describe.skipIf(!data)('JPEG-LS decodes run in a worker under a deadline', () => {
  // CharLS could once spend seconds on a damaged frame (reading past a stream cut short; that case is now
  // refused up front), and a wasm call cannot be interrupted: only terminating its worker thread stops it.
  // A 1 ms deadline on a real frame (CharLS needs a few ms for it) stands in for a runaway decode: the timer
  // is due before the worker can answer, and timers run before message events in each turn of the loop.
  /** A private pool over the real codec worker, and the first frame of a real JPEG-LS file. */
  async function poolAndFrame(size: number, idleMs?: number) {
    const { CodecPool } = await import('../../../native/dicom/codecs/pool.js');
    const { workerScript } = await import('../../../native/runtime/workerScript.js');
    const { frameBytes } = await import('../../../native/dicom/frames.js');
    const ds = parseDicom(readFileSync(join(data!, 'dicom/mr-transfer-syntaxes/7_jpegls_lossless_gdcm.dcm')));
    const pm = readPixelModule(ds);
    const script = workerScript(
      new URL('../../../native/dicom/codecs/pool.ts', import.meta.url).href,
      'codecWorker.ts',
      'native/dicom/codecs/codecWorker.js',
    );
    expect(script).not.toBeNull();
    return { pool: new CodecPool(script, size, idleMs), pm, frame: frameBytes(ds, pm, 0, true).bytes };
  }

  it('stops a decode at its deadline, then decodes good frames in a fresh worker', async () => {
    const { pool, pm, frame } = await poolAndFrame(1);
    try {
      expect(pool.guarded).toBe(true);
      const good = await pool.decode('jpeg-ls', frame, pm);
      expect(good.bytes.length).toBe(384 * 384 * 2);
      // The caller's bytes are copied for the worker, never detached.
      expect(frame.byteLength).toBeGreaterThan(0);
      await expect(pool.decode('jpeg-ls', frame, pm, 1)).rejects.toMatchObject({
        reason: 'decode-failed',
        message: expect.stringMatching(/JPEG-LS frame did not decode within 1 ms \(384x384\).*damaged/),
      });
      // A frame queued behind a stopped one still decodes, identically.
      const [a, b] = await Promise.allSettled([
        pool.decode('jpeg-ls', frame, pm, 1),
        pool.decode('jpeg-ls', frame, pm),
      ]);
      expect(a.status).toBe('rejected');
      expect(b.status === 'fulfilled' && Buffer.from(b.value.bytes).equals(Buffer.from(good.bytes))).toBe(true);
      // Errors a decoder raises keep their reason and message across the thread boundary.
      await expect(pool.decode('jpeg-ls', frame.subarray(0, 100), pm)).rejects.toMatchObject({
        reason: 'decode-failed',
        message: expect.stringMatching(/EOI/),
      });
    } finally {
      await pool.close();
    }
    await expect(pool.decode('jpeg-ls', frame, pm)).resolves.toMatchObject({ bytesPerSample: 2 });
    await pool.close();
  });

  it('stops idle workers to return their memory and starts a fresh one for the next frame', async () => {
    const { pool, pm, frame } = await poolAndFrame(2, 100);
    try {
      const first = await pool.decode('jpeg-ls', frame, pm);
      expect(pool.workers).toBe(1);
      await expect.poll(() => pool.workers, { timeout: 5000 }).toBe(0);
      const again = await pool.decode('jpeg-ls', frame, pm);
      expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('decodeFrame decodes JPEG-LS through the shared pool, in a worker', async () => {
    const { codecPool } = await import('../../../native/dicom/codecs/pool.js');
    expect(codecPool().guarded).toBe(true);
    const file = readFileSync(join(data!, 'dicom/mr-transfer-syntaxes/7_jpegls_lossless_gdcm.dcm'));
    const ds = parseDicom(file);
    const frame = await decodeFrame(ds, 0);
    expect(frame.values.length).toBe(384 * 384);
    // The file's buffer stays whole (the worker got a copy of the frame), and decodes again the same.
    expect(file.byteLength).toBeGreaterThan(0);
    expect(Array.from((await decodeFrame(ds, 0)).values)).toEqual(Array.from(frame.values));
    expect(frame.values.buffer.byteLength).toBe(frame.values.byteLength);
  });
});

describe.skipIf(!data)('RLE scratch space shared between frames', () => {
  // Segments are unpacked into a buffer kept from frame to frame, so a segment that stops short must be refused
  // rather than leave the previous frame's bytes in its plane.
  it('refuses a segment that does not fill its plane, and decodes good frames the same before and after', async () => {
    const { decodeRle } = await import('../../../native/dicom/codecs/rle.js');
    const { frameBytes } = await import('../../../native/dicom/frames.js');
    const ds = parseDicom(readFileSync(join(data!, 'dicom/mr-transfer-syntaxes/4_rle.dcm')));
    const pm = readPixelModule(ds);
    const good = new Uint8Array(frameBytes(ds, pm, 0, true).bytes);
    const first = (await decodeRle(good, pm)).bytes.slice();
    const view = new DataView(good.buffer);
    const short = good.slice(0, view.getUint32(8, true) + 64);
    await expect(decodeRle(short, pm)).rejects.toMatchObject({
      reason: 'decode-failed',
      message: expect.stringMatching(/segment 1 decodes \d+ of 147456 bytes/),
    });
    const other = parseDicom(readFileSync(join(data!, 'dicom/dicomparser-samples/CT_2frame_rle.dcm')));
    const otherPm = readPixelModule(other);
    await decodeRle(frameBytes(other, otherPm, 1, true).bytes, otherPm);
    expect((await decodeRle(good, pm)).bytes).toEqual(first);
  });
});

describe.skipIf(!data)('cornerstone wasm codecs are recycled after repeated failures', () => {
  // Codec exceptions unwind through wasm frames and leak; without recycling, 20,000 failed JPEG-LS decodes left
  // CharLS failing every later frame with 'memory access out of bounds'.
  it('replaces the CharLS instance after a run of failures and keeps decoding good frames', async () => {
    const { decodeJpegLs } = await import('../../../native/dicom/codecs/jpegLs.js');
    const { wasmDecoder } = await import('../../../native/dicom/codecs/wasm.js');
    const { frameBytes } = await import('../../../native/dicom/frames.js');
    const ds = parseDicom(readFileSync(join(data!, 'dicom/pydicom-samples/MR_small_jpegls_lossless.dcm')));
    const pm = readPixelModule(ds);
    const good = new Uint8Array(frameBytes(ds, pm, 0, true).bytes);
    const bad = new Uint8Array(good);
    const sos = bad.findIndex((b, i) => b === 0xff && bad[i + 1] === 0xda);
    for (let i = sos + 12; i < bad.length - 4; i += 3) bad[i] = 0xff;
    const spec = '@cornerstonejs/codec-charls/decodewasmjs';
    const before = await wasmDecoder(spec, 'JpegLSDecoder');
    for (let i = 0; i < 100; i++)
      await expect(decodeJpegLs(bad, pm)).rejects.toMatchObject({ reason: 'decode-failed' });
    expect(await wasmDecoder(spec, 'JpegLSDecoder')).not.toBe(before);
    expect((await decodeJpegLs(good, pm)).bytes.length).toBe(64 * 64 * 2);
  });
});

describe.skipIf(!data)('decoded frames own their buffers', () => {
  // Fast paths hand out codec buffers without copying; a view into the file or a shared pool must never escape
  // (callers transfer `values.buffer`, and structured clones copy the whole buffer).
  it.each([
    'dicom/mr-transfer-syntaxes/1_explicit_LE.dcm',
    'dicom/mr-transfer-syntaxes/3_explicit_BE.dcm',
    'dicom/mr-transfer-syntaxes/4_rle.dcm',
    'dicom/dicomparser-samples/CT_2frame_jpeg_lossless_57.dcm',
    'dicom/dicomparser-samples/CT_2frame_jpegls_near_lossless_81.dcm',
    'dicom/mr-transfer-syntaxes/9_j2k_lossless.dcm',
    'dicom/pydicom-samples/NM_JPEG_extended_51.dcm',
    'dicom/dicomparser-samples/US_doppler_8frame_jpeg_baseline_50.dcm',
    'dicom/ct-head-ge/14.dcm',
  ])('%s', async (file) => {
    const bytes = readFileSync(join(data!, file));
    const ds = parseDicom(bytes);
    const a = await decodeFrame(ds, 0);
    const b = await decodeFrame(ds, 0);
    for (const f of [a, b]) {
      expect(f.values.byteOffset).toBe(0);
      expect(f.values.buffer.byteLength).toBe(f.values.byteLength);
      expect(f.values.buffer).not.toBe(bytes.buffer);
    }
    expect(a.values.buffer).not.toBe(b.values.buffer);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
  });
});

describe('RLE 16-bit join (word-at-a-time fast path and byte tail)', () => {
  it('joins high and low planes exactly for every width mod 4, masked for 12-bit unsigned, whole for signed', async () => {
    const { decodeRle } = await import('../../../native/dicom/codecs/rle.js');
    for (const columns of [4, 5, 6, 7, 9]) {
      for (const pad of [0, 1, 2, 3]) {
        for (const signed of [false, true]) {
          const rows = 3;
          const pixels = rows * columns;
          const samples = Uint16Array.from({ length: pixels }, (_, i) => (i * 40503 + 7) & 0xffff);
          const hi = Uint8Array.from(samples, (v) => v >> 8);
          const lo = Uint8Array.from(samples, (v) => v & 0xff);
          const pm = {
            rows,
            columns,
            bitsAllocated: 16,
            bitsStored: signed ? 16 : 12,
            highBit: signed ? 15 : 11,
            pixelRepresentation: signed ? 1 : 0,
            samplesPerPixel: 1,
            photometricInterpretation: 'MONOCHROME2',
          } as unknown as Parameters<typeof decodeRle>[1];
          const out = await decodeRle(rleFrame([hi, lo], pad), pm);
          const got = new Uint16Array(out.bytes.buffer, out.bytes.byteOffset, pixels);
          const want = Uint16Array.from(samples, (v) => (signed ? v : v & 0xfff));
          expect(Array.from(got), `${columns} columns, pad ${pad}, signed ${signed}`).toEqual(Array.from(want));
        }
      }
    }
  });
});
