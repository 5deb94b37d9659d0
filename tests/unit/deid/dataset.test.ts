import { describe, expect, it } from 'vitest';
import {
  cleanDataset,
  DUMMY_DATE,
  newStats,
  scrubEmbeddedUids,
  type DeidContext,
} from '../../../native/deid/dataset.js';
import type { DcmDataset, DcmElement } from '../../../native/deid/dcmjs.js';

const el = (vr: string, ...values: unknown[]): DcmElement => ({ vr, Value: values });
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1')).buffer;
const ctx = (dateShiftDays: number | null = null): DeidContext => ({
  uid: (s) => `2.25.${s.replace(/\D/g, '')}9`,
  dateShiftDays,
  patientPseudonym: 'DEID-TEST',
});

describe('dataset cleaning', () => {
  it('keeps a safe private element of an implicit-VR file, with its creator, and drops the rest', () => {
    const out = cleanDataset(
      {
        '00190010': el('UN', bytes('GEMS_ACQU_01')),
        '00191023': el('UN', bytes('+0.0 ')),
        '00191002': el('UN', bytes('x')),
        '00291010': el('OB', bytes('CSA')),
      },
      ctx(),
      newStats(),
    );
    expect(Object.keys(out).sort()).toEqual(['00190010', '00191023']);
    expect(out['00190010']!.Value).toEqual(['GEMS_ACQU_01']);
  });

  it('applies the table inside sequences it does not name, and replaces their UIDs', () => {
    const out = cleanDataset(
      {
        '00081115': el('SQ', { '0020000E': el('UI', '1.2.3.4'), '00100010': el('PN', { Alphabetic: 'Doe^Jane' }) }),
        '00081140': el('SQ', { '00081150': el('UI', '1.2.840.10008.5.1.4.1.1.2'), '00081155': el('UI', '1.2.3.5') }),
      },
      ctx(),
      newStats(),
    );
    const item = (out['00081115']!.Value as DcmDataset[])[0]!;
    expect(item['0020000E']!.Value).toEqual(['2.25.12349']);
    expect(item['00100010']!.Value).toEqual([]);
    const ref = (out['00081140']!.Value as DcmDataset[])[0]!;
    expect(ref['00081150']!.Value).toEqual(['1.2.840.10008.5.1.4.1.1.2']);
    expect(ref['00081155']!.Value).toEqual(['2.25.12359']);
  });

  it('gives a Type 1 content date of a multi-frame object a dummy, and empties it elsewhere', () => {
    const enhanced = cleanDataset(
      { '52009229': el('SQ', {}), '00080023': el('DA', '20160318'), '00181000': el('LO', 'SN-1') },
      ctx(),
      newStats(),
    );
    expect(enhanced['00080023']!.Value).toEqual([DUMMY_DATE]);
    expect(enhanced['00181000']!.Value).toEqual(['ANONYMIZED']);
    const plain = cleanDataset({ '00080023': el('DA', '20160318'), '00181000': el('LO', 'SN-1') }, ctx(), newStats());
    expect(plain['00080023']!.Value).toEqual([]);
    expect(plain['00181000']).toBeUndefined();
  });

  it('shifts every date (named by the table or not) but never the birth date, with retain-dates', () => {
    const out = cleanDataset(
      {
        '00080020': el('DA', '20030417'),
        '00189074': el('DT', '20030417105028.5'),
        '00181200': el('DA', '20030101'),
        '00100030': el('DA', '19470101'),
        '00080030': el('TM', '104607'),
      },
      ctx(-17),
      newStats(),
    );
    expect(out['00080020']!.Value).toEqual(['20030331']);
    expect(out['00189074']!.Value).toEqual(['20030331105028.5']);
    expect(out['00181200']!.Value).toEqual(['20021215']);
    expect(out['00100030']!.Value).toEqual([]);
    expect(out['00080030']!.Value).toEqual(['104607']);
  });

  it('removes text that spells a replaced UID', () => {
    const ds: DcmDataset = {
      '00081190': el('UR', 'https://pacs.example/studies/1.2.3.4'),
      '00204000': el('LT', 'fine'),
    };
    expect(scrubEmbeddedUids(ds, new Set(['1.2.3.4']))).toBe(1);
    expect(Object.keys(ds)).toEqual(['00204000']);
  });
});
