import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput, EventPayload } from '../../../native/contract/channels.js';
import { pointsFromHistory, withPoint, type EpochPoint } from './history.js';
import { countsByClass, labelCodesOf, targetKindOf, type ClassCount } from './labelCodes.js';
import type { ModelDetail } from './registry.svelte.js';

/** A training run row. */
export type TrainingRun = ChannelOutput<'models.train'>;
/** One progress report of a run. */
export type TrainingProgress = EventPayload<'models.trainingProgress'>;
/** Candidate and active evaluated on the same held-out cases. */
export type Comparison = ChannelOutput<'models.compare'>;

/** Hyper-parameters and split of a fine-tuning run, as the form edits them. */
export interface TrainForm {
  labelTask: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  validationFraction: number;
  seed: number;
}

/** Defaults of a fine-tuning run (the core's own defaults for fine-tuning). */
export const DEFAULT_FORM: Readonly<Omit<TrainForm, 'labelTask'>> = {
  epochs: 8,
  batchSize: 32,
  learningRate: 3e-4,
  validationFraction: 0.2,
  seed: 1,
};

/** Labelled data a model could be fine-tuned on. */
export interface DataAvailable {
  /** Label tasks in use on this model's kind of case, for the task picker. */
  tasks: string[];
  perClass: ClassCount[];
  /** Labels that map onto the model's classes. */
  usable: number;
  /** Items the active version was trained and validated on, and where they came from. */
  activeTrainedOn: { size: number; source: string } | null;
  /** Usable labels written since the active version was made (null without an active version). */
  newSinceActive: number | null;
}

const FINAL: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);

/** Retraining of one model: data available, the form, the live run, and the comparison when done. */
export class TrainingState {
  form = $state<TrainForm>({ labelTask: '', ...DEFAULT_FORM });
  data = $state.raw<DataAvailable | null>(null);
  run = $state.raw<TrainingRun | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  points = $state.raw<EpochPoint[]>([]);
  comparison = $state.raw<Comparison | null>(null);
  comparing = $state(false);
  runs = $state.raw<TrainingRun[]>([]);
  error = $state<string | null>(null);
  /** The model this state currently describes. */
  modelName = $state<string | null>(null);

  /** Whether a run is in progress (a getter: this state outlives the components that read it). */
  get running(): boolean {
    return this.run !== null && this.run.status === 'running';
  }

  readonly #api: OslerApi;
  readonly #early = new Map<number, TrainingProgress[]>();
  /** Called when a run ends, so the registry can reload its versions. */
  onFinished: (progress: TrainingProgress) => void = () => undefined;

