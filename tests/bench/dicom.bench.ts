/**
 * DICOM engine benchmark: decode throughput per transfer syntax on the shared files, the same for pydicom+GDCM
 * and dcmtk when installed, and the time to open the 28-slice head CT. Prints `name: value unit` lines.
 * Throughput is per CPU second of the measuring process (ours and pydicom's alike): on a shared machine wall
 * time mostly measures the other tenants, while single-threaded decoding costs the same CPU time either way.
 * dcmtk runs as a separate process per file, so it decodes a file holding the frames repeated to ~24 MB, and its
 * figure is the children's CPU time of decompressing that file minus that of the same tool copying its own
 * uncompressed output (start-up, parse and write cancel out): decoding alone. Ours is measured on the same file
 * (`dicom.decode_mb_s_repeated`, parse included). `dicom.vs_<peer>.<syntax>` is ours / theirs in MB per CPU second.
 * `dicom.decode_mb_s_wall` is ours in wall time with 4 decodes in flight (the viewer's prefetch does this; the
 * wasm codecs then use two codec workers), and `dicom.vs_pydicom_wall` compares it with pydicom's single thread.
 * A peer's figure counts only where its pixels are ours (`dicom.peer.pydicom.check.<syntax>`; monochrome files,
 * through the conformance test's reference.py): GDCM returns wrong pixels without an error for a multi-frame
 * JPEG-LS file with an empty offset table, and a failed decode is no speed to compare with. So .81 is also measured
 * on a head CT slice made near-lossless (NEAR 2), one frame, which GDCM decodes (`.ct-slice`; see MADE).
 * Run: node --import tsx tests/bench/dicom.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  decodeFrame,
  parseDicom,
  readPixelModule,
  seriesGeometry,
  sliceGeometryInput,
  transferSyntax,
} from '../../native/dicom/index.js';
import { frameBytes } from '../../native/dicom/frames.js';
import { haveOjph, HTJ2K_TS, htj2kDicom, ojphCompress } from '../unit/dicom/htj2kFile.js';
import { encapsulatedPixelData } from '../unit/trust/dicomBytes.js';
import { readReferenceRaw } from '../unit/dicom/referenceRaw.js';

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

/** A tool's conversion of a shared file into `target`; false where the tool is missing or fails. */
const converted = (tool: string, args: string[], from: string) => (target: string) =>
  spawnSync(tool, [...args, join(data, 'dicom', from), target]).status === 0;

/**
 * Files the bench makes from the shared data, when the tool is installed: the head CT slice near-lossless
 * (gdcmconv; dcmcjpls refuses signed pixels) and as HTJ2K lossless (OpenJPH's ojph_compress; shifted to
 * unsigned, as OpenJPH 0.9 codes negative samples its own way). No peer here decodes HTJ2K.
 */
const MADE: { file: string; label: string; make: (target: string) => boolean | Promise<boolean> }[] = [
  {
    file: 'jls-ct-slice.dcm',
    label: 'ct-slice',
    make: converted('gdcmconv', ['--jpegls', '--lossy', '--allowed-error', '2'], 'ct-head-ge/14.dcm'),
  },
  {
    file: 'htj2k-ct-slice.dcm',
    label: 'ct-slice',
    make: async (target) => {
      if (!haveOjph) return false;
      const source = await decodeFrame(parseDicom(readFileSync(join(data, 'dicom/ct-head-ge/14.dcm'))), 0);
      const image = { rows: source.rows, columns: source.columns, bits: 16 as const };
      const values = Uint16Array.from(source.values, (v) => v + 32768);
      const codestream = ojphCompress(dirname(target), { ...image, values }, false);
      writeFileSync(target, htj2kDicom(HTJ2K_TS.lossless, { ...image, values }, [codestream]));
      return true;
    },
  },
];

/** How pydicom+GDCM's pixels compare with ours: `colour` files are not compared here. */
type PeerCheck = { kind: 'colour' } | { kind: 'refused'; why: string } | { kind: 'compared'; maxDiff: number };

/**
 * pydicom+GDCM's stored values of a file (the conformance test's reference.py, with the same handler
 * list as the timing script) against ours, frame by frame. Colour files are not compared: GDCM skips the
 * YCbCr->RGB step (the conformance test compares them).
 */
