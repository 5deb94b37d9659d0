/** A time window of a recording, in ms from its start; `fromMs < toMs`. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** How narrow and how wide the view of one recording may get. */
export interface WindowLimits {
  /** The whole recording. */
  readonly bounds: TimeWindow;
  readonly minWidthMs: number;
  readonly maxWidthMs: number;
}

/** The widest window `vitals.get` answers (the contract's one-hour limit). */
export const MAX_CALL_MS = 3_600_000;

/** Width of a window in ms. */
export function widthOf(w: TimeWindow): number {
  return w.toMs - w.fromMs;
}

/**
 * Fits a window into the limits: its width is clamped to [min, max] (and to the recording),
 * then it is slid (not shrunk) back inside the recording.
 */
export function clampWindow(w: TimeWindow, limits: WindowLimits): TimeWindow {
  const { bounds } = limits;
  const total = widthOf(bounds);
  const width = Math.min(total, Math.max(limits.minWidthMs, Math.min(limits.maxWidthMs, widthOf(w))));
  const centre = (w.fromMs + w.toMs) / 2;
  let fromMs = centre - width / 2;
  if (fromMs < bounds.fromMs) fromMs = bounds.fromMs;
  if (fromMs + width > bounds.toMs) fromMs = bounds.toMs - width;
  return { fromMs, toMs: fromMs + width };
}

/**
 * Zooms by `factor` (< 1 narrows, > 1 widens) keeping the time under `anchorMs` at the same
 * place on screen; the window centre when no anchor is given.
 */
export function zoomWindow(w: TimeWindow, factor: number, limits: WindowLimits, anchorMs?: number): TimeWindow {
  const anchor = anchorMs ?? (w.fromMs + w.toMs) / 2;
  const width = widthOf(w);
  const target = Math.min(limits.maxWidthMs, Math.max(limits.minWidthMs, width * factor));
  const share = width > 0 ? (anchor - w.fromMs) / width : 0.5;
  const fromMs = anchor - share * target;
  const clamped = clampWindow({ fromMs, toMs: fromMs + target }, limits);
  // Clamping recentres; keep the anchor where it was unless the recording's edge got in the way.
  const slid = fromMs < limits.bounds.fromMs || fromMs + target > limits.bounds.toMs;
  return slid || widthOf(clamped) !== target ? clamped : { fromMs, toMs: fromMs + target };
}

/** Moves the window by `fraction` of its width (negative: earlier), stopping at the recording's edges. */
export function panWindow(w: TimeWindow, fraction: number, limits: WindowLimits): TimeWindow {
  const shift = widthOf(w) * fraction;
  return clampWindow({ fromMs: w.fromMs + shift, toMs: w.toMs + shift }, limits);
}

/** Splits a window into consecutive pieces no wider than `maxMs` (one `vitals.get` call each). */
export function tilesOf(w: TimeWindow, maxMs: number = MAX_CALL_MS): TimeWindow[] {
  const tiles: TimeWindow[] = [];
  for (let fromMs = w.fromMs; fromMs < w.toMs; fromMs += maxMs)
    tiles.push({ fromMs, toMs: Math.min(w.toMs, fromMs + maxMs) });
  return tiles;
}

/**
 * Points to ask for per signal: about one min/max pair per screen pixel, never fewer than the
 * contract's minimum nor more than `cap`.
 */
export function pointBudget(widthPx: number, cap = 4_000): number {
  return Math.max(10, Math.min(cap, Math.round(widthPx)));
}

/** Elapsed time since the recording start, as `h:mm:ss` (with `.s` under a minute of view). */
export function formatElapsed(ms: number, spanMs = Number.POSITIVE_INFINITY): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = (abs % 60_000) / 1000;
  const sec =
    spanMs < 60_000
      ? s.toFixed(spanMs < 5_000 ? 2 : 1).padStart(spanMs < 5_000 ? 5 : 4, '0')
      : String(Math.floor(s)).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${sec}` : `${sign}${m}:${sec}`;
}

/** A duration for people: `10 s`, `5 min`, `2.5 h`, `2 d 3 h`. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${+s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${+(s / 60).toFixed(1)} min`;
  if (s < 48 * 3600) return `${+(s / 3600).toFixed(1)} h`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}