  constructor(api: OslerApi) {
    this.#api = api;
    api.on('models.trainingProgress', (p) => this.#onProgress(p));
  }

  /** Reads the labelled data available for a model (per class, usable, what the active used). */
  async describe(detail: ModelDetail): Promise<void> {
    const { summary, metadata } = detail;
    if (this.modelName !== summary.name) {
      this.modelName = summary.name;
      this.comparison = null;
      if (!this.running) {
        this.run = null;
        this.progress = null;
        this.points = [];
      }
    }
    const kind = targetKindOf(summary.task);
    const active = summary.versions.find((v) => v.id === summary.activeVersionId);
    const result = await this.#api.invoke('labels.classes', {
      targetKind: kind,
      ...(active === undefined ? {} : { since: active.createdAt }),
    });
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    const codes = labelCodesOf(metadata);
    const byTask = new Map<string, { value: string; count: number }[]>();
    for (const row of result.value) byTask.set(row.task, [...(byTask.get(row.task) ?? []), row]);
    const tasks = [...byTask.keys()];
    // The task whose labels best match this model's classes is the natural default.
    const fit = (task: string) =>
      countsByClass(summary.outputs, codes, byTask.get(task) ?? [])
        .filter((c) => c.known)
        .reduce((a, c) => a + c.count, 0);
    if (!tasks.includes(this.form.labelTask)) this.form.labelTask = [...tasks].sort((a, b) => fit(b) - fit(a))[0] ?? '';
    const perClass = countsByClass(summary.outputs, codes, byTask.get(this.form.labelTask) ?? []);
    const trained = metadata.trainingData as
      { trainSize?: number; validationSize?: number; source?: string } | undefined;
    this.data = {
      tasks,
      perClass,
      usable: perClass.filter((c) => c.known).reduce((a, c) => a + c.count, 0),
      newSinceActive: active === undefined ? null : perClass.filter((c) => c.known).reduce((a, c) => a + c.newSince, 0),
      activeTrainedOn:
        trained && typeof trained.trainSize === 'number'
          ? { size: trained.trainSize + (trained.validationSize ?? 0), source: String(trained.source ?? 'unknown') }
          : null,
    };
    await this.loadRuns(summary.name);
  }

  /** The model's training runs, newest first; a running one is picked up again. */
  async loadRuns(name: string): Promise<void> {
    const result = await this.#api.invoke('models.runs', { name, limit: 20 });
    if (!result.ok) return;
    this.runs = result.value;
    const live = result.value.find((r) => r.status === 'running');
    if (live && this.run?.id !== live.id) {
      this.run = live;
      this.points = [];
    }
  }

  /** Starts fine-tuning the model from its active version on the chosen label task. */
  async start(name: string): Promise<void> {
    const f = this.form;
    this.error = null;
    this.comparison = null;
    this.points = [];
    this.progress = null;
    const result = await this.#api.invoke('models.train', {
      name,
      data: { source: 'store', labelTask: f.labelTask },
      settings: {
        epochs: f.epochs,
        batchSize: f.batchSize,
        learningRate: f.learningRate,
        validationFraction: f.validationFraction,
        seed: f.seed,
      },
      fineTune: true,
    });
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.run = result.value;
    for (const p of this.#early.get(result.value.id) ?? []) this.#onProgress(p);
    this.#early.clear();
  }

  /** Asks the engine to stop the run (within one batch). */
  async cancel(): Promise<void> {
    if (this.run === null) return;
    const result = await this.#api.invoke('models.cancel', { runId: this.run.id });
    if (!result.ok) this.error = result.message;
  }

  /** Evaluates a candidate against the active version on the candidate's held-out cases. */
  async compare(candidateVersionId: number): Promise<void> {
    this.comparing = true;
    const result = await this.#api.invoke('models.compare', { candidateVersionId });
    this.comparing = false;
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.comparison = result.value;
  }

  /** Forgets the finished run's comparison once it was promoted or discarded. */
  settle(): void {
    this.comparison = null;
    this.progress = null;
    this.run = null;
    this.points = [];
  }

  #onProgress(p: TrainingProgress): void {
    if (this.run === null || p.runId !== this.run.id) {
      // The first reports can arrive before `models.train` answers with the run id.
      if (this.run === null || this.run.status !== 'running') {
        const list = this.#early.get(p.runId) ?? [];
        if (list.length < 200) list.push(p);
        this.#early.set(p.runId, list);
      }
      return;
    }
    this.progress = p;
    if (p.phase === 'epoch')
      this.points = withPoint(this.points, {
        epoch: p.epoch,
        loss: p.metrics.loss ?? p.loss,
        valLoss: p.metrics.valLoss ?? null,
        accuracy: p.metrics.accuracy ?? null,
        valAccuracy: p.metrics.valAccuracy ?? null,
      });
    if (FINAL.has(p.phase)) void this.#finish(p);
  }

  async #finish(p: TrainingProgress): Promise<void> {
    const name = this.run?.name;
    if (name !== undefined) await this.loadRuns(name);
    const stored = this.runs.find((r) => r.id === p.runId);
    if (stored) {
      this.run = stored;
      const history = pointsFromHistory((stored.metrics as { history?: unknown } | null)?.history);
      if (history.length > 0) this.points = history;
    }
    this.onFinished(p);
    if (p.phase === 'done' && p.versionId !== null) await this.compare(p.versionId);
  }
}