async function peerCheck(file: string, tmp: string): Promise<PeerCheck> {
  const ds = parseDicom(readFileSync(file));
  const pm = readPixelModule(ds);
  if (pm.samplesPerPixel !== 1) return { kind: 'colour' };
  const script = join(import.meta.dirname, '..', 'unit', 'dicom', 'reference.py');
  const r = spawnSync('/usr/bin/python3', [script, tmp, String(pm.numberOfFrames), file], {
    encoding: 'utf8',
    env: { ...process.env, OSLER_REFERENCE_HANDLERS: 'gdcm' },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) return { kind: 'refused', why: `reference.py failed: ${r.stderr.trim().split('\n').pop()}` };
  const rec = JSON.parse(line) as { ok?: boolean; dtype?: string; error?: string };
  const ref = rec.ok && rec.dtype !== undefined ? readReferenceRaw(join(tmp, '0.raw'), rec.dtype) : undefined;
  if (ref === undefined) return { kind: 'refused', why: rec.error ?? `unreadable dtype ${rec.dtype}` };
  let max = 0;
  let at = 0;
  for (let f = 0; f < pm.numberOfFrames; f++) {
    const ours = (await decodeFrame(ds, f)).values;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i]! - (ref[at + i] ?? Number.NaN)));
    at += ours.length;
  }
  return { kind: 'compared', maxDiff: at === ref.length && !Number.isNaN(max) ? max : Number.POSITIVE_INFINITY };
}

const PY = `
import sys, time, pydicom, warnings
warnings.simplefilter('ignore')
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
pydicom.config.pixel_data_handlers = [numpy_handler, rle_handler, gdcm_handler]
for path in sys.argv[1:]:
    try:
        n = 0; t0 = time.perf_counter(); c0 = time.process_time()
        while time.perf_counter() - t0 < 1.0:
            ds = pydicom.dcmread(path); a = ds.pixel_array; n += 1
    except Exception as e:
        print(path, 'refused', type(e).__name__, str(e)[:100].replace(chr(10), ' '), flush=True)
        continue
    dt = (time.process_time() - c0) / n
    frames = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    print(path, dt, frames, a.nbytes, flush=True)
`;

/** The dcmtk command line tool that decompresses a codec, if dcmtk has one (it has no JPEG 2000 decoder). */
function dcmtkTool(codec: string | undefined): string | undefined {
  if (codec === 'rle') return 'dcmdrle';
  if (codec === 'jpeg-ls') return 'dcmdjpls';
  if (codec === 'jpeg-baseline' || codec === 'jpeg-lossless') return 'dcmdjpeg';
  return undefined;
}

/** Bash prints `times` as `0m1.234s 0m0.056s` lines: the shell's own, then its children's user and system time. */
const childCpuS = (line: string) =>
  line
    .trim()
    .split(' ')
    .map((t) => /^(\d+)m([\d.]+)s$/.exec(t))
    .reduce((sum, m) => sum + (m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN), 0);

/**
 * dcmtk's decode cost without process start: the CPU time (children's rusage, user + system) of the tool
 * decompressing `file`, minus that of the same tool copying `plain` (its own decompressed output: the same
 * start-up, dictionary load, parse of the same data set and write of the same bytes, but nothing to decode).
 * Runs alternate so drift on a shared machine hits both sides alike; each costs about one process start.
 */
function dcmtkDecodeCpu(
  tool: string,
  file: string,
  plain: string,
  output: string,
): { decodeS: number; stderrS: number } {
  const pairs = 12;
  const script = `for i in $(seq ${pairs}); do "$0" "$1" "$3" >/dev/null 2>&1; times; "$0" "$2" "$3" >/dev/null 2>&1; times; done`;
  const r = spawnSync('bash', ['-c', script, tool, file, plain, output], { encoding: 'utf8' });
  // `times` prints two lines; the second (children) is cumulative, so each run is the difference to the last.
  const cumulative = r.stdout
    .trim()
    .split('\n')
    .filter((_, i) => i % 2 === 1)
    .map(childCpuS);
  const runs = cumulative.map((c, i) => c - (i > 0 ? cumulative[i - 1]! : 0));
  const diffs = Array.from({ length: pairs }, (_, i) => runs[2 * i]! - runs[2 * i + 1]!);
  const mean = diffs.reduce((a, b) => a + b, 0) / pairs;
  const variance = diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (pairs - 1);
  return { decodeS: mean, stderrS: Math.sqrt(variance / pairs) };
}

const EXPLICIT_LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * An encapsulated (explicit VR little endian) file with its frames repeated `copies` times: Number of Frames
 * rewritten, an empty Basic Offset Table and one fragment per frame, as dcmtk expects without a table.
 */
