import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import {
  forecastSpecOf,
  forecastsOf,
  riskWindowsOf,
  type Forecast,
  type LastPoint,
  type RiskAssessment,
} from './forecast.js';

type ModelSummary = ChannelOutput<'models.list'>[number];
type Prediction = ChannelOutput<'predict.run'>;
type Recording = ChannelOutput<'vitals.get'>['recording'];

const HOUR_MS = 3_600_000;
/** How far back the last value of a forecast target is looked for. */
const LOOK_BACK_HOURS = 6;

/**
 * The vitals models' reading of an ICU stay: the risk score (active `vitals-risk` model) with the
 * windows that drove it, and the next-hour forecasts (active `vitals-forecast` model) drawn ahead
 * of the last values. Stored predictions of the active versions are reused; otherwise the models
 * run once (which stores the prediction and sets the stay's worklist priority).
 */
export class VitalsModelState {
  forecasts = $state.raw<Forecast[]>([]);
  risk = $state.raw<RiskAssessment | null>(null);
  loading = $state(false);
  /** Why a model shows nothing (no model, not applicable, failed). */
  messages = $state.raw<string[]>([]);
  /** End of the latest forecast, so the time axis can reach it. */
  get aheadMs(): number {
    return this.forecasts.reduce((m, f) => Math.max(m, f.tMs[f.tMs.length - 1] ?? 0), 0);
  }

  #seq = 0;
  readonly #api: OslerApi;

  constructor(api: OslerApi) {
    this.#api = api;
  }

  async #active(task: 'vitals-risk' | 'vitals-forecast'): Promise<ModelSummary | null> {
    const r = await this.#api.invoke('models.list', { task });
    return r.ok ? (r.value.find((m) => m.activeVersionId !== null) ?? null) : null;
  }

  async #prediction(model: ModelSummary, id: number): Promise<Prediction | string> {
    const target = { kind: 'recording' as const, id };
    const stored = await this.#api.invoke('predictions.list', target);
    const hit = stored.ok ? stored.value.find((p) => p.modelVersionId === model.activeVersionId) : undefined;
    if (hit) return hit;
    const run = await this.#api.invoke('predict.run', { model: { name: model.name }, target });
    return run.ok ? run.value : `${model.name}: ${run.message}`;
  }

  /** Clears the model output (a waveform record, or before another stay loads). */
  clear(): void {
    this.#seq++;
    this.forecasts = [];
    this.risk = null;
    this.messages = [];
    this.loading = false;
  }

  /** Runs (or reads) the risk and forecast models on a charted stay. */
  async load(recording: Recording): Promise<void> {
    this.clear();
    const seq = this.#seq;
    this.loading = true;
    try {
      const [risk, forecast] = await Promise.all([
        this.#loadRisk(recording).catch((e: unknown) => String(e)),
        this.#loadForecast(recording).catch((e: unknown) => String(e)),
      ]);
      if (seq !== this.#seq) return;
      this.messages = [risk, forecast].filter((m): m is string => typeof m === 'string');
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  async #loadRisk(recording: Recording): Promise<string | null> {
    const seq = this.#seq;
    const model = await this.#active('vitals-risk');
    if (!model) return 'No risk model is active.';
    const p = await this.#prediction(model, recording.id);
    if (typeof p === 'string') return p;
    const positive = model.positiveClass ?? p.outputs[p.outputs.length - 1] ?? null;
    const index = positive === null ? -1 : p.outputs.indexOf(positive);
    const score = p.score ?? (index >= 0 ? (p.probabilities?.[index] ?? 0) : 0);
    const why = await this.#api.invoke('explain.run', {
      model: { versionId: p.modelVersionId },
      target: { kind: 'recording', id: recording.id },
      ...(positive ? { output: positive } : {}),
    });
    if (seq !== this.#seq) return null;
    const steps = why.ok && why.value.attribution.kind === 'steps' ? why.value.attribution : null;
    this.risk = {
      task: model.title || model.name,
      modelVersion: `${p.modelName} v${p.modelVersion}`,
      score,
      windows: steps ? riskWindowsOf(steps) : [],
      drivers: steps ? steps.variables.slice(0, 3).map((v) => v.name) : [],
    };
    if (!why.ok) return `Risk windows unavailable: ${why.message}`;
    if (steps && !steps.scores.some((v) => v !== 0))
      return `${p.modelName} gave no time-step attributions for this stay (all zero; a model that reads whole-stay summaries rather than hour by hour has none), so no hours are shaded.`;
    return null;
  }

  async #stored(
    recording: Recording,
    predictionId: number,
  ): Promise<{ forecastAtMs?: number; lastValues?: (number | null)[] }> {
    if (!recording.patientKey) return {};
    const r = await this.#api.invoke('patients.record', { patientKey: recording.patientKey });
    const p = r.ok ? r.value.predictions.find((x) => x.id === predictionId) : undefined;
    return (p?.output ?? {}) as { forecastAtMs?: number; lastValues?: (number | null)[] };
  }

  async #lastPoints(
    recordingId: number,
    signals: readonly string[],
    beforeMs: number,
  ): Promise<Map<string, LastPoint>> {
    const found = new Map<string, LastPoint>();
    for (let h = 1; h <= LOOK_BACK_HOURS && found.size < signals.length; h++) {
      const wanted = signals.filter((s) => !found.has(s));
      const r = await this.#api.invoke('vitals.get', {
        recordingId,
        fromMs: Math.max(0, beforeMs - h * HOUR_MS),
        toMs: Math.max(1, beforeMs - (h - 1) * HOUR_MS),
        signals: wanted,
        maxPoints: 200,
        maxAnnotations: 0,
      });
      if (!r.ok) break;
      for (const s of r.value.signals)
        for (let i = s.values.length - 1; i >= 0; i--) {
          const v = s.values[i];
          if (typeof v === 'number' && Number.isFinite(v) && s.timesMs[i] !== undefined) {
            found.set(s.name, { tMs: s.timesMs[i]!, value: v });
            break;
          }
        }
      if (beforeMs - h * HOUR_MS <= 0) break;
    }
    return found;
  }

  async #loadForecast(recording: Recording): Promise<string | null> {
    const seq = this.#seq;
    const model = await this.#active('vitals-forecast');
    if (!model) return 'No forecasting model is active.';
    const p = await this.#prediction(model, recording.id);
    if (typeof p === 'string') return p;
    if (!p.values) return `${model.name} gave no forecast values.`;
    const [detail, stored] = await Promise.all([
      this.#api.invoke('models.get', { versionId: p.modelVersionId }),
      this.#stored(recording, p.id),
    ]);
    if (stored.forecastAtMs === undefined) return 'The forecast time is not known for this stay.';
    const spec = forecastSpecOf(detail.ok ? detail.value.metadata : {}, p.outputs);
    const names = new Set(recording.signals.map((s) => s.name));
    const signals = spec.targets.flatMap((t) => [t.variable, t.fallback ?? '']).filter((s) => names.has(s));
    const last = await this.#lastPoints(recording.id, signals, stored.forecastAtMs - HOUR_MS);
    if (seq !== this.#seq) return null;
    this.forecasts = forecastsOf({
      modelVersion: `${p.modelName} v${p.modelVersion}`,
      level: spec.level,
      targets: spec.targets,
      outputs: p.outputs,
      values: p.values,
      forecastAtMs: stored.forecastAtMs,
      ...(stored.lastValues ? { lastValues: stored.lastValues } : {}),
      last: (s) => last.get(s) ?? null,
    });
    return this.forecasts.length > 0 ? null : 'The stay has no recent value of the forecast signals.';
  }
}
