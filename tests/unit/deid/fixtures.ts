import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dcmjs, toArrayBuffer, type DcmDataset, type DcmElement } from '../../../native/deid/dcmjs.js';

/** Identifying values planted into copies of real files, so the export has something to remove. */
export const PLANTED = {
  patientName: 'Testperson^Hildegard^Quincy',
  patientId: 'PLANTEDID55501',
  birthDate: '19471103',
  otherIds: 'OTHERID31337',
  institution: 'St Elsewhere Plantedhospital',
  address: '12 Plantedway Street Springfield',
  referring: 'Refdoctor^Plantedref',
  performing: 'Perfdoctor^Plantedperf',
  operator: 'Operatorname^Plantedop',
  accession: 'ACC99887766',
  station: 'PLANTEDSTATION7',
  studyId: 'STUDYID4242',
  studyDate: '20030417',
  privateText: 'PRIVATESECRETNAME',
  comments: 'Patient Hildegard seen by Plantedref',
  otherName: 'Müllerstraße^Jörg',
  pacsHost: 'pacs.plantedhospital.example',
} as const;

const el = (vr: string, value: unknown): DcmElement => ({ vr, Value: [value] });

/** Writes `dict` over the dataset of `src` and saves it as `dst` (dcmjs encodes it). */
export function rewrite(src: string, dst: string, edit: (ds: DcmDataset) => void): void {
  const file = dcmjs().data.DicomMessage.readFile(toArrayBuffer(readFileSync(src)));
  edit(file.dict);
  writeFileSync(dst, new Uint8Array(file.write()));
}

/** Plants {@link PLANTED} into a dataset, including a private element and a nested sequence. */
export function plant(ds: DcmDataset): void {
  ds['00100010'] = el('PN', { Alphabetic: PLANTED.patientName });
  ds['00100020'] = el('LO', PLANTED.patientId);
  ds['00100030'] = el('DA', PLANTED.birthDate);
  ds['00101000'] = el('LO', PLANTED.otherIds);
  ds['00080080'] = el('LO', PLANTED.institution);
  ds['00080081'] = el('ST', PLANTED.address);
  ds['00080090'] = el('PN', { Alphabetic: PLANTED.referring });
  ds['00081050'] = el('PN', { Alphabetic: PLANTED.performing });
  ds['00081070'] = el('PN', { Alphabetic: PLANTED.operator });
  ds['00080050'] = el('SH', PLANTED.accession);
  ds['00081010'] = el('SH', PLANTED.station);
  ds['00200010'] = el('SH', PLANTED.studyId);
  ds['00080020'] = el('DA', PLANTED.studyDate);
  ds['00204000'] = el('LT', PLANTED.comments);
  ds['00090010'] = el('LO', 'PLANTED_PRIVATE');
  ds['00091001'] = el('LO', PLANTED.privateText);
  ds['00101001'] = el('PN', { Alphabetic: PLANTED.otherName });
  // Retrieve URL is not in Table E.1-1 but spells the study UID: it must go with the UID.
  ds['00081190'] = el('UR', `https://${PLANTED.pacsHost}/studies/${String(ds['0020000D']!.Value![0])}`);
  // Request Attributes Sequence (X) with an identifier inside; Referenced Study Sequence (X/Z).
  ds['00400275'] = { vr: 'SQ', Value: [{ '00401001': el('SH', PLANTED.accession) }] };
}

/** Copies the abdomen CT and its SEG with planted identifiers into `dir`; returns the file paths. */
export function plantedAbdomen(data: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const src = join(data, 'dicom', 'ct-abdomen-3slice');
  return readdirSync(src)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => {
      const dst = join(dir, f);
      rewrite(join(src, f), dst, plant);
      return dst;
    });
}

/** Copies the files of a data folder unchanged. */
export function copyData(data: string, sub: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(join(data, 'dicom', sub))) copyFileSync(join(data, 'dicom', sub, f), join(dir, f));
}

/** Every UID value (non-DICOM-root) in a dataset, recursively, except class UIDs. */
export function instanceUids(ds: DcmDataset, out = new Set<string>()): Set<string> {
  const classTags = new Set(['00080016', '00081150', '00020002', '00020010', '00020012']);
  for (const [tag, e] of Object.entries(ds)) {
    if (e.vr === 'SQ') for (const item of (e.Value ?? []) as DcmDataset[]) instanceUids(item, out);
    else if (e.vr === 'UI' && !classTags.has(tag))
      for (const v of e.Value ?? []) {
        const s = String(v).replace(/\0/g, '').trim();
        if (s !== '' && !s.startsWith('1.2.840.10008.')) out.add(s);
      }
  }
  return out;
}

/** Reads a file with dcmjs: meta and dataset. */
export function readDcm(path: string): { meta: DcmDataset; dict: DcmDataset } {
  const f = dcmjs().data.DicomMessage.readFile(toArrayBuffer(readFileSync(path)));
  return { meta: f.meta, dict: f.dict };
}

/** First value of an element as a string ('' when absent or empty). */
export function value(ds: DcmDataset, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic: string }).Alphabetic);
  return String(v);
}

/** Every position at which `needle` occurs in `bytes` in latin-1/UTF-8, UTF-16LE or UTF-16BE. */
export function findEncoded(bytes: Buffer, needle: string): string[] {
  const hits: string[] = [];
  const forms = new Set([needle, needle.toUpperCase(), needle.toLowerCase()]);
  for (const form of forms) {
    const le = Buffer.from(form, 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    for (const [name, b] of [
      ['utf8', Buffer.from(form, 'utf8')],
      ['latin1', Buffer.from(form, 'latin1')],
      ['utf16le', le],
      ['utf16be', be],
    ] as const)
      if (bytes.indexOf(b) >= 0) hits.push(`${JSON.stringify(form)} as ${name} at ${bytes.indexOf(b)}`);
  }
  return hits;
}

/** dciodvfy's error lines for a file, with quoted values dropped so messages compare across files. */
export function dciodvfyErrors(file: string): Set<string> {
  return new Set(
    spawnSync('dciodvfy', [file], { encoding: 'utf8' })
      .stderr.split('\n')
      .filter((l) => l.startsWith('Error'))
      .map((l) => l.replace(/<[^>]*>\s*=\s*<[^>]*>/g, '').trim()),
  );
}

/** All values of one tag anywhere in a dataset, through sequences. */
export function valuesOf(ds: DcmDataset, tag: string, out: string[] = []): string[] {
  for (const [t, e] of Object.entries(ds)) {
    if (e.vr === 'SQ') for (const item of (e.Value ?? []) as DcmDataset[]) valuesOf(item, tag, out);
    else if (t === tag) for (const v of e.Value ?? []) out.push(String(v));
  }
  return out;
}
