import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import {
  classOptions,
  labelCodesOf,
  pickModel,
  scaleAttributions,
  valueNames,
  type ClassOption,
} from './modelOutput.js';
import type { TokenScore } from './segments.js';

type ModelSummary = ChannelOutput<'models.list'>[number];
/** A stored prediction, with the model version that made it. */
export type Prediction = ChannelOutput<'predict.run'>;

/** Where the prediction of the open note is. */
export type PredictionStatus = 'idle' | 'loading' | 'ready' | 'no-model' | 'error';

/**
 * The model's reading of the open note: which model serves the task, its prediction (the stored
 * one of the active version when there is one, else a fresh `predict.run`, which stores it and
 * so sets the note's worklist priority) and the token attributions of the predicted class.
 */
export class NotePredictionState {
  status = $state<PredictionStatus>('idle');
  error = $state<string | null>(null);
  model = $state.raw<ModelSummary | null>(null);
  prediction = $state.raw<Prediction | null>(null);
  /** Attributions scaled to [-1, 1]; empty when the model could not be explained. */
  tokens = $state.raw<TokenScore[]>([]);
  /** Label codes of the model's classes, in output order (empty: classes are stored by name). */
  codes = $state.raw<string[]>([]);

  // Getters rather than $derived: this state lives in the case session, which a view's $derived
  // creates; deriveds made there die with that view, getters over $state stay live everywhere.

  /** The prediction's classes, most probable first, with the label values they are stored as. */
  get options(): ClassOption[] {
    const p = this.prediction;
    return p?.probabilities ? classOptions(p.outputs, p.probabilities, this.codes) : [];
  }

  /** Label value → class name, for the class buttons. */
  get names(): Record<string, string> {
    return this.model ? valueNames(this.model.outputs, this.codes) : {};
  }

  #models: Promise<ModelSummary[]> | null = null;
  #codes = new Map<string, Promise<string[]>>();
  #seq = 0;
  readonly #api: OslerApi;
  readonly #onpredict: (noteId: number, prediction: Prediction) => void;

  constructor(api: OslerApi, onpredict: (noteId: number, prediction: Prediction) => void = () => undefined) {
    this.#api = api;
    this.#onpredict = onpredict;
  }

  #fail(seq: number, code: string, message: string): void {
    if (seq !== this.#seq) return;
    this.status = 'error';
    this.error = `${code}: ${message}`;
  }

  async #textModels(): Promise<ModelSummary[]> {
    this.#models ??= this.#api.invoke('models.list', { task: 'text' }).then((r) => (r.ok ? r.value : []));
    return this.#models;
  }

  #codesOf(name: string): Promise<string[]> {
    let codes = this.#codes.get(name);
    if (!codes) {
      codes = this.#api.invoke('models.get', { name }).then((r) => (r.ok ? labelCodesOf(r.value.metadata) : []));
      this.#codes.set(name, codes);
    }
    return codes;
  }

  /** Forgets the model list (after a promotion elsewhere) so the next note asks again. */
  refreshModels(): void {
    this.#models = null;
    this.#codes.clear();
  }

  /** Reads (or makes) the prediction of the task's model for a note, and explains it. */
  async load(noteId: number, task: string | null, classes: readonly string[]): Promise<void> {
    const seq = ++this.#seq;
    this.status = 'loading';
    this.error = null;
    this.prediction = null;
    this.tokens = [];
    const models = await this.#textModels();
    const codes = new Map(await Promise.all(models.map(async (m) => [m.name, await this.#codesOf(m.name)] as const)));
    const model = task === null ? null : pickModel(models, task, classes, (n) => codes.get(n) ?? []);
    if (seq !== this.#seq) return;
    this.model = model;
    this.codes = model ? (codes.get(model.name) ?? []) : [];
    if (!model) {
      this.status = 'no-model';
      return;
    }
    const target = { kind: 'note' as const, id: noteId };
    const stored = await this.#api.invoke('predictions.list', target);
    let prediction = stored.ok ? stored.value.find((p) => p.modelVersionId === model.activeVersionId) : undefined;
    if (!prediction) {
      const run = await this.#api.invoke('predict.run', { model: { name: model.name }, target });
      if (!run.ok) return this.#fail(seq, run.code, run.message);
      prediction = run.value;
      this.#onpredict(noteId, prediction);
    }
    if (seq !== this.#seq) return;
    this.prediction = prediction;
    this.status = 'ready';
    const why = await this.#api.invoke('explain.run', {
      model: { versionId: prediction.modelVersionId },
      target,
      ...(prediction.predicted ? { output: prediction.predicted } : {}),
    });
    if (seq !== this.#seq) return;
    if (why.ok && why.value.attribution.kind === 'tokens')
      this.tokens = scaleAttributions(why.value.attribution.tokens);
    else if (!why.ok) this.error = `No word attributions: ${why.message}`;
  }
}
