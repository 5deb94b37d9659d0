import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import type { Annotation } from './annotations.js';
import type { TaskState } from './outcomes.js';
import { VitalsModelState } from './vitalsModels.svelte.js';
import { defaultShown, groupOf, mergeTiles, panelsFor, type SignalWindow } from './series.js';
import {
  clampWindow,
  MAX_CALL_MS,
  panWindow,
  pointBudget,
  tilesOf,
  zoomWindow,
  type TimeWindow,
  type WindowLimits,
} from './timeWindow.js';

type Item = ChannelOutput<'worklist.list'>['items'][number];
type Recording = ChannelOutput<'vitals.get'>['recording'];
type Label = ChannelOutput<'vitals.get'>['labels'][number];

/** Initial width of an ECG strip: ten seconds, as on paper. */
const STRIP_MS = 10_000;
/**
 * Annotations asked for per call. The annotator picker lists the annotators present, so all are
 * fetched (`vitals.get` could filter by `annotator`): a 30-minute MIT-BIH record's reference and
 * QRS-detector annotations (about 4,500 each hour) come together.
 */
const MAX_ANNOTATIONS = 10_000;

/** The whole recording in ms, from its duration or, failing that, its regular signals' lengths. */
function boundsOf(rec: Recording): TimeWindow {
  let ms = (rec.durationS ?? 0) * 1000;
  for (const s of rec.signals) if (s.samplingHz) ms = Math.max(ms, (s.sampleCount / s.samplingHz) * 1000);
  return { fromMs: 0, toMs: ms > 0 ? ms : 48 * 3_600_000 };
}

/**
 * Vitals review: the recordings, the open one, the time window in view and the signal windows
 * fetched for it. Zooming asks `vitals.get` for the new window with about one point per pixel,
 * so a long 360 Hz ECG is never shipped whole; views wider than the contract's one-hour limit
 * (a 48-hour ICU stay) are fetched as one-hour tiles and joined.
 */
export class VitalsState {
  recordings = $state.raw<Item[]>([]);
  recordingId = $state<number | null>(null);
  recording = $state.raw<Recording | null>(null);
  /** The window being asked for (moves at once when the user zooms). */
  view = $state.raw<TimeWindow | null>(null);
  /** The window `signals` and `annotations` belong to. */
  loaded = $state.raw<TimeWindow | null>(null);
  signals = $state.raw<ReadonlyMap<string, SignalWindow>>(new Map());
  annotations = $state.raw<Annotation[]>([]);
  annotationsTruncated = $state(false);
  /** Labels that cover a window of the recording, overlapping the loaded window. */
  windowLabels = $state.raw<Label[]>([]);
  outcomes = $state.raw<TaskState[]>([]);
  shown = $state.raw<ReadonlySet<string>>(new Set());
  annotator = $state<string | null>(null);
  /** Width of the chart area in CSS pixels; sets the points asked for. */
  widthPx = $state(1000);
  /** Points per signal asked for by the last fetch. */
  maxPoints = $state(0);
  /** Completed window fetches (tests wait on it). */
  fetches = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Risk and forecast models' output on a charted stay. */
  readonly models: VitalsModelState;
  /** End of the latest forecast, once the models have run (the time axis reaches it). */
  aheadMs = $state(0);

  isWaveform = $derived(this.recording?.signals.some((s) => groupOf(s) === 'waveform') ?? false);
  panels = $derived(this.recording ? panelsFor(this.recording.signals, this.shown) : []);
  limits = $derived<WindowLimits | null>(
    this.recording === null
      ? null
      : {
          // A forecast reaches past the last value: the time axis extends to hold it.
          bounds: { fromMs: 0, toMs: Math.max(boundsOf(this.recording).toMs, this.aheadMs + 10 * 60_000) },
          minWidthMs: this.isWaveform ? 1_000 : 10 * 60_000,
          maxWidthMs: this.isWaveform ? MAX_CALL_MS : Number.POSITIVE_INFINITY,
        },
  );

  readonly #api: OslerApi;
  #seq = 0;
  #busy = false;
  #pending: TimeWindow | null = null;

  constructor(api: OslerApi) {
    this.#api = api;
    this.models = new VitalsModelState(api);
  }

