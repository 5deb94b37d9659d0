/**
 * DICOM engine benchmark: decode throughput per transfer syntax on the shared files, the same for pydicom+GDCM
 * and dcmtk when installed, and the time to open the 28-slice head CT. Prints `name: value unit` lines.
 * Throughput is per CPU second of the measuring process (ours and pydicom's alike): on a shared machine wall
 * time mostly measures the other tenants, while single-threaded decoding costs the same CPU time either way.
 * dcmtk runs as a separate process per file, so it stays wall time including process start.
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
/** CPU seconds (user + system) this process used since `since`. */
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
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
  'pydicom-samples/NM_JPEG_extended_51.dcm',
].map((f) => join(data, 'dicom', f));

const PY = `
import sys, time, pydicom, warnings
warnings.simplefilter('ignore')
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
pydicom.config.pixel_data_handlers = [numpy_handler, rle_handler, gdcm_handler]
for path in sys.argv[1:]:
    n = 0; t0 = time.perf_counter(); c0 = time.process_time()
    while time.perf_counter() - t0 < 1.0:
        ds = pydicom.dcmread(path); a = ds.pixel_array; n += 1
    dt = (time.process_time() - c0) / n
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
    try {
      await decodeFrame(first, 0);
    } catch (e) {
      console.log(`dicom.decode_mb_s.${key}: unsupported (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    // Warm up for 3 s: wasm instantiation and V8's tier-up compilation of the codec (background threads
    // whose CPU time would count) are start-up costs, not decode throughput; pydicom's native codecs have none.
    for (const w0 = performance.now(); performance.now() - w0 < 3000;) await decodeFrame(parseDicom(bytes), 0);
    let n = 0;
    let decodedBytes = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    while (performance.now() - t0 < 1500) {
      const ds = parseDicom(bytes);
      for (let f = 0; f < frames; f++) decodedBytes += (await decodeFrame(ds, f)).values.byteLength;
      n++;
    }
    const s = cpuSeconds(c0);
    out(`dicom.decode_mb_s.${key}`, decodedBytes / s / 1e6, 'MB/s (CPU time)');
    out(`dicom.decode_frames_s.${key}`, (n * frames) / s, 'frames/s (CPU time)');
  }

  const py = spawnSync('/usr/bin/python3', ['-c', PY, ...FILES.filter(existsSync)], { encoding: 'utf8' });
  if (py.status === 0) {
    for (const line of py.stdout.trim().split('\n')) {
      const [path, dt, frames, nbytes] = line.split(' ');
      const key = keyOf.get(path!);
      if (!key) continue;
      out(`dicom.peer.pydicom.decode_mb_s.${key}`, Number(nbytes) / Number(dt) / 1e6, 'MB/s (CPU time)');
      out(`dicom.peer.pydicom.decode_frames_s.${key}`, Number(frames) / Number(dt), 'frames/s (CPU time)');
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
    const c0 = process.cpuUsage();
    const sets = names.map((n) => parseDicom(readFileSync(join(dir, n))));
    const g = seriesGeometry(sets.map((ds, i) => sliceGeometryInput(ds, String(i))));
    await decodeFrame(sets[Number(g.order[0])]!, 0);
    times.push(cpuSeconds(c0) * 1000);
  }
  out('dicom.series_open_ms', times.sort((a, b) => a - b)[2]!, 'ms (CPU time)');
}

await main();
