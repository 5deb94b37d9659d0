import { describe, expect, it } from 'vitest';
import { beatCounts, isBeat, marksOf, annotatorsOf } from '../../../../renderer/src/vitals/annotations.js';
import { riskShades } from '../../../../renderer/src/vitals/forecast.js';
import { outcomeRows } from '../../../../renderer/src/vitals/outcomes.js';
import {
  align,
  defaultShown,
  groupOf,
  mergeTiles,
  panelsFor,
  pointsDrawn,
  toXY,
  type SignalWindow,
} from '../../../../renderer/src/vitals/series.js';

const sig = (name: string, unit: string | null, samplingHz: number | null) => ({
  name,
  unit,
  samplingHz,
  sampleCount: 10,
});

function win(partial: Partial<SignalWindow>): SignalWindow {
  return {
    name: 'HR',
    unit: 'bpm',
    samplingHz: null,
    sampleCount: 3,
    from: 0,
    step: 1,
    timesMs: [],
    values: [],
    ...partial,
  };
}

describe('vitals series shaping', () => {
  it('groups PhysioNet 2012, MIMIC-II and WFDB signal names into clinical charts', () => {
    expect(groupOf(sig('HR', 'bpm', null))).toBe('hr');
    expect(groupOf(sig('PULSE', 'bpm', 1 / 60))).toBe('hr');
    expect(groupOf(sig('NISysABP', 'mmHg', null))).toBe('bp');
    expect(groupOf(sig('ABPMean', 'mmHg', 1 / 60))).toBe('bp');
    expect(groupOf(sig('MAP', 'mmHg', null))).toBe('bp');
    expect(groupOf(sig('SpO2', '%', 1 / 60))).toBe('spo2');
    expect(groupOf(sig('RespRate', 'bpm', null))).toBe('resp');
    expect(groupOf(sig('Temp', '°C', null))).toBe('temp');
    expect(groupOf(sig('MLII', 'mV', 360))).toBe('waveform');
    expect(groupOf(sig('ABP', 'mmHg', 125))).toBe('waveform');
    expect(groupOf(sig('PaCO2', 'mmHg', null))).toBe('other');
    expect(groupOf(sig('Glucose', 'mg/dL', null))).toBe('other');
  });

  it('shows the first waveforms and the vital signs by default, in clinical order', () => {
    const signals = [
      sig('Glucose', 'mg/dL', null),
      sig('NISysABP', 'mmHg', null),
      sig('HR', 'bpm', null),
      sig('NIDiasABP', 'mmHg', null),
      ...['I', 'II', 'III', 'aVR'].map((n) => sig(n, 'mV', 1000)),
    ];
    const shown = defaultShown(signals);
    expect([...shown].sort()).toEqual(['HR', 'I', 'II', 'III', 'NIDiasABP', 'NISysABP']);
    const panels = panelsFor(signals, shown);
    expect(panels.map((p) => p.id)).toEqual(['wave:I', 'wave:II', 'wave:III', 'hr', 'bp']);
    expect(panels[4]!.signals).toEqual(['NISysABP', 'NIDiasABP']);
    expect(panels[4]!.unit).toBe('mmHg');
    expect(panelsFor(signals, new Set(['Glucose'])).map((p) => p.id)).toEqual(['other:Glucose']);
  });

  it('draws a decimated window as its min/max envelope', () => {
    const w = win({ samplingHz: 100, step: 10, timesMs: [0, 100], values: [1, 2], min: [-1, 0], max: [3, 4] });
    expect(toXY(w)).toEqual({ x: [0, 0.05, 0.1, 0.15], y: [-1, 3, 0, 4] });
    expect(toXY(win({ timesMs: [0, 60_000], values: [80, null] }))).toEqual({ x: [0, 60], y: [80, null] });
  });

  it('joins one-hour tiles of a signal', () => {
    const a = win({ timesMs: [0, 1], values: [1, 2] });
    const b = win({ timesMs: [3_600_000], values: [3], step: 2, min: [2], max: [4] });
    const m = mergeTiles([a, b]);
    expect(m.timesMs).toEqual([0, 1, 3_600_000]);
    expect(m.values).toEqual([1, 2, 3]);
    expect(m.min).toEqual([1, 2, 2]);
    expect(m.max).toEqual([1, 2, 4]);
    expect(m.step).toBe(2);
    expect(mergeTiles([a])).toBe(a);
  });

  it('aligns irregular series on the union of their times for uPlot', () => {
    const data = align([
      { x: [0, 60, 120], y: [80, 82, 85] },
      { x: [60, 90], y: [120, null] },
    ]);
    expect(data).toEqual([
      [0, 60, 90, 120],
      [80, 82, null, 85],
      [null, 120, null, null],
    ]);
    expect(pointsDrawn(data)).toBe(4);
  });
});

describe('beat annotations', () => {
  const a = (source: string, tMs: number, code: number, symbol: string, aux: string | null = null) => ({
    source,
    sample: tMs,
    tMs,
    code,
    symbol,
    sub: 0,
    chan: 0,
    num: 0,
    aux,
  });
  const list = [
    a('qrs', 0, 1, 'N'),
    a('atr', 0, 28, '+', '(N'),
    a('atr', 10, 1, 'N'),
    a('atr', 20, 8, 'A'),
    a('atr', 30, 22, '"', 'note'),
  ];

  it('marks beats and rhythm changes of one annotator, reference first', () => {
    expect(annotatorsOf(list)).toEqual(['atr', 'qrs']);
    expect(isBeat({ code: 5 })).toBe(true);
    expect(isBeat({ code: 22 })).toBe(false);
    const marks = marksOf(list, 'atr');
    expect(marks.map((m) => [m.kind, m.text, m.abnormal])).toEqual([
      ['rhythm', '(N', false],
      ['beat', 'N', false],
      ['beat', 'A', true],
    ]);
    expect(beatCounts([...marks, ...marks])).toEqual([
      { symbol: 'A', count: 2 },
      { symbol: 'N', count: 2 },
    ]);
  });
});

describe('outcomes and model shading', () => {
  it('puts the in-hospital death first and says it in words', () => {
    const state = (task: string, values: string[], s: 'labelled' | 'disputed' = 'labelled') => ({
      task,
      windowStartMs: null,
      windowEndMs: null,
      state: s,
      values,
    });
    const rows = outcomeRows([
      state('sofa', ['8']),
      state('in-hospital-death', ['1']),
      state('alarm-true', ['false', 'true'], 'disputed'),
    ]);
    expect(rows.map((r) => [r.title, r.value, r.adverse, r.disputed])).toEqual([
      ['In-hospital death', 'Yes', true, false],
      ['True alarm', 'No (false alarm) / Yes', true, true],
      ['SOFA', '8', false, false],
    ]);
  });

  it('shades risk windows by weight and nothing without a model', () => {
    expect(riskShades(null)).toEqual([]);
    const shades = riskShades({
      task: 'deterioration',
      modelVersion: 'v1',
      score: 0.7,
      windows: [{ fromMs: 0, toMs: 10, weight: 1 }],
    });
    expect(shades).toEqual([
      { fromMs: 0, toMs: 10, color: 'rgba(226, 100, 90, 0.35)', label: 'deterioration: raised 100%' },
    ]);
  });
});