  #fail(code: string, message: string): void {
    this.error = `${code}: ${message}`;
  }

  /** Lists the recordings and opens the first. */
  async load(): Promise<void> {
    this.loading = true;
    try {
      const result = await this.#api.invoke('worklist.list', { kinds: ['recording'], sort: 'date', limit: 500 });
      if (!result.ok) return this.#fail(result.code, result.message);
      this.recordings = result.value.items;
      const first = result.value.items[0];
      if (first && this.recordingId === null) await this.select(first.id);
    } finally {
      this.loading = false;
    }
  }

  /** Opens a recording: its signals, its outcome labels and its first window. */
  async select(recordingId: number): Promise<void> {
    this.recordingId = recordingId;
    const seq = ++this.#seq;
    const [head, labels] = await Promise.all([
      this.#api.invoke('vitals.get', { recordingId, fromMs: 0, toMs: 1, maxPoints: 10, maxAnnotations: 0 }),
      this.#api.invoke('labels.list', { target: { kind: 'recording', id: recordingId } }),
    ]);
    if (seq !== this.#seq) return;
    if (!head.ok) return this.#fail(head.code, head.message);
    this.error = null;
    this.recording = head.value.recording;
    this.outcomes = labels.ok ? labels.value.states : [];
    this.shown = defaultShown(head.value.recording.signals);
    this.signals = new Map();
    this.annotations = [];
    this.loaded = null;
    this.annotator = null;
    this.#pending = null;
    this.aheadMs = 0;
    const limits = this.limits!;
    this.setView(this.isWaveform ? clampWindow({ fromMs: 0, toMs: STRIP_MS }, limits) : limits.bounds);
    if (this.isWaveform) this.models.clear();
    else void this.#runModels(head.value.recording, seq);
  }

  /** Runs the stay's models; when the whole stay is in view, widens it to show the forecast. */
  async #runModels(recording: Recording, seq: number): Promise<void> {
    const end = boundsOf(recording).toMs;
    await this.models.load(recording);
    if (seq !== this.#seq) return;
    this.aheadMs = this.models.aheadMs;
    const view = this.view;
    if (seq !== this.#seq || view === null || this.limits === null) return;
    if (view.toMs >= end - 1 && this.limits.bounds.toMs > view.toMs)
      this.setView({ ...view, toMs: this.limits.bounds.toMs });
  }

  /** Shows or hides one signal. */
  toggle(name: string): void {
    const next = new Set(this.shown);
    if (!next.delete(name)) next.add(name);
    this.shown = next;
    if (this.view) this.setView(this.view);
  }

  /** Moves the view to `w` (clamped) and fetches it; rapid calls coalesce into the latest. */
  setView(w: TimeWindow): void {
    if (this.limits === null) return;
    const view = clampWindow(w, this.limits);
    this.view = view;
    if (this.#busy) {
      this.#pending = view;
      return;
    }
    void this.#fetch(view);
  }

  zoom(factor: number, anchorMs?: number): void {
    if (this.view && this.limits) this.setView(zoomWindow(this.view, factor, this.limits, anchorMs));
  }

  pan(fraction: number): void {
    if (this.view && this.limits) this.setView(panWindow(this.view, fraction, this.limits));
  }

  /** Back to the opening view: the first strip of a waveform record, the whole stay otherwise. */
  reset(): void {
    if (!this.limits) return;
    this.setView(this.isWaveform ? { fromMs: 0, toMs: STRIP_MS } : this.limits.bounds);
  }

  async #fetch(view: TimeWindow): Promise<void> {
    const recordingId = this.recordingId;
    const names = this.panels.flatMap((p) => p.signals);
    if (recordingId === null) return;
    this.#busy = true;
    this.loading = true;
    const seq = this.#seq;
    try {
      const tiles = tilesOf(view);
      const budget = pointBudget(this.widthPx);
      const maxPoints = Math.max(10, Math.ceil(budget / tiles.length));
      const results = await Promise.all(
        tiles.map((t) =>
          this.#api.invoke('vitals.get', {
            recordingId,
            fromMs: t.fromMs,
            toMs: t.toMs,
            signals: names,
            maxPoints,
            maxAnnotations: this.isWaveform ? MAX_ANNOTATIONS : 0,
          }),
        ),
      );
      if (seq !== this.#seq) return;
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) return this.#fail(failed.code, failed.message);
      const values = results.flatMap((r) => (r.ok ? [r.value] : []));
      const signals = new Map<string, SignalWindow>();
      for (const name of names) {
        const parts = values.flatMap((v) => v.signals.filter((s) => s.name === name));
        if (parts.length > 0) signals.set(name, mergeTiles(parts));
      }
      this.error = null;
      this.signals = signals;
      this.annotations = values.flatMap((v) => v.annotations);
      this.annotationsTruncated = values.some((v) => v.annotationsTruncated);
      this.windowLabels = values[0]?.labels.filter((l) => l.windowStartMs !== null) ?? [];
      this.maxPoints = budget;
      this.loaded = view;
      this.fetches++;
    } finally {
      this.#busy = false;
      this.loading = false;
      const next = this.#pending;
      this.#pending = null;
      if (next !== null) void this.#fetch(next);
    }
  }
}
