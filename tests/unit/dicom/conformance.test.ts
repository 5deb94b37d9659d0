import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeFrame,
  isDicomParseError,
  parseDicom,
  readPixelModule,
  transferSyntax,
  type DicomDataset,
} from '../../../native/dicom/index.js';
import { dataDir, tempDir } from '../helpers.js';
import { readReferenceRaw } from './referenceRaw.js';
import { sampleDifference } from './sampleDiff.js';

// Reference decodes: pydicom + GDCM (Debian python3-pydicom, python3-gdcm), dcmtk where they refuse.
const PYTHON = '/usr/bin/python3';
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const MAX_FRAMES = 4;
const data = dataDir();
const havePydicom = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pydicom, gdcm, numpy']).status === 0;
const haveDcmtk = spawnSync('dcmdjpeg', ['--version']).status === 0;

/**
 * Files where we knowingly differ from the reference: the JPEG stream says YCbCr (JFIF) while the DICOM header
 * says RGB; GDCM trusts the header and skips the colour transform, libjpeg trusts the stream and applies it.
 */
const KNOWN_DIFFERENT: Record<string, string> = {
  'SC_rgb_jpeg.dcm':
    'JFIF stream labelled RGB: we follow the stream (YCbCr->RGB), GDCM the header; dcmtk cannot parse the file',
};

/** Files our engine is known not to decode, with the reason; anything else must match. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  'JPEG2000-embedded-sequence-delimiter.dcm':
    'codestream SIZ declares 3722445056 columns (the fragment holds FFFE,E0DD bytes); refused rather than decoded against a corrupt header',
};

function dcmFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...dcmFiles(p));
    else if (name.endsWith('.dcm')) out.push(p);
  }
  return out;
}

interface RefRecord {
  ok: boolean;
  error?: string;
  dtype?: string;
  shape?: number[];
  photometric?: string;
  values?: ArrayLike<number>;
  source: string;
}

interface Row {
  file: string;
  syntax: string;
  frames: string;
  status:
    | 'known-different'
    | 'exact'
    | 'within-tolerance'
    | 'MISMATCH'
    | 'no-pixel-data'
    | 'both-refuse'
    | 'OURS-REFUSED'
    | 'ref-refused'
    | 'known-unsupported';
  detail: string;
}

function ybrToRgb(v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i += 3) {
    const y = v[i]!;
    const cb = v[i + 1]! - 128;
    const cr = v[i + 2]! - 128;
    out[i] = Math.min(255, Math.max(0, Math.round(y + 1.402 * cr)));
    out[i + 1] = Math.min(255, Math.max(0, Math.round(y - 0.344136 * cb - 0.714136 * cr)));
    out[i + 2] = Math.min(255, Math.max(0, Math.round(y + 1.772 * cb)));
  }
  return out;
}

async function ourFrames(
  ds: DicomDataset,
  count: number,
): Promise<{ values: number[] | Float64Array; photometric: string }> {
  const parts: ArrayLike<number>[] = [];
  let photometric = '';
  for (let f = 0; f < count; f++) {
    const fr = await decodeFrame(ds, f);
    photometric = fr.photometric;
    parts.push(fr.values);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Float64Array(total);
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[o + i] = p[i]!;
    o += p.length;
  }
  return { values: out, photometric };
}

/** dcmtk fallback: decompress to Explicit VR LE with the right tool, read back the native pixels. */
function dcmtkReference(file: string, tsUid: string, out: string): string | undefined {
  const codec = transferSyntax(tsUid)?.codec;
  const tool =
    codec === 'rle'
      ? 'dcmdrle'
      : codec === 'jpeg-ls'
        ? 'dcmdjpls'
        : codec === 'jpeg-baseline' || codec === 'jpeg-lossless'
          ? 'dcmdjpeg'
          : undefined;
  if (!tool) return undefined;
  const r = spawnSync(tool, [file, out], { encoding: 'utf8' });
  return r.status === 0 ? tool : undefined;
}

