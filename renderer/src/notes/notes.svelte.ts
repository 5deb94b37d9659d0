import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import type { LabelState } from '../worklist/worklist.svelte.js';
import { orderClasses } from './triageKeys.js';

/** A note as `notes.get` returns it. */
export type Note = ChannelOutput<'notes.get'>;
type Labels = ChannelOutput<'labels.list'>;

/** Overall label state of a target from its per-task states, as the worklist computes it. */
export function overallState(states: Labels['states']): LabelState {
  if (states.some((s) => s.state === 'disputed')) return 'disputed';
  return states.some((s) => s.state === 'labelled') ? 'labelled' : 'unlabelled';
}

/**
 * Note triage: the open note, its labels, the classes known per task, the task being triaged,
 * and the queue of unlabelled notes. Corrections are written with `labels.set` (source human)
 * and reported through `onlabel` so the worklist shows them at once.
 */
export class NoteTriageState {
  note = $state.raw<Note | null>(null);
  query = $state('');
  error = $state<string | null>(null);
  loading = $state(false);
  saving = $state(false);
  /** Class values seen per task, in display order. */
  classes = $state.raw<Readonly<Record<string, readonly string[]>>>({});
  task = $state<string | null>(null);
  queue = $state(false);
  /** Set when the queue has no unlabelled note left. */
  queueDone = $state(false);
  /** What the last action did, for the status line. */
  status = $state('');

  // Getters rather than $derived: the case session that holds this state is created inside a
  // view's $derived, and deriveds made there stop updating once that view unmounts.

  /** Every known task, in display order. */
  get tasks(): string[] {
    return orderClasses([...Object.keys(this.classes), ...(this.note?.states.map((s) => s.task) ?? [])]);
  }

  /** The current task's classes, in display order. */
  get taskClasses(): readonly string[] {
    return this.task === null ? [] : (this.classes[this.task] ?? []);
  }

  #skipped = new Set<number>();
  readonly #api: OslerApi;
  readonly #onlabel: (noteId: number, state: LabelState) => void;

  constructor(api: OslerApi, onlabel: (noteId: number, state: LabelState) => void) {
    this.#api = api;
    this.#onlabel = onlabel;
  }

  #learn(labels: readonly { task: string; value: string }[]): void {
    if (labels.length === 0) return;
    const next: Record<string, readonly string[]> = { ...this.classes };
    for (const l of labels) next[l.task] = orderClasses([...(next[l.task] ?? []), l.value]);
    this.classes = next;
    this.task ??= orderClasses(Object.keys(next))[0] ?? null;
  }

  /** Learns every note task's classes from the store (current label values of notes). */
  async learnClasses(): Promise<void> {
    const classes = await this.#api.invoke('labels.classes', { targetKind: 'note' });
    if (classes.ok) this.#learn(classes.value);
  }

  /** Opens a note, highlighting the matches of `query`. */
  async open(id: number, query = this.query): Promise<void> {
    this.loading = true;
    try {
      const r = await this.#api.invoke('notes.get', { id, ...(query ? { query } : {}) });
      if (!r.ok) {
        this.error = `${r.code}: ${r.message}`;
        return;
      }
      this.error = null;
      this.query = query;
      this.note = r.value;
      this.#learn(r.value.labels);
      if (this.task === null) this.task = r.value.states[0]?.task ?? null;
    } finally {
      this.loading = false;
    }
  }

  /** Moves to the next or previous known task. */
  cycleTask(delta: 1 | -1): void {
    if (this.tasks.length === 0) return;
    const at = this.task === null ? -1 : this.tasks.indexOf(this.task);
    this.task = this.tasks[(at + delta + this.tasks.length) % this.tasks.length]!;
  }

  /**
   * Stores `value` as the label of the current task on the open note, replacing its current
   * labels of that task (which settles a dispute); in queue mode, moves on. `source` is
   * `model-accepted` when the clinician accepted the model's class, `human` when they chose it.
   */
  async label(value: string, source: 'human' | 'model-accepted' = 'human'): Promise<void> {
    const note = this.note;
    const task = this.task;
    if (!note || task === null || this.saving) return;
    this.saving = true;
    try {
      const set = await this.#api.invoke('labels.set', {
        target: { kind: 'note', id: note.id },
        task,
        value,
        source,
      });
      if (!set.ok) {
        this.error = `${set.code}: ${set.message}`;
        return;
      }
      const all = await this.#api.invoke('labels.list', { target: { kind: 'note', id: note.id } });
      if (!all.ok) {
        this.error = `${all.code}: ${all.message}`;
        return;
      }
      this.error = null;
      if (this.note?.id === note.id) this.note = { ...note, labels: all.value.labels, states: all.value.states };
      this.#learn([{ task, value }]);
      this.#onlabel(note.id, overallState(all.value.states));
      this.status = `Note ${note.id}: ${task} = ${value} saved${source === 'model-accepted' ? ' (model accepted)' : ''}`;
    } finally {
      this.saving = false;
    }
    if (this.queue) await this.next();
  }

  /** Leaves the open note unlabelled and, in queue mode, moves on. */
  async skip(): Promise<void> {
    if (!this.note) return;
    this.#skipped.add(this.note.id);
    this.status = `Note ${this.note.id} skipped`;
    if (this.queue) await this.next();
  }

  /** Starts or stops the triage queue; starting opens the first unlabelled note. */
  async setQueue(on: boolean): Promise<void> {
    this.queue = on;
    this.queueDone = false;
    if (on && (!this.note || this.#isLabelledForTask(this.note))) await this.next();
  }

  #isLabelledForTask(note: Note): boolean {
    return note.states.some((s) => s.task === this.task && s.state !== 'unlabelled');
  }

  /** Opens the next note still unlabelled for the current task, skipping the ones skipped. */
  async next(): Promise<void> {
    const current = this.note?.id;
    const r = await this.#api.invoke('worklist.list', {
      kinds: ['note'],
      labelState: 'unlabelled',
      ...(this.task === null ? {} : { task: this.task }),
      sort: 'priority',
      limit: Math.min(500, this.#skipped.size + 20),
      offset: 0,
    });
    if (!r.ok) {
      this.error = `${r.code}: ${r.message}`;
      return;
    }
    const item = r.value.items.find((i) => i.id !== current && !this.#skipped.has(i.id));
    this.queueDone = item === undefined;
    if (item) await this.open(item.id, '');
  }
}
