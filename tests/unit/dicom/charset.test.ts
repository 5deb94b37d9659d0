import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText, parseDicom, type DicomDataset } from '../../../native/dicom/index.js';

// pydicom (Debian python3-pydicom) decodes its charset test files and the PS3.5 examples for us.
const PYTHON = '/usr/bin/python3';
const havePydicom = spawnSync(PYTHON, ['-c', 'import pydicom']).status === 0;

interface Reference {
  dir: string;
  files: Record<string, Record<string, string>>;
  values: { charsets: string[]; vr: string; hex: string; text: string; standard?: string }[];
}

function reference(): Reference {
  const r = spawnSync(PYTHON, [join(import.meta.dirname, 'charset_reference.py')], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Reference;
}

/** Our text for a pydicom tag path ("00100010" or "00081111/0/00100010"). */
function ours(ds: DicomDataset, path: string): string | undefined {
  const parts = path.split('/');
  let cur: DicomDataset | undefined = ds;
  for (let i = 0; i + 1 < parts.length; i += 2) cur = cur?.sequence(parts[i]!)[Number(parts[i + 1])];
  return cur?.string(parts[parts.length - 1]!);
}

/** Padding aside, and empty trailing PN component groups, which pydicom's str() drops ("A^B=" -> "A^B"). */
const norm = (s: string | undefined) => (s ?? '').replace(/^[\s\0]+|[\s\0=]+$/g, '');

describe.skipIf(!havePydicom)('Specific Character Set against pydicom', () => {
  const ref = havePydicom ? reference() : { dir: '', files: {}, values: [] };

  it('covers the multi-byte sets', () => {
    const sets = new Set([...Object.keys(ref.files), ...ref.values.flatMap((v) => v.charsets.filter((c) => c !== ''))]);
    for (const needed of [
      'chrH31.dcm', // ISO 2022 IR 87
      'chrH32.dcm', // ISO 2022 IR 13 + IR 87
      'chrI2.dcm', // ISO 2022 IR 149
      'chrKoreanMulti.dcm',
      'chrJapMulti.dcm',
      'chrX1.dcm', // ISO_IR 192
      'chrX2.dcm', // GB18030
      'chrSQEncoding1.dcm', // character set changing inside a sequence item
      'ISO 2022 IR 58',
      'ISO 2022 IR 159',
      'GBK',
    ])
      expect(sets, needed).toContain(needed);
  });

  it.each(Object.keys(ref.files))('%s: every text element decodes as pydicom decodes it', (name) => {
    const ds = parseDicom(readFileSync(join(ref.dir, name)));
    const expected = ref.files[name]!;
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    for (const [path, text] of Object.entries(expected)) expect(norm(ours(ds, path)), path).toBe(norm(text));
  });

  it.each(ref.values.map((v) => [v.charsets.join('\\'), v] as const))(
    'decodes %s as pydicom (or PS3.5 where pydicom is wrong)',
    (_, v) => {
      const bytes = Uint8Array.from(Buffer.from(v.hex, 'hex'));
      const expected = v.standard ?? v.text;
      expect(decodeText(bytes, v.charsets, v.vr)).toBe(expected);
      if (v.standard) expect(v.text).not.toBe(v.standard);
    },
  );
});
