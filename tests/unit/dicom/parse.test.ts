import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DicomParseError,
  decodeFrame,
  decodeText,
  extractMetadata,
  parseDicom,
  transferSyntax,
} from '../../../native/dicom/index.js';
import { dataDir } from '../helpers.js';

const data = dataDir();
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const havePydicomFiles = existsSync(PYDICOM);

/** Build a minimal explicit VR LE Part 10 file from [tag, vr, bytes] elements (sorted by the caller). */
export function part10(elements: [number, string, Uint8Array | string][], ts = '1.2.840.10008.1.2.1'): Buffer {
  const enc = (tag: number, vr: string, value: Uint8Array | string): Buffer => {
    let v = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
    if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]);
    const long = ['OB', 'OW', 'SQ', 'UN', 'UT', 'OF', 'OD', 'OL', 'UC', 'UR'].includes(vr);
    const head = Buffer.alloc(long ? 12 : 8);
    head.writeUInt16LE(tag >>> 16, 0);
    head.writeUInt16LE(tag & 0xffff, 2);
    head.write(vr, 4, 'latin1');
    if (long) head.writeUInt32LE(v.length, 8);
    else head.writeUInt16LE(v.length, 6);
    return Buffer.concat([head, v]);
  };
  const meta = Buffer.concat([enc(0x00020001, 'OB', Uint8Array.of(0, 1)), enc(0x00020010, 'UI', ts)]);
  const group = enc(0x00020000, 'UL', Buffer.from(Uint32Array.of(meta.length).buffer));
  const body = Buffer.concat(elements.map(([t, vr, v]) => enc(t, vr, v)));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), group, meta, body]);
}

