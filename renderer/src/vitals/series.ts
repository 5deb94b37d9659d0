import type { ChannelOutput } from '../../../native/contract/channels.js';

/** One signal's window as `vitals.get` returns it. */
export type SignalWindow = ChannelOutput<'vitals.get'>['signals'][number];
/** A signal of a recording (name, unit, rate, count). */
export type SignalInfo = ChannelOutput<'vitals.get'>['recording']['signals'][number];

/** Clinical groups the trend charts are organised by. */
export type SignalGroup = 'hr' | 'bp' | 'spo2' | 'resp' | 'temp' | 'waveform' | 'other';

/** Signals sampled at least this fast are waveforms (ECG, arterial line, pleth), drawn as strips. */
export const WAVEFORM_MIN_HZ = 20;

/** Which chart a signal belongs on. */
export function groupOf(signal: Pick<SignalInfo, 'name' | 'samplingHz'>): SignalGroup {
  if (signal.samplingHz !== null && signal.samplingHz >= WAVEFORM_MIN_HZ) return 'waveform';
  const n = signal.name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (/^(hr|pulse|heartrate)$/.test(n)) return 'hr';
  if (/(sys|dias|mean|map|abp|nbp|art)/.test(n) && !/^(pa|cvp)/.test(n)) return 'bp';
  if (/^(spo2|sao2|sp02)$/.test(n)) return 'spo2';
  if (/^(resp|resprate|rr)$/.test(n)) return 'resp';
  if (/^temp/.test(n)) return 'temp';
  return 'other';
}

/** One chart: a title, the unit on its axis and the signals drawn on it. */
export interface Panel {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly group: SignalGroup;
  readonly signals: readonly string[];
}

const TRENDS: ReadonlyArray<{ group: SignalGroup; title: string }> = [
  { group: 'hr', title: 'Heart rate' },
  { group: 'bp', title: 'Blood pressure' },
  { group: 'spo2', title: 'SpO₂' },
  { group: 'resp', title: 'Respiration' },
  { group: 'temp', title: 'Temperature' },
];

/** Waveform strips shown when a record opens (a 12-lead record has 15). */
export const DEFAULT_WAVEFORMS = 3;

/** The signals shown when a recording opens: the first few waveforms and every vital sign. */
export function defaultShown(signals: readonly SignalInfo[]): Set<string> {
  const waves = signals.filter((s) => groupOf(s) === 'waveform').slice(0, DEFAULT_WAVEFORMS);
  const vitals = signals.filter((s) => !['waveform', 'other'].includes(groupOf(s)));
  return new Set([...waves, ...vitals].map((s) => s.name));
}

/**
 * The charts for a recording's `shown` signals: one strip per waveform, then the vital-sign
 * groups (heart rate, blood pressure, SpO2, respiration, temperature), then one chart per other
 * signal (laboratory values and the like).
 */
export function panelsFor(all: readonly SignalInfo[], shown: ReadonlySet<string>): Panel[] {
  const signals = all.filter((s) => shown.has(s.name));
  const panels: Panel[] = [];
  for (const s of signals)
    if (groupOf(s) === 'waveform')
      panels.push({ id: `wave:${s.name}`, title: s.name, unit: s.unit ?? '', group: 'waveform', signals: [s.name] });
  for (const { group, title } of TRENDS) {
    const members = signals.filter((s) => groupOf(s) === group);
    if (members.length === 0) continue;
    const units = [...new Set(members.map((s) => s.unit ?? ''))];
    panels.push({ id: group, title, unit: units.join(', '), group, signals: members.map((s) => s.name) });
  }
  for (const s of signals)
    if (groupOf(s) === 'other')
      panels.push({ id: `other:${s.name}`, title: s.name, unit: s.unit ?? '', group: 'other', signals: [s.name] });
  return panels;
}

/** Joins the per-tile answers of one signal (consecutive windows) into one window. */
export function mergeTiles(parts: readonly SignalWindow[]): SignalWindow {
  const first = parts[0];
  if (first === undefined) throw new Error('mergeTiles needs at least one part');
  if (parts.length === 1) return first;
  const decimated = parts.some((p) => p.min !== undefined);
  const pick = (p: SignalWindow, key: 'min' | 'max') => p[key] ?? p.values;
  return {
    ...first,
    step: Math.max(...parts.map((p) => p.step)),
    timesMs: parts.flatMap((p) => p.timesMs),
    values: parts.flatMap((p) => p.values),
    ...(decimated ? { min: parts.flatMap((p) => pick(p, 'min')), max: parts.flatMap((p) => pick(p, 'max')) } : {}),
  };
}

/** A drawable series: x in seconds from the recording start, y in the signal's unit. */
export interface XY {
  readonly x: number[];
  readonly y: Array<number | null>;
}

/**
 * The points to draw for one signal. A decimated window becomes its min/max envelope: each
 * bucket's minimum at its start and maximum half-way to the next bucket, so a zoomed-out ECG
 * still shows every R wave's height rather than whichever sample happened to come first.
 */
export function toXY(w: SignalWindow): XY {
  const x: number[] = [];
  const y: Array<number | null> = [];
  const t = w.timesMs;
  if (w.min === undefined || w.max === undefined) {
    for (let i = 0; i < t.length; i++) {
      x.push(t[i]! / 1000);
      y.push(w.values[i] ?? null);
    }
    return { x, y };
  }
  const bucketMs = w.samplingHz !== null ? (w.step * 1000) / w.samplingHz : 0;
  for (let i = 0; i < t.length; i++) {
    const next = t[i + 1] ?? t[i]! + bucketMs;
    x.push(t[i]! / 1000, (t[i]! + next) / 2000);
    y.push(w.min[i] ?? null, w.max[i] ?? null);
  }
  return { x, y };
}

/** uPlot's data layout: one shared, ascending x array followed by one y array per series. */
export type Aligned = [number[], ...Array<Array<number | null>>];

/**
 * Puts series with different sample times on one shared x axis (the union of their times, with
 * null where a series has no sample), as uPlot needs. Irregular ICU charting (PhysioNet) gives
 * each signal its own times; the charts join the gaps (`spanGaps`).
 */
export function align(series: readonly XY[]): Aligned {
  if (series.length === 1) return [series[0]!.x.slice(), series[0]!.y.slice()];
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: Array<number | null> = new Array<number | null>(xs.length).fill(null);
    for (let i = 0; i < s.x.length; i++) y[index.get(s.x[i]!)!] = s.y[i] ?? null;
    return y;
  });
  return [xs, ...ys];
}

/** Points drawn for aligned data: non-null y values over all series. */
export function pointsDrawn(data: Aligned): number {
  let n = 0;
  for (let s = 1; s < data.length; s++) for (const v of data[s]!) if (v !== null) n++;
  return n;
}
