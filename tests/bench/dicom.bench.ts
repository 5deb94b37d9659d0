/**
 * DICOM engine benchmark: decode throughput per transfer syntax on the shared files, the same for pydicom+GDCM
 * and dcmtk when installed, and the time to open the 28-slice head CT. Prints `name: value unit` lines.
 * Run: node --import tsx tests/bench/dicom.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  decodeFrame,
  parseDicom,
  readPixelModule,
  seriesGeometry,
  sliceGeometryInput,
  transferSyntax,
} from '../../native/dicom/index.js';

const data = resolve(process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const out = (name: string, value: number, unit: string) =>
  console.log(`${name}: ${value.toFixed(value < 10 ? 2 : 1)} ${unit}`);

const FILES = [
  'mr-transfer-syntaxes/1_explicit_LE.dcm',
  'mr-transfer-syntaxes/2_implicit_LE.dcm',
  'mr-transfer-syntaxes/3_explicit_BE.dcm',
  'mr-transfer-syntaxes/4_rle.dcm',
  'mr-transfer-syntaxes/5_jpeg_lossless_sv1_dcmtk.dcm',
  'dicomparser-samples/CT_2frame_jpeg_lossless_57.dcm',
  'mr-transfer-syntaxes/8_jpegls_lossless.dcm',
  'dicomparser-samples/CT_2frame_jpegls_near_lossless_81.dcm',
  'mr-transfer-syntaxes/9_j2k_lossless.dcm',
  'pydicom-samples/NM_JPEG2000_lossy.dcm',
  'dicomparser-samples/US_doppler_8frame_jpeg_baseline_50.dcm',
].map((f) => join(data, 'dicom', f));

const PY = `
import sys, time, pydicom, warnings
warnings.simplefilter('ignore')
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
pydicom.config.pixel_data_handlers = [numpy_handler, rle_handler, gdcm_handler]
for path in sys.argv[1:]:
    n = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.5:
        ds = pydicom.dcmread(path); a = ds.pixel_array; n += 1
    dt = (time.perf_counter() - t0) / n
    frames = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    print(path, dt, frames, a.nbytes)
`;

async function main(): Promise<void> {
  if (!existsSync(data)) {
    console.log('dicom.bench: skipped (no shared data at ' + data + ')');
    return;
  }
  const keyOf = new Map<string, string>();
  for (const file of FILES) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    const first = parseDicom(bytes);
    const key = transferSyntax(first.transferSyntaxUid)?.key ?? first.transferSyntaxUid;
    keyOf.set(file, key);
    const frames = readPixelModule(first).numberOfFrames;
    await decodeFrame(first, 0); // warm the codec (wasm instantiation is not decode time)
    let n = 0;
    let decodedBytes = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 500) {
      const ds = parseDicom(bytes);
      for (let f = 0; f < frames; f++) decodedBytes += (await decodeFrame(ds, f)).values.byteLength;
      n++;
    }
    const s = (performance.now() - t0) / 1000;
    out(`dicom.decode_mb_s.${key}`, decodedBytes / s / 1e6, 'MB/s');
    out(`dicom.decode_frames_s.${key}`, (n * frames) / s, 'frames/s');
  }

  const py = spawnSync('/usr/bin/python3', ['-c', PY, ...FILES.filter(existsSync)], { encoding: 'utf8' });
  if (py.status === 0) {
    for (const line of py.stdout.trim().split('\n')) {
      const [path, dt, frames, nbytes] = line.split(' ');
      const key = keyOf.get(path!);
      if (!key) continue;
      out(`dicom.peer.pydicom.decode_mb_s.${key}`, Number(nbytes) / Number(dt) / 1e6, 'MB/s');
      out(`dicom.peer.pydicom.decode_frames_s.${key}`, Number(frames) / Number(dt), 'frames/s');
    }
  } else console.log('dicom.peer.pydicom: skipped (python3-pydicom/gdcm not installed)');

  const tmp = mkdtempSync(join(tmpdir(), 'osler-bench-'));
  try {
    for (const file of FILES.filter(existsSync)) {
      const key = keyOf.get(file)!;
      const codec = transferSyntax(parseDicom(readFileSync(file), { untilTag: '7FE00010' }).transferSyntaxUid)?.codec;
      const tool =
        codec === 'rle'
          ? 'dcmdrle'
          : codec === 'jpeg-ls'
            ? 'dcmdjpls'
            : codec === 'jpeg-baseline' || codec === 'jpeg-lossless'
              ? 'dcmdjpeg'
              : undefined;
      if (!tool || spawnSync(tool, ['--version']).status !== 0) continue;
      const ds = parseDicom(readFileSync(file));
      const frames = readPixelModule(ds).numberOfFrames;
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 500) {
        spawnSync(tool, [file, join(tmp, 'o.dcm')]);
        n++;
      }
      const s = (performance.now() - t0) / 1000 / n;
      out(`dicom.peer.dcmtk.decode_frames_s.${key}`, frames / s, 'frames/s (incl. process start)');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const dir = join(data, 'dicom/ct-head-ge');
  const names = Array.from({ length: 28 }, (_, i) => `${String(i + 1).padStart(2, '0')}.dcm`);
  const times: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    const sets = names.map((n) => parseDicom(readFileSync(join(dir, n))));
    const g = seriesGeometry(sets.map((ds, i) => sliceGeometryInput(ds, String(i))));
    await decodeFrame(sets[Number(g.order[0])]!, 0);
    times.push(performance.now() - t0);
  }
  out('dicom.series_open_ms', times.sort((a, b) => a - b)[2]!, 'ms');
}

await main();
