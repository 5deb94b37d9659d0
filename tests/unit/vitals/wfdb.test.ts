import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWfdbAnnotations, BEAT_CODES } from '../../../native/vitals/wfdbAnnotations.js';
import { parseWfdbHeader, wfdbStartTime } from '../../../native/vitals/wfdbHeader.js';
import { decodeWfdbSignals } from '../../../native/vitals/wfdbSignals.js';
import { dataDir } from '../helpers.js';
import { enc212, encAnnotations } from './fixtures.js';

const data = dataDir();
const wfdb = data === null ? null : join(data, 'vitals/wfdb');

describe('WFDB headers', () => {
  it('parses record and signal lines with formats, gain(baseline)/units, skew, offsets and comments', () => {
    const h = parseWfdbHeader(
      '# leading comment\nrec 3 125/1000 7500 17:27:45 15/08/1994\n' +
        'rec.dat 212x4 2963.77/mV 12 0 67 -11266 0 MCL1 lead\n' +
        'rec.dat 212 12.84(-1605)/mmHg 12 0 -943 -23651 0 ABP\n' +
        'rec.dat 212:4 0 12 5\n# age: 60\n',
      'rec.hea',
    );
    expect(h).toMatchObject({
      recordName: 'rec',
      frequencyHz: 125,
      counterFrequencyHz: 1000,
      frames: 7500,
      comments: ['leading comment', 'age: 60'],
    });
    expect(h.signals[0]).toMatchObject({
      format: 212,
      samplesPerFrame: 4,
      gain: 2963.77,
      baseline: 0,
      units: 'mV',
      description: 'MCL1 lead',
    });
    expect(h.signals[1]).toMatchObject({ gain: 12.84, baseline: -1605, units: 'mmHg' });
    expect(h.signals[2]).toMatchObject({ skew: 4, gain: 200, baseline: 5, units: 'mV', description: 'signal 2' });
    expect(wfdbStartTime(h)).toBe('1994-08-15T17:27:45');
    expect(wfdbStartTime({ baseTime: '31:25.894', baseDate: '10/10/2896' })).toBe('2896-10-10T00:31:25.894');
    expect(parseWfdbHeader('a 1 250\na.mat 16+24 200 16 0 0 0 0 II\n', 'a.hea').signals[0]).toMatchObject({
      byteOffset: 24,
    });
  });

  it('refuses what it cannot read, naming the file and reason', () => {
    expect(() => parseWfdbHeader('multi/2 2 360 1000\n', 'm.hea')).toThrow(
      'm.hea: multi-segment records are not supported',
    );
    expect(() => parseWfdbHeader('r 2 360 10\nr.dat 16\n', 'r.hea')).toThrow(/announces 2 signals but describes 1/);
    expect(() => parseWfdbHeader('r 1 360 10\n../x.dat 16\n', 'r.hea')).toThrow(/outside the record's folder/);
  });
});

describe('WFDB signals', () => {
  it('decodes format 212 with an odd frame size, samples per frame and skew, applying gain and baseline', () => {
    // Two signals: A with 2 samples per frame, B with 1 and a skew of 1; 4 frames (+1 for the skew).
    const frames = [
      [10, 11, -1],
      [12, 13, -2],
      [14, 15, -3],
      [16, 17, -4],
      [18, 19, -5],
    ];
    const dat = enc212(frames.flat());
    const h = parseWfdbHeader(
      'r 2 100 4\nr.dat 212x2 100(10) 12 0 10 0 0 A\nr.dat 212:1 2/uV 12 0 -1 0 0 B\n',
      'r.hea',
    );
    const [a, b] = decodeWfdbSignals(h, () => dat, 'r.hea');
    expect(a!.samplingHz).toBe(200);
    expect(Array.from(a!.digital)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    expect(a!.physical[1]).toBeCloseTo(0.01);
    expect(Array.from(b!.digital)).toEqual([-2, -3, -4, -5]);
    expect(b!.physical[0]).toBe(-1);
  });

  it('decodes formats 16 and 80, marks invalid samples NaN, and verifies checksums', () => {
    const s16 = Buffer.alloc(8);
    [100, -32768, -5, 7].forEach((v, i) => s16.writeInt16LE(v, 2 * i));
    const h16 = parseWfdbHeader(`r 1 10 4\nr.dat 16 10 16 0 100 ${((100 - 32768 - 5 + 7) << 16) >> 16} 0 X\n`, 'r.hea');
    const [x] = decodeWfdbSignals(h16, () => s16, 'r.hea');
    expect(Number.isNaN(x!.physical[1])).toBe(true);
    expect(x!.physical[0]).toBe(10);
    expect(x!.checksumOk).toBe(true);
    const s80 = Buffer.from([128, 0, 255]);
    const [y] = decodeWfdbSignals(parseWfdbHeader('r 1 10 3\nr.dat 80 1 8 0 0 999 0 Y\n', 'r.hea'), () => s80, 'r.hea');
    expect(Array.from(y!.digital)).toEqual([0, -128, 127]);
    expect(y!.checksumOk).toBe(false);
  });

  it("stores each format's invalid-sample marker as a gap (NaN), as WFDB does, and format 8 has none", () => {
    // 212: -2048 is invalid; 80: stored byte 0 (-128) is invalid.
    const h212 = parseWfdbHeader('r 2 10 2\nr.dat 212 1 12 0\nr.dat 212 1 12 0\n', 'r.hea');
    const [a, b] = decodeWfdbSignals(h212, () => enc212([-2048, 5, 7, -2048]), 'r.hea');
    expect(Array.from(a!.physical, (v) => (Number.isNaN(v) ? null : v))).toEqual([null, 7]);
    expect(Array.from(b!.physical, (v) => (Number.isNaN(v) ? null : v))).toEqual([5, null]);
    const [y] = decodeWfdbSignals(
      parseWfdbHeader('r 1 10 3\nr.dat 80 1 8 0\n', 'r.hea'),
      () => Buffer.from([128, 0, 255]),
      'r.hea',
    );
    expect(Array.from(y!.physical, (v) => (Number.isNaN(v) ? null : v))).toEqual([0, null, 127]);
    // Format 8 stores first differences: a step of -128 is a value like any other.
    const [d] = decodeWfdbSignals(
      parseWfdbHeader('r 1 10 3\nr.dat 8 1 8 0 200\n', 'r.hea'),
      () => Buffer.from([0, 0x80, 0x01]),
      'r.hea',
    );
    expect(Array.from(d!.physical)).toEqual([200, 72, 73]);
  });

  it('refuses a header that promises more samples than the signal file holds', () => {
    const h = parseWfdbHeader('r 1 10 1000\nr.dat 16 1 16 0\n', 'r.hea');
    expect(() => decodeWfdbSignals(h, () => Buffer.alloc(20), 'r.hea')).toThrow(
      'r.hea: the header promises 1000 samples per signal but r.dat holds only 10 (20 bytes)',
    );
  });
});

describe('WFDB annotations', () => {
  it('reads codes, time steps, SKIP and AUX', () => {
    const bytes = encAnnotations([
      { sample: 18, code: 28, aux: '(N' },
      { sample: 77, code: 1 },
      { sample: 5000, code: 5 },
    ]);
    const a = parseWfdbAnnotations(bytes, 'r.atr');
    expect(a.map((x) => [x.sample, x.symbol, x.aux])).toEqual([
      [18, '+', '(N'],
      [77, 'N', null],
      [5000, 'V', null],
    ]);
  });
});

describe('WFDB: real PhysioNet records', () => {
  const records = [
    ['mitdb_100_arrhythmia', '100.hea'],
    ['challenge2015_false_alarm', 'a103l.hea'],
    ['challenge2015_false_alarm', 'v102s.hea'],
    ['mimicdb_03700181_ecg_abp_resp', '03700181.hea'],
    ['ptbdb_s0010_re_12lead', 's0010_re.hea'],
    ['mimic2wdb_s00001_numerics', 's00001-2896-10-10-00-31n.hea'],
    ['mimic3wdb_3000003_0003_short', '3000003_0003.hea'],
  ] as const;

  it.skipIf(!wfdb).each(records)('%s/%s decodes to the header checksums and initial values', (folder, name) => {
    const dir = join(wfdb!, folder);
    const h = parseWfdbHeader(readFileSync(join(dir, name), 'latin1'), name);
    const signals = decodeWfdbSignals(h, (f) => readFileSync(join(dir, f)), name);
    for (const s of signals) {
      expect(s.checksumOk, s.spec.description).toBe(true);
      if (s.spec.skew === 0 && s.spec.initialValue !== null) expect(s.digital[0]).toBe(s.spec.initialValue);
    }
  });

  it.skipIf(!wfdb)('MIMIC-II numerics: -32768 samples are gaps, zeros stay zeros as WFDB reads them', () => {
    const dir = join(wfdb!, 'mimic2wdb_s00001_numerics');
    const name = 's00001-2896-10-10-00-31n.hea';
    const h = parseWfdbHeader(readFileSync(join(dir, name), 'latin1'), name);
    const signals = decodeWfdbSignals(h, (f) => readFileSync(join(dir, f)), name);
    const by = (n: string) => signals.find((s) => s.spec.description === n)!;
    const gaps = (n: string) => by(n).physical.filter((v) => Number.isNaN(v)).length;
    const zeros = (n: string) => by(n).physical.filter((v) => v === 0).length;
    // rdsamp prints "-" for the 1,784 invalid NBP samples (the header's initial value is -32768).
    expect([gaps('NBPSys'), gaps('NBPDias'), gaps('NBPMean')]).toEqual([1784, 1784, 1784]);
    expect(Number.isNaN(by('NBPSys').physical[0])).toBe(true);
    // The header does not mark zero as "no value" (WFDB has no such convention), so zeros are values.
    expect([gaps('HR'), zeros('HR'), zeros('ABPSys')]).toEqual([0, 46, 1929]);
    expect(Array.from(by('HR').physical.subarray(0, 4), (v) => +v.toFixed(1))).toEqual([0, 62.8, 57.8, 61.1]);
    expect(by('HR').physical).toHaveLength(1936);
  });

  it.skipIf(!wfdb)('record 100: values match WFDB (rdsamp) and 100.atr has 2,273 beats', () => {
    const dir = join(wfdb!, 'mitdb_100_arrhythmia');
    const h = parseWfdbHeader(readFileSync(join(dir, '100.hea'), 'latin1'), '100.hea');
    const [mlii, v5] = decodeWfdbSignals(h, (f) => readFileSync(join(dir, f)), '100.hea');
    // rdsamp -r mitdb/100 -P -t s0.01: first rows of MLII / V5 in mV.
    expect(Array.from(mlii!.physical.subarray(0, 4), (v) => +v.toFixed(3))).toEqual([-0.145, -0.145, -0.145, -0.145]);
    expect(Array.from(v5!.physical.subarray(0, 4), (v) => +v.toFixed(3))).toEqual([-0.065, -0.065, -0.065, -0.065]);
    expect(mlii!.physical.length).toBe(650_000);
    const atr = parseWfdbAnnotations(readFileSync(join(dir, '100.atr')), '100.atr');
    const beats = atr.filter((a) => BEAT_CODES.has(a.code));
    expect(beats).toHaveLength(2273);
    const by = (s: string) => atr.filter((a) => a.symbol === s).length;
    expect([by('N'), by('A'), by('V'), by('+')]).toEqual([2239, 33, 1, 1]);
    expect(atr[0]).toMatchObject({ sample: 18, symbol: '+', aux: '(N' });
  });
});