function expectReason(fn: () => unknown, reason: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DicomParseError);
    expect((e as DicomParseError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected DicomParseError(${reason})`);
}

describe('parseDicom', () => {
  it('reads a synthetic Part 10 file with typed accessors', () => {
    const ds = parseDicom(
      part10([
        [0x00080060, 'CS', 'CT'],
        [0x00100010, 'PN', 'Doe^Jane'],
        [0x00200032, 'DS', '-125\\-123.5\\5.8'],
        [0x00280010, 'US', Uint8Array.of(4, 0)],
        [0x00281050, 'DS', '40\\400'],
      ]),
    );
    expect(ds.string('Modality')).toBe('CT');
    expect(ds.string('PatientName')).toBe('Doe^Jane');
    expect(ds.numbers('ImagePositionPatient')).toEqual([-125, -123.5, 5.8]);
    expect(ds.number('Rows')).toBe(4);
    expect(ds.numbers('WindowCenter')).toEqual([40, 400]);
    expect(ds.string('00080060')).toBe('CT');
    expect(ds.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
  });

  it.each([
    ['ISO_IR 100', Buffer.from('M\u00fcller^J\u00fcrgen', 'latin1'), 'M\u00fcller^J\u00fcrgen'],
    ['ISO_IR 192', Buffer.from('\u5c71\u7530^\u592a\u90ce', 'utf8'), '\u5c71\u7530^\u592a\u90ce'],
    ['ISO_IR 144', Buffer.from([0xbb, 0xee, 0xda, 0xd5]), '\u041b\u044e\u043a\u0435'],
    ['GB18030', Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), '\u4e2d\u6587'],
    // PS3.5 H.3.1 Japanese example: Yamada^Tarou=<kanji>=<hiragana> with ISO 2022 IR 87 escapes.
    [
      '\\ISO 2022 IR 87',
      Buffer.from('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B', 'latin1'),
      'Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046',
    ],
    // PS3.5 I.2 Korean example with ISO 2022 IR 149.
    [
      '\\ISO 2022 IR 149',
      Buffer.from(
        'Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf',
        'latin1',
      ),
      'Hong^Gildong=\u6d2a^\u5409\u6d1e=\ud64d^\uae38\ub3d9',
    ],
  ])('decodes PN under Specific Character Set %s', (charset, bytes, expected) => {
    const ds = parseDicom(
      part10([
        [0x00080005, 'CS', charset],
        [0x00100010, 'PN', bytes],
      ]),
    );
    expect(ds.string('PatientName')).toBe(expected);
    expect(decodeText(bytes, charset.split('\\'), 'PN')).toBe(expected);
  });

  it('refuses random bytes, empty input and a non-DICOM text as not-dicom', () => {
    expectReason(() => parseDicom(new Uint8Array(0)), 'not-dicom');
    expectReason(() => parseDicom(Buffer.from('hello, this is not a DICOM file at all'.repeat(10))), 'not-dicom');
    expectReason(() => parseDicom(Uint8Array.from({ length: 500 }, (_, i) => ((i * 7919) % 251) | 0x80)), 'not-dicom');
  });

  it('refuses a gigabyte declared length fast, without allocating', () => {
    const file = part10([
      [0x00080060, 'CS', 'CT'],
      [0x7fe00010, 'OW', new Uint8Array(16)],
    ]);
    file.writeUInt32LE(0x40000000, file.length - 16 - 4);
    const t0 = performance.now();
    expectReason(() => parseDicom(file), 'bad-length');
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('refuses a file cut inside an element as truncated', () => {
    const file = part10([
      [0x00080060, 'CS', 'CT'],
      [0x7fe00010, 'OW', new Uint8Array(64)],
    ]);
    expectReason(() => parseDicom(file.subarray(0, file.length - 10)), 'truncated');
  });

  it('refuses oversize input before parsing', () => {
    expectReason(() => parseDicom(new Uint8Array(2048), { maxBytes: 1024 }), 'too-large');
  });

  it('parses only up to a tag when asked (metadata without pixel data)', () => {
    const file = part10([
      [0x00080060, 'CS', 'MR'],
      [0x7fe00010, 'OW', new Uint8Array(64)],
    ]);
    const ds = parseDicom(file, { untilTag: '7FE00010' });
    expect(ds.string('Modality')).toBe('MR');
    expect(ds.has('PixelData')).toBe(false);
  });

  it('gives unsupported-transfer-syntax for pixel data in a syntax without codec', async () => {
    const file = part10(
      [
        [0x00280010, 'US', Uint8Array.of(2, 0)],
        [0x00280011, 'US', Uint8Array.of(2, 0)],
        [0x00280100, 'US', Uint8Array.of(8, 0)],
        [0x7fe00010, 'OB', new Uint8Array(4)],
      ],
      '1.2.840.10008.1.2.4.102',
    );
    const ds = parseDicom(file);
    await expect(decodeFrame(ds, 0)).rejects.toMatchObject({ reason: 'unsupported-transfer-syntax' });
  });

  it.skipIf(!havePydicomFiles)(
    'reads files without a meta header (explicit LE and BE) given or sniffing the syntax',
    () => {
      for (const [name, ts] of [
        ['ExplVR_LitEndNoMeta.dcm', '1.2.840.10008.1.2.1'],
        ['ExplVR_BigEndNoMeta.dcm', '1.2.840.10008.1.2.2'],
      ] as const) {
        const ds = parseDicom(readFileSync(join(PYDICOM, name)));
        expect(ds.transferSyntaxUid).toBe(ts);
        expect(ds.string('Modality')).toBeDefined();
        expect(parseDicom(readFileSync(join(PYDICOM, name)), { transferSyntaxUid: ts }).string('Modality')).toBe(
          ds.string('Modality'),
        );
      }
    },
  );

  it.skipIf(!data)('parses deflated files from a Buffer and from a bare Uint8Array', () => {
    for (const name of ['SR_deflate.dcm', 'ECG_waveform_deflate.dcm']) {
      const buf = readFileSync(join(data!, 'dicom/dicomparser-samples', name));
      const a = parseDicom(buf);
      const b = parseDicom(new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)));
      expect(transferSyntax(a.transferSyntaxUid)?.deflated).toBe(true);
      expect(a.string('SOPInstanceUID')).toBeDefined();
      expect(b.string('SOPInstanceUID')).toBe(a.string('SOPInstanceUID'));
    }
  });

  it.skipIf(!data)('extracts indexing metadata', () => {
    const ds = parseDicom(readFileSync(join(data!, 'dicom/ct-head-ge/01.dcm')));
    const m = extractMetadata(ds);
    expect(m).toMatchObject({
      modality: 'CT',
      rows: 512,
      columns: 512,
      numberOfFrames: 1,
      gantryDetectorTiltDeg: 18.5,
      hasPixelData: true,
    });
    expect(m.studyInstanceUid).toMatch(/^[0-9.]+$/);
    expect(m.seriesInstanceUid).toMatch(/^[0-9.]+$/);
    expect(m.sopInstanceUid).toMatch(/^[0-9.]+$/);
    expect(m.pixelSpacingMm).toHaveLength(2);
    expect(m.imageOrientationPatient).toHaveLength(6);
  });
});
