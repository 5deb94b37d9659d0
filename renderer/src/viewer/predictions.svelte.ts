import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import { colourLut, paintHeatmap } from './heatmap.js';
import { type ImageModel, modelsFor } from './modelChoice.js';
import type { OverlayLayer } from './overlayLayer.js';

type Prediction = ChannelOutput<'predict.run'>;
type Label = ChannelOutput<'labels.set'>['labels'][number];
type Heatmap = Extract<ChannelOutput<'explain.run'>['attribution'], { kind: 'heatmap' }>;

/**
 * Model review of the open series: the image models that fit it, the chosen model's stored or
 * fresh prediction (series class, per-slice scores), the Grad-CAM heatmap of the current slice on
 * its own overlay layer, and the clinician's slice and series labels (task = the model's name).
 */
export class PredictionsState {
  models = $state.raw<ImageModel[]>([]);
  /** Every image model, fitting or not (the chooser offers the rest under "other"). */
  allModels = $state.raw<ImageModel[]>([]);
  selected = $state<string | null>(null);
  prediction = $state.raw<Prediction | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  /** Heatmap style. */
  enabled = $state(true);
  opacity = $state(0.5);
  threshold = $state(0.2);
  heatmap = $state.raw<Heatmap | null>(null);
  heatmapLoading = $state(false);
  /** Heatmap pixels drawn on the current slice. */
  drawn = $state(0);
  /** Current labels (of the model's task) of the current slice and of the series. */
  sliceLabel = $state.raw<Label | null>(null);
  seriesLabel = $state.raw<Label | null>(null);
  instanceId = $state<number | null>(null);

  readonly lut = colourLut();
  readonly #api: OslerApi;
  readonly #seriesId: number;
  readonly #modality: string;
  readonly #maps = new Map<string, Heatmap>();
  #layer: OverlayLayer | null = null;

  model = $derived(this.allModels.find((m) => m.name === this.selected) ?? null);
  /** Label task of the chosen model's labels. */
  task = $derived(this.selected);

  constructor(api: OslerApi, seriesId: number, modality: string) {
    this.#api = api;
    this.#seriesId = seriesId;
    this.#modality = modality;
  }