function repeatFrames(bytes: Uint8Array, copies: number): Uint8Array {
  const ds = parseDicom(bytes);
  const pm = readPixelModule(ds);
  const frames = Array.from({ length: pm.numberOfFrames }, (_, i) => frameBytes(ds, pm, i, true).bytes);
  const elements = Object.entries(ds.raw.elements);
  const pixel = ds.element('PixelData')!;
  const nf = ds.element('NumberOfFrames');
  const after = elements.find(([tag]) => tag > 'x00280008')![1];
  const insertAt = after.dataOffset - (EXPLICIT_LONG_VRS.has(after.vr ?? '') ? 12 : 8);
  let value = String(frames.length * copies);
  if (value.length % 2) value += ' ';
  const nfElement = new Uint8Array(8 + value.length);
  nfElement.set([0x28, 0x00, 0x08, 0x00, 0x49, 0x53, value.length, 0]);
  nfElement.set(Buffer.from(value, 'latin1'), 8);
  const head = nf
    ? [bytes.subarray(0, nf.dataOffset - 8), bytes.subarray(nf.dataOffset + nf.length, pixel.dataOffset - 12)]
    : [bytes.subarray(0, insertAt), bytes.subarray(insertAt, pixel.dataOffset - 12)];
  const repeated = Array.from({ length: copies }, () => frames).flat();
  const parts: Uint8Array[] = [head[0]!, nfElement, head[1]!, encapsulatedPixelData(repeated)];
  return Buffer.concat(parts);
}

/** Our decode throughput on a file: parse, then every frame to stored values, repeated for 1.5 s of wall time. */
async function oursOnFile(bytes: Uint8Array): Promise<number> {
  let decodedBytes = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < 1500) {
    const ds = parseDicom(bytes);
    const frames = readPixelModule(ds).numberOfFrames;
    for (let f = 0; f < frames; f++) decodedBytes += (await decodeFrame(ds, f)).values.byteLength;
  }
  return decodedBytes / cpuSeconds(c0) / 1e6;
}

/**
 * Our wall-clock throughput with `lanes` decodes in flight at once, as the viewer's prefetch asks for
 * slices: each lane parses the file and decodes every frame, for 1.5 s. The wasm codecs (JPEG-LS,
 * JPEG 2000, HTJ2K) run in up to two codec workers, so on two cores their frames decode in parallel.
 */
