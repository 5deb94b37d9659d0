import type uPlot from 'uplot';
import type { Mark } from './annotations.js';
import type { Forecast, Shade } from './forecast.js';
import type { Panel } from './series.js';
import { formatElapsed, type TimeWindow } from './timeWindow.js';

/** What the draw hooks read; the chart component updates it in place and redraws. */
export interface Overlays {
  marks: readonly Mark[];
  shades: readonly Shade[];
  /** Forecasts of this panel's signals, drawn ahead of their last values. */
  forecasts: readonly Forecast[];
  xRange: TimeWindow;
}

/** A theme colour (app.css custom property), read when uPlot draws so a theme change applies on redraw. */
const themeColour = (name: string, fallback: string) => (): string =>
  (typeof document === 'undefined' ? '' : getComputedStyle(document.documentElement).getPropertyValue(name).trim()) ||
  fallback;
const AXIS = themeColour('--chart-axis', '#a3b0bd');
const GRID = themeColour('--line', '#26303a');
const FONT = '11px system-ui, sans-serif';
/** Tick steps of the time axis in seconds, so ticks fall on whole seconds, minutes and hours. */
const TIME_INCRS = [
  0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

const PALETTE: Record<Panel['group'], readonly string[]> = {
  hr: ['#5fd38d', '#a6e8bf'],
  bp: ['#f07a70', '#f5b0a9', '#ffd7d2', '#d9574d', '#f09a70', '#f5c4a9', '#ffe4d2', '#e88d8d', '#c98080'],
  spo2: ['#5ad4e6', '#a9ebf4'],
  resp: ['#e8cc5a', '#f2e3a3'],
  temp: ['#f0a060'],
  waveform: ['#5fd38d'],
  other: ['#c1a9f0'],
};

/** Colour of a waveform by what it records (monitor conventions: ECG green, pressure red, ...). */
function waveColour(name: string): string {
  if (/abp|art|bp|pap|cvp/i.test(name)) return '#f07a70';
  if (/resp/i.test(name)) return '#e8cc5a';
  if (/pleth|spo2/i.test(name)) return '#5ad4e6';
  return '#5fd38d';
}

/** The colour of each signal of a panel, in order. */
export function coloursOf(panel: Panel): string[] {
  if (panel.group === 'waveform') return panel.signals.map(waveColour);
  const p = PALETTE[panel.group];
  return panel.signals.map((_, i) => p[i % p.length]!);
}

/** Whether a waveform is an ECG lead (beat marks go on these). */
export function isEcg(name: string): boolean {
  return !/abp|art|bp|pap|cvp|resp|pleth|spo2|icp|co2/i.test(name);
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

function drawShades(u: uPlot, o: Overlays): void {
  const { ctx, bbox } = u;
  for (const s of o.shades) {
    const x0 = Math.max(bbox.left, u.valToPos(s.fromMs / 1000, 'x', true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos(s.toMs / 1000, 'x', true));
    if (x1 <= x0) continue;
    ctx.fillStyle = s.color;
    ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
  }
}

function drawMarks(u: uPlot, o: Overlays): void {
  const { ctx, bbox } = u;
  const dpr = devicePixelRatio || 1;
  const beats = o.marks.filter((m) => m.kind === 'beat').length;
  // Symbols need about 8 px each; denser than that only the ticks are drawn.
  const withText = beats * 8 * dpr < bbox.width;
  ctx.save();
  ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const m of o.marks) {
    const x = u.valToPos(m.tMs / 1000, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    // Zoomed out, a tick per normal beat is a solid bar: only the beats worth finding are marked.
    if (!withText && m.kind === 'beat' && !m.abnormal) continue;
    const colour = m.kind === 'rhythm' ? '#e8cc5a' : m.abnormal ? '#ff8a65' : '#cfd8e0';
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + 5 * dpr);
    ctx.stroke();
    if (m.kind === 'rhythm') ctx.fillText(m.text, x, bbox.top + 20 * dpr);
    else if (withText || m.abnormal) ctx.fillText(m.text, x, bbox.top + 6 * dpr);
  }
  ctx.restore();
}

/** Draws each forecast's interval as a fan from the last value, its dashed mean and a whisker at the forecast time. */
function drawForecast(u: uPlot, o: Overlays): void {
  const { ctx } = u;
  const dpr = devicePixelRatio || 1;
  const y = (v: number) => u.valToPos(v, 'y', true);
  for (const f of o.forecasts) {
    if (f.tMs.length === 0) continue;
    const xs = f.tMs.map((t) => u.valToPos(t / 1000, 'x', true));
    const colour = FORECAST_COLOUR;
    ctx.save();
    ctx.fillStyle = 'rgba(200, 160, 255, 0.22)';
    ctx.beginPath();
    xs.forEach((x, i) => ctx.lineTo(x, y(f.upper[i]!)));
    for (let i = xs.length - 1; i >= 0; i--) ctx.lineTo(xs[i]!, y(f.lower[i]!));
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([5 * dpr, 4 * dpr]);
    ctx.beginPath();
    xs.forEach((x, i) => ctx.lineTo(x, y(f.mean[i]!)));
    ctx.stroke();
    ctx.setLineDash([]);
    const end = xs.length - 1;
    const xe = xs[end]!;
    ctx.beginPath();
    ctx.moveTo(xe, y(f.lower[end]!));
    ctx.lineTo(xe, y(f.upper[end]!));
    ctx.moveTo(xe - 4 * dpr, y(f.lower[end]!));
    ctx.lineTo(xe + 4 * dpr, y(f.lower[end]!));
    ctx.moveTo(xe - 4 * dpr, y(f.upper[end]!));
    ctx.lineTo(xe + 4 * dpr, y(f.upper[end]!));
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(xe, y(f.mean[end]!), 3.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
    ctx.restore();
  }
}

/** Colour of forecasts on every chart (distinct from the signals' monitor colours). */
export const FORECAST_COLOUR = '#c8a0ff';

/** The y range of a panel: its data's, widened to hold any forecast interval drawn on it. */
function yRange(o: Overlays, min: number | null, max: number | null): [number, number] {
  let lo = min ?? Infinity;
  let hi = max ?? -Infinity;
  for (const f of o.forecasts) {
    lo = Math.min(lo, ...f.lower);
    hi = Math.max(hi, ...f.upper);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  const pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

/** uPlot options for one panel in the page's theme; x is seconds from the recording start. */
export function chartOptions(
  panel: Panel,
  size: { width: number; height: number },
  overlays: Overlays,
  syncKey: string,
  onSelect: (fromMs: number, toMs: number) => void,
): uPlot.Options {
  const colours = coloursOf(panel);
  const span = () => overlays.xRange.toMs - overlays.xRange.fromMs;
  return {
    ...size,
    pxAlign: false,
    legend: { live: true },
    cursor: { sync: { key: syncKey }, drag: { x: true, y: false, setScale: false } },
    scales: {
      x: { time: false, auto: false },
      y:
        panel.group === 'waveform'
          ? { auto: true }
          : { auto: true, range: (_u: uPlot, min: number | null, max: number | null) => yRange(overlays, min, max) },
    },
    axes: [
      {
        stroke: AXIS,
        font: FONT,
        space: 70,
        incrs: TIME_INCRS,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID, width: 1 },
        values: (_u, splits) => splits.map((s) => formatElapsed(s * 1000, span())),
      },
      {
        stroke: AXIS,
        font: FONT,
        size: 56,
        space: 24,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID, width: 1 },
        values: (_u, splits) => splits.map((s) => fmt(s)),
      },
    ],
    series: [
      { label: 'Time', value: (_u, v) => (v === null ? '–' : formatElapsed(v * 1000, span())) },
      ...panel.signals.map((name, i) => ({
        label: name,
        stroke: colours[i]!,
        width: panel.group === 'waveform' ? 1 : 1.5,
        spanGaps: panel.group !== 'waveform',
        // uPlot draws the points only where they are sparse enough to see (a charted ICU stay).
        points: panel.group === 'waveform' ? { show: false } : { size: 5 },
        value: (_u: uPlot, v: number | null) => fmt(v),
      })),
    ],
    hooks: {
      drawClear: [(u) => drawShades(u, overlays)],
      draw: [(u) => drawMarks(u, overlays), (u) => drawForecast(u, overlays)],
      setSelect: [
        (u) => {
          if (u.select.width > 3) {
            const a = u.posToVal(u.select.left, 'x');
            const b = u.posToVal(u.select.left + u.select.width, 'x');
            onSelect(a * 1000, b * 1000);
          }
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        },
      ],
    },
  };
}