describe.skipIf(!havePydicom)('conformance against pydicom + GDCM (and dcmtk)', () => {
  const files = [
    ...(data ? dcmFiles(join(data, 'dicom')) : []),
    ...(existsSync(PYDICOM_FILES) ? dcmFiles(PYDICOM_FILES).filter((f) => !f.includes('dicomdirtests')) : []),
  ];
  const refs = new Map<string, RefRecord>();
  const tmp = tempDir('osler-dicom-conf-');
  const rows: Row[] = [];

  beforeAll(() => {
    const r = spawnSync(PYTHON, [join(import.meta.dirname, 'reference.py'), tmp.path, String(MAX_FRAMES), ...files], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as RefRecord & { index: number };
      const file = files[rec.index]!;
      if (rec.ok) {
        rec.values = readReferenceRaw(join(tmp.path, `${rec.index}.raw`), rec.dtype!);
      }
      refs.set(file, { ...rec, source: 'pydicom+gdcm' });
    }
  }, 120_000);

  afterAll(() => {
    const lines = rows.map(
      (r) => `${r.status.padEnd(18)} ${r.syntax.padEnd(22)} ${r.frames.padEnd(6)} ${r.file}  ${r.detail}`,
    );
    const counts = rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    console.log(`\nDICOM conformance (${rows.length} files):\n${lines.join('\n')}\n${JSON.stringify(counts)}`);
    tmp.cleanup();
  });

  it('finds the files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('decodes every file the references decode, exactly when lossless', async () => {
    for (const file of files) {
      const name = data && file.startsWith(data) ? relative(data, file) : `pydicom:${relative(PYDICOM_FILES, file)}`;
      let ref = refs.get(file) ?? { ok: false, error: 'no reference record', source: 'none' };
      let ds: DicomDataset | undefined;
      let ourError: string | undefined;
      let ts = '';
      try {
        ds = parseDicom(readFileSync(file));
        ts = transferSyntax(ds.transferSyntaxUid)?.key ?? ds.transferSyntaxUid;
      } catch (e) {
        ourError = isDicomParseError(e) ? `${e.reason}: ${e.message}` : `CRASH ${String(e)}`;
      }
      if (ds && !ds.has('PixelData') && !ds.has('FloatPixelData')) {
        rows.push({
          file: name,
          syntax: ts,
          frames: '-',
          status: 'no-pixel-data',
          detail: ref.ok ? 'but the reference found pixels!' : '',
        });
        continue;
      }
      let frames = 0;
      let ours: Awaited<ReturnType<typeof ourFrames>> | undefined;
      if (ds && !ourError) {
        try {
          frames = Math.min(readPixelModule(ds).numberOfFrames, MAX_FRAMES);
          ours = await ourFrames(ds, frames);
        } catch (e) {
          ourError = isDicomParseError(e) ? `${e.reason}: ${e.message}` : `CRASH ${String(e)}`;
        }
      }
      if (!ref.ok && ds && haveDcmtk && ourError === undefined) {
        const out = join(tmp.path, `dcmtk-${rows.length}.dcm`);
        const tool = dcmtkReference(file, ds.transferSyntaxUid, out);
        if (tool) {
          const rds = parseDicom(readFileSync(out));
          ref = { ok: true, values: (await ourFrames(rds, frames)).values, source: tool };
        }
      }
      const frameText = `${frames}`;
      if (ourError) {
        const known = KNOWN_UNSUPPORTED[file.split('/').pop()!];
        const status: Row['status'] = known ? 'known-unsupported' : ref.ok ? 'OURS-REFUSED' : 'both-refuse';
        rows.push({
          file: name,
          syntax: ts,
          frames: frameText,
          status,
          detail: `ours: ${ourError.slice(0, 120)}${ref.ok ? '' : ` | ref: ${ref.error?.slice(0, 80)}`}`,
        });
        continue;
      }
      if (!ref.ok || !ref.values) {
        rows.push({
          file: name,
          syntax: ts,
          frames: frameText,
          status: 'ref-refused',
          detail: `ref: ${ref.error?.slice(0, 120)}`,
        });
        continue;
      }
      let refValues: ArrayLike<number> = ref.values;
      let note = ref.source;
      const lossy = transferSyntax(ds!.transferSyntaxUid)?.lossy ?? false;
      if (refValues.length !== ours!.values.length) {
        rows.push({
          file: name,
          syntax: ts,
          frames: frameText,
          status: 'MISMATCH',
          detail: `length ${ours!.values.length} vs ref ${refValues.length}`,
        });
        continue;
      }
      // GDCM leaves JPEG YCbCr as is where libjpeg converts to RGB: compare in RGB.
      if (
        ours!.photometric === 'RGB' &&
        ref.photometric?.startsWith('YBR') &&
        sampleDifference(ours!.values, refValues).max > 2
      ) {
        refValues = ybrToRgb(refValues);
        note += ' (ref YBR->RGB)';
      }
      let d = sampleDifference(ours!.values, refValues);
      if (d.max > 0 && haveDcmtk) {
        // Second opinion where pydicom+GDCM disagree (GDCM returns zeros for some JPEG-LS near-lossless files).
        const out = join(tmp.path, `dcmtk2-${rows.length}.dcm`);
        const tool = dcmtkReference(file, ds!.transferSyntaxUid, out);
        if (tool) {
          const second = sampleDifference(
            ours!.values,
            (await ourFrames(parseDicom(readFileSync(out)), frames)).values,
          );
          if (second.max < d.max) {
            note = `${tool} (pydicom+gdcm max|d|=${d.max})`;
            d = second;
          }
        }
      }
      const colourConverted = note.includes('YBR->RGB');
      // Lossy decoders differ by IDCT rounding; YCbCr->RGB conversion adds rounding of its own.
      const tolerance = lossy || colourConverted ? 3 : 0;
      const knownDiff = KNOWN_DIFFERENT[file.split('/').pop()!];
      const status: Row['status'] =
        d.max === 0 ? 'exact' : d.max <= tolerance ? 'within-tolerance' : knownDiff ? 'known-different' : 'MISMATCH';
      if (status === 'known-different') note += ` [${knownDiff}]`;
      rows.push({
        file: name,
        syntax: ts,
        frames: frameText,
        status,
        detail: `${note}; max|d|=${d.max} mean|d|=${d.mean.toFixed(4)}`,
      });
    }
    const bad = rows.filter(
      (r) =>
        r.status === 'MISMATCH' ||
        r.status === 'OURS-REFUSED' ||
        r.detail.includes('CRASH') ||
        r.detail.includes('reference found pixels'),
    );
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
  }, 120_000);
});