  #fail(result: { code: string; message: string }): void {
    this.error = `${result.code}: ${result.message}`;
  }

  /** Lists image models, picks the best fit, and shows its newest stored prediction. */
  async load(layer: OverlayLayer): Promise<void> {
    this.#layer = layer;
    const listed = await this.#api.invoke('models.list', { task: 'image' });
    if (!listed.ok) return this.#fail(listed);
    const all: ImageModel[] = [];
    for (const m of listed.value) {
      const detail = m.activeVersionId === null ? null : await this.#api.invoke('models.get', { name: m.name });
      const input = detail?.ok ? (detail.value.metadata.input as { modalities?: string[] } | undefined) : undefined;
      all.push({
        name: m.name,
        title: m.title,
        outputs: m.outputs,
        positiveClass: m.positiveClass,
        activeVersion: m.versions.find((v) => v.id === m.activeVersionId)?.version ?? null,
        modalities: input?.modalities ?? [],
      });
    }
    this.allModels = all;
    this.models = modelsFor(all, this.#modality);
    await this.choose(this.models[0]?.name ?? null);
  }

  /** Chooses a model and shows its newest stored prediction on this series (if any). */
  async choose(name: string | null): Promise<void> {
    this.selected = name;
    this.prediction = null;
    this.#maps.clear();
    this.error = null;
    if (name === null) return this.#paint();
    const stored = await this.#api.invoke('predictions.list', { kind: 'series', id: this.#seriesId });
    if (!stored.ok) return this.#fail(stored);
    this.prediction = stored.value.find((p) => p.modelName === name && p.slices !== null) ?? null;
    await this.#refreshSlice();
  }

  /** Runs the chosen model on the series (and stores the prediction). */
  async run(): Promise<void> {
    if (this.selected === null || this.running) return;
    this.running = true;
    this.error = null;
    try {
      const result = await this.#api.invoke('predict.run', {
        model: { name: this.selected },
        target: { kind: 'series', id: this.#seriesId },
      });
      if (!result.ok) return this.#fail(result);
      this.#maps.clear();
      this.prediction = result.value;
      await this.#refreshSlice();
    } finally {
      this.running = false;
    }
  }

  /** Follows the viewer to the slice showing `instanceId`. */
  async setInstance(instanceId: number | null): Promise<void> {
    if (instanceId === this.instanceId) return;
    this.instanceId = instanceId;
    await this.#refreshSlice();
  }

  /** Shows or hides the heatmap (key h). */
  async toggle(): Promise<void> {
    this.enabled = !this.enabled;
    await this.#refreshSlice();
  }

  /** Re-applies opacity and threshold to the current map (no new explanation). */
  restyle(): void {
    this.#paint();
  }

  async #refreshSlice(): Promise<void> {
    await Promise.all([this.#loadHeatmap(), this.#loadLabels()]);
  }

  async #loadHeatmap(): Promise<void> {
    const instanceId = this.instanceId;
    const model = this.model;
    const prediction = this.prediction;
    // Never leave another slice's map over this one while the new one is computed.
    this.heatmap = null;
    this.#paint();
    if (!this.enabled || instanceId === null || model === null || prediction === null) return;
    const key = `${prediction.modelVersionId}:${instanceId}`;
    let map = this.#maps.get(key);
    if (!map) {
      this.heatmapLoading = true;
      try {
        const result = await this.#api.invoke('explain.run', {
          model: { versionId: prediction.modelVersionId },
          target: { kind: 'instance', id: instanceId },
          ...(model.positiveClass === null ? {} : { output: model.positiveClass }),
        });
        if (!result.ok) return this.#fail(result);
        if (result.value.attribution.kind !== 'heatmap') return;
        map = result.value.attribution;
        this.#maps.set(key, map);
      } finally {
        this.heatmapLoading = false;
      }
    }
    if (instanceId === this.instanceId && prediction === this.prediction) {
      this.heatmap = map;
      this.#paint();
    }
  }

  #paint(): void {
    const layer = this.#layer;
    if (!layer) return;
    const map = this.heatmap;
    if (!map || !this.enabled) {
      this.drawn = 0;
      layer.setImage(null, 0, 0);
      return;
    }
    const { rgba, drawn } = paintHeatmap(map.values, map.rows, map.columns, {
      lut: this.lut,
      opacity: this.opacity,
      threshold: this.threshold,
    });
    this.drawn = drawn;
    layer.setImage(rgba, map.rows, map.columns, drawn);
  }

  async #current(kind: 'instance' | 'series', id: number): Promise<Label | null> {
    const task = this.task;
    if (task === null) return null;
    const result = await this.#api.invoke('labels.list', { target: { kind, id }, task });
    if (!result.ok) {
      this.#fail(result);
      return null;
    }
    return result.value.labels.find((l) => l.current) ?? null;
  }

  async #loadLabels(): Promise<void> {
    const instanceId = this.instanceId;
    const [slice, series] = await Promise.all([
      instanceId === null ? null : this.#current('instance', instanceId),
      this.#current('series', this.#seriesId),
    ]);
    if (instanceId === this.instanceId) this.sliceLabel = slice;
    this.seriesLabel = series;
  }

  /** Stores the clinician's class for the current slice or the series (source human); shown at once. */
  async label(level: 'slice' | 'series', value: string): Promise<void> {
    const task = this.task;
    const id = level === 'slice' ? this.instanceId : this.#seriesId;
    if (task === null || id === null) return;
    const result = await this.#api.invoke('labels.set', {
      target: { kind: level === 'slice' ? 'instance' : 'series', id },
      task,
      value,
      source: 'human',
    });
    if (!result.ok) return this.#fail(result);
    const saved = result.value.labels.find((l) => l.current && l.value === value) ?? result.value.labels[0] ?? null;
    if (level === 'slice') this.sliceLabel = saved;
    else this.seriesLabel = saved;
  }
}