async function oursWall(bytes: Uint8Array, lanes: number): Promise<number> {
  let decodedBytes = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (performance.now() - t0 < 1500) {
      const ds = parseDicom(bytes);
      const frames = readPixelModule(ds).numberOfFrames;
      for (let f = 0; f < frames; f++) {
        // Not `decodedBytes += await …`: that reads the total before the await and loses the other lanes' bytes.
        const { values } = await decodeFrame(ds, f);
        decodedBytes += values.byteLength;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return decodedBytes / ((performance.now() - t0) / 1000) / 1e6;
}

async function main(): Promise<void> {
  if (!existsSync(data)) {
    console.log('dicom.bench: skipped (no shared data at ' + data + ')');
    return;
  }
  // The wasm codecs' speed depends on V8's optimising compiler: OpenJPEG decodes J2K 1.35x faster on node 24.
  console.log(`# dicom.bench on node ${process.version} (V8 ${process.versions.v8})`);
  const keyOf = new Map<string, string>();
  const lossyOf = new Map<string, boolean>();
  /** Decoded bytes and frames of each whole file, to turn peers' seconds into the same MB/s. */
  const decodedSize = new Map<string, { bytes: number; frames: number }>();
  const oursMbS = new Map<string, number>();
  const oursWallMbS = new Map<string, number>();
  const made = mkdtempSync(join(tmpdir(), 'osler-bench-made-'));
  const label = new Map<string, string>();
  for (const m of MADE) {
    const target = join(made, m.file);
    const ok = await Promise.resolve()
      .then(() => m.make(target))
      .catch((e: unknown) => {
        console.log(`dicom.bench: ${m.file}: ${String(e)}`);
        return false;
      });
    if (ok) label.set(target, m.label);
    else console.log(`dicom.bench: ${m.file} not made (its tool is missing or failed)`);
  }
  const files = [...FILES.filter(existsSync), ...label.keys()];
  for (const file of files) {
    const bytes = readFileSync(file);
    const first = parseDicom(bytes);
    const syntaxKey = transferSyntax(first.transferSyntaxUid)?.key ?? first.transferSyntaxUid;
    const key = label.has(file) ? `${syntaxKey}.${label.get(file)}` : syntaxKey;
    keyOf.set(file, key);
    lossyOf.set(file, transferSyntax(first.transferSyntaxUid)?.lossy ?? false);
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
    decodedSize.set(file, { bytes: decodedBytes / n, frames });
    oursMbS.set(key, decodedBytes / s / 1e6);
    out(`dicom.decode_mb_s.${key}`, decodedBytes / s / 1e6, 'MB/s (CPU time)');
    out(`dicom.decode_frames_s.${key}`, (n * frames) / s, 'frames/s (CPU time)');
    const wall = await oursWall(bytes, 4);
    oursWallMbS.set(key, wall);
    out(
      `dicom.decode_mb_s_wall.${key}`,
      wall,
      `MB/s (wall time, 4 decodes in flight, ${availableParallelism()} cores)`,
    );
  }

  const py = spawnSync('/usr/bin/python3', ['-c', PY, ...files], { encoding: 'utf8' });
  if (py.status === 0) {
    const refTmp = mkdtempSync(join(tmpdir(), 'osler-bench-ref-'));
    for (const line of py.stdout.trim().split('\n')) {
      const [path, dt, frames, nbytes] = line.split(' ');
      const key = keyOf.get(path!);
      if (!key) continue;
      if (dt === 'refused') {
        console.log(`dicom.peer.pydicom.${key}: cannot decode (${line.split(' ').slice(2).join(' ')})`);
        continue;
      }
      const theirs = Number(nbytes) / Number(dt) / 1e6;
      const check = await peerCheck(path!, refTmp);
      const tolerance = lossyOf.get(path!) ? 3 : 0;
      const name = `dicom.peer.pydicom.check.${key}`;
      if (check.kind === 'refused') {
        console.log(`${name}: not checked (${check.why}); no comparison`);
        continue;
      }
      if (check.kind === 'compared' && check.maxDiff > tolerance) {
        console.log(
          `${name}: FAILED, pydicom+GDCM's pixels are not the file's (max |d| ${check.maxDiff} from ours): its ${theirs.toFixed(1)} MB/s is no decode; no comparison`,
        );
        continue;
      }
      console.log(
        check.kind === 'colour'
          ? `${name}: colour, not compared here (GDCM skips YCbCr->RGB, so its time is a lower bound; the conformance test compares it)`
          : `${name}: same pixels as ours (max |d| ${check.maxDiff})`,
      );
      out(`dicom.peer.pydicom.decode_mb_s.${key}`, theirs, 'MB/s (CPU time)');
      out(`dicom.peer.pydicom.decode_frames_s.${key}`, Number(frames) / Number(dt), 'frames/s (CPU time)');
      const ours = oursMbS.get(key);
      if (ours) out(`dicom.vs_pydicom.${key}`, ours / theirs, 'x (ours / pydicom, MB per CPU second)');
      // pydicom decodes on one thread, so its CPU time is its wall time on an idle machine.
      const wall = oursWallMbS.get(key);
      if (wall)
        out(
          `dicom.vs_pydicom_wall.${key}`,
          wall / theirs,
          'x (ours with 4 decodes in flight / pydicom, MB per wall second)',
        );
    }
    rmSync(refTmp, { recursive: true, force: true });
  } else console.log('dicom.peer.pydicom: skipped (python3-pydicom/gdcm not installed)');

  const tmp = mkdtempSync(join(tmpdir(), 'osler-bench-'));
  try {
    for (const file of files) {
      const key = keyOf.get(file)!;
      const bytes = readFileSync(file);
      const tool = dcmtkTool(transferSyntax(parseDicom(bytes, { untilTag: '7FE00010' }).transferSyntaxUid)?.codec);
      const size = decodedSize.get(file);
      if (!tool || !size || spawnSync(tool, ['--version']).status !== 0) continue;
      // A run on one small file is mostly process start; repeating the frames into a ~24 MB multi-frame file
      // makes the decode dominate what the subtraction keeps.
      const copies = Math.max(1, Math.ceil(24e6 / size.bytes));
      const big = join(tmp, 'big.dcm');
      const plain = join(tmp, 'plain.dcm');
      writeFileSync(big, repeatFrames(bytes, copies));
      if (spawnSync(tool, [big, plain]).status !== 0) {
        console.log(`dicom.peer.dcmtk.decode_mb_s.${key}: ${tool} cannot decompress the repeated-frame file`);
        continue;
      }
      const cost = dcmtkDecodeCpu(tool, big, plain, join(tmp, 'o.dcm'));
      const mbS = (size.bytes * copies) / cost.decodeS / 1e6;
      const note = `CPU time without process start, ${size.frames * copies} frames, ±${((100 * cost.stderrS) / cost.decodeS).toFixed(0)}%`;
      out(`dicom.peer.dcmtk.decode_mb_s.${key}`, mbS, `MB/s (${note})`);
      out(`dicom.peer.dcmtk.decode_frames_s.${key}`, (size.frames * copies) / cost.decodeS, `frames/s (${note})`);
      // Ours on the same repeated-frame file, so one parse is spread over as many frames as dcmtk's figure.
      const ours = await oursOnFile(readFileSync(big));
      out(`dicom.decode_mb_s_repeated.${key}`, ours, `MB/s (CPU time, the ${size.frames * copies}-frame file)`);
      out(`dicom.vs_dcmtk.${key}`, ours / mbS, 'x (ours / dcmtk, MB per CPU second, same file)');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(made, { recursive: true, force: true });
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
