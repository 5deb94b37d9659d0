import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import { valueForClass } from './labelCodes.js';

/** One unlabelled item with the model's prediction. */
export type ReviewItem = ChannelOutput<'models.reviewQueue'>[number];

/** Active learning: the items the model is least sure about, labelled one after the other. */
export class ReviewState {
  items = $state.raw<ReviewItem[]>([]);
  index = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Items labelled in this session: "title → class". */
  done = $state.raw<{ title: string; className: string; accepted: boolean }[]>([]);
  modelName = $state<string | null>(null);
  labelTask = $state('');

  /** The item under the cursor (a getter: this state outlives the components that read it). */
  get current(): ReviewItem | null {
    return this.items[this.index] ?? null;
  }
  /** Text of the current item when it is a note (what the clinician reads before labelling). */
  preview = $state<{ key: string; text: string } | null>(null);

  readonly #api: OslerApi;

  constructor(api: OslerApi) {
    this.#api = api;
  }

  /** Loads the queue for a model (its active version) and label task. */
  async load(modelName: string, labelTask: string): Promise<void> {
    if (labelTask === '') return;
    this.modelName = modelName;
    this.labelTask = labelTask;
    this.loading = true;
    const result = await this.#api.invoke('models.reviewQueue', {
      model: { name: modelName },
      labelTask,
      limit: 20,
      scan: 300,
    });
    this.loading = false;
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.error = null;
    this.items = result.value;
    this.index = 0;
  }

  /** Loads the current note's text (other kinds show their title and prediction only). */
  async loadPreview(item: ReviewItem): Promise<void> {
    const key = `${item.target.kind}:${item.target.id}`;
    if (this.preview?.key === key) return;
    if (item.target.kind !== 'note') {
      this.preview = null;
      return;
    }
    const result = await this.#api.invoke('notes.get', { id: item.target.id });
    if (result.ok && this.current === item) this.preview = { key, text: result.value.text };
  }

  /** Moves the cursor within the queue. */
  move(delta: number): void {
    this.index = Math.max(0, Math.min(this.items.length - 1, this.index + delta));
  }

  /**
   * Labels the current item with a class (as the model's label code when it records codes) and
   * moves to the next; the item leaves the queue.
   */
  async label(className: string, outputs: readonly string[], codes: readonly string[] | null): Promise<void> {
    const item = this.current;
    if (item === null) return;
    const accepted = className === item.predicted;
    const result = await this.#api.invoke('labels.set', {
      target: { kind: item.target.kind, id: item.target.id },
      task: this.labelTask,
      value: valueForClass(outputs, codes, className),
      source: accepted ? 'model-accepted' : 'human',
    });
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.error = null;
    this.done = [{ title: item.title, className, accepted }, ...this.done].slice(0, 50);
    this.items = this.items.filter((i) => i !== item);
    this.index = Math.min(this.index, Math.max(0, this.items.length - 1));
  }
}
