import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelInput, ChannelOutput } from '../../../native/contract/channels.js';
import { focusSnippet } from '../notes/segments.js';
import { passesFlag, type ModelFlag } from './flag.js';

export { FLAG_SCORE } from './flag.js';

/** One worklist row as the contract carries it. */
export type WorklistItem = ChannelOutput<'worklist.list'>['items'][number];
type NoteHit = ChannelOutput<'notes.search'>['hits'][number];
export type LabelState = WorklistItem['labelState'];
export type Kind = WorklistItem['kind'];
/** The model version (name and version) behind a priority. */
export type PriorityModel = NonNullable<WorklistItem['model']>;

/** A row of the list: a worklist item, or a full-text hit (then label state is only known once set here). */
export interface Row {
  readonly kind: Kind;
  readonly id: number;
  readonly patientKey: string | null;
  readonly date: string | null;
  readonly title: string | null;
  readonly detail: string | null;
  readonly modality: string | null;
  readonly labelState: LabelState | null;
  readonly priority: number | null;
  /** The model version whose score is the priority; null without a priority (and for search hits). */
  readonly model: PriorityModel | null;
  /** Search snippet with its highlights, in search mode. */
  readonly snippet: { readonly text: string; readonly highlights: readonly (readonly [number, number])[] } | null;
}

/** Filters of the list; empty strings mean "any". */
export interface Filters {
  kind: '' | Kind;
  patientKey: string;
  modality: string;
  dateFrom: string;
  dateTo: string;
  labelState: '' | LabelState;
  sort: 'priority' | 'date';
  /** Model flag: any item, items a model scored, or items scored at or above {@link FLAG_SCORE}. */
  flag: ModelFlag;
}

/**
 * Rows fetched per call, the most the contract allows: `worklist.list` pages by offset, so a
 * deep page costs the store the rows before it, and fewer calls mean less of that.
 */
const PAGE = 500;
const SEARCH_PAGE = 200;

const key = (kind: Kind, id: number) => `${kind}:${id}`;

function fromItem(item: WorklistItem): Row {
  return { ...item, snippet: null };
}

function fromHit(hit: NoteHit): Row {
  return {
    kind: 'note',
    id: hit.id,
    patientKey: hit.patientKey,
    date: hit.date,
    title: hit.title,
    detail: hit.source,
    modality: null,
    labelState: null,
    priority: null,
    model: null,
    snippet: focusSnippet(hit.snippet, hit.highlights),
  };
}

/**
 * The worklist: filters, full-text query, the rows loaded so far (paged in as the list scrolls)
 * and the selection. Label changes made anywhere in the app are applied through {@link setLabelState}
 * so the list shows them without a reload.
 */
export class WorklistState {
  filters = $state<Filters>({
    kind: '',
    patientKey: '',
    modality: '',
    dateFrom: '',
    dateTo: '',
    labelState: '',
    sort: 'priority',
    flag: '',
  });
  query = $state('');
  rows = $state.raw<Row[]>([]);
  hasMore = $state(false);
  /** Total hits of the current full-text search, or null outside search. */
  total = $state<number | null>(null);
  /** How many of those matches were ranked by relevance (fewer than `total` for very common terms). */
  ranked = $state<number | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  selected = $state(-1);
  /** Latest import progress seen while this list was loaded, for the "new records" banner. */
  imported = $state(0);
  scrollTopPx = $state(0);
  /** Whether a full-text query is active (a getter: see NoteTriageState for why not $derived). */
  get searching(): boolean {
    return this.query.trim().length > 0;
  }

  /** Label states set in this session, applied over rows that were loaded before the change. */
  #overrides = new Map<string, LabelState>();
  /** Priorities set by predictions made in this session, with the model that made them. */
  #scores = new Map<string, { priority: number; model: PriorityModel }>();
  #generation = 0;
  #loadingMore: Promise<void> | null = null;
  readonly #api: OslerApi;

  constructor(api: OslerApi) {
    this.#api = api;
  }

  #input(offset: number): ChannelInput<'worklist.list'> {
    const f = this.filters;
    return {
      // Model-flagged items are the top of the priority order, so the filter reads only that prefix.
      sort: f.flag ? 'priority' : f.sort,
      limit: PAGE,
      offset,
      ...(f.kind ? { kinds: [f.kind] } : {}),
      ...(f.patientKey.trim() ? { patientKey: f.patientKey.trim() } : {}),
      ...(f.modality.trim() ? { modality: f.modality.trim().toUpperCase() } : {}),
      ...(f.dateFrom ? { dateFrom: f.dateFrom } : {}),
      ...(f.dateTo ? { dateTo: f.dateTo } : {}),
      ...(f.labelState ? { labelState: f.labelState } : {}),
    };
  }

  #apply(rows: Row[]): Row[] {
    if (this.#overrides.size === 0 && this.#scores.size === 0) return rows;
    return rows.map((r) => {
      const k = key(r.kind, r.id);
      const state = this.#overrides.get(k);
      const score = this.#scores.get(k);
      let row = state === undefined ? r : { ...r, labelState: state };
      if (score && (row.priority === null || score.priority >= row.priority)) row = { ...row, ...score };
      return row;
    });
  }

  async #page(
    offset: number,
  ): Promise<{ rows: Row[]; hasMore: boolean; total: number | null; ranked: number | null } | string> {
    if (this.searching) {
      const q = this.query.trim();
      const patientKey = this.filters.patientKey.trim();
      const r = await this.#api.invoke('notes.search', {
        query: q,
        limit: SEARCH_PAGE,
        offset,
        ...(patientKey ? { patientKey } : {}),
      });
      if (!r.ok) return `${r.code}: ${r.message}`;
      const rows = r.value.hits.map(fromHit);
      return { rows, hasMore: offset + rows.length < r.value.total, total: r.value.total, ranked: r.value.ranked };
    }
    const r = await this.#api.invoke('worklist.list', this.#input(offset));
    if (!r.ok) return `${r.code}: ${r.message}`;
    const rows = r.value.items.map(fromItem);
    const flag = this.filters.flag;
    const kept = rows.filter((row) => passesFlag(row.priority, flag));
    // Priority order puts every flagged row first: the first row that fails ends the list.
    return { rows: kept, hasMore: r.value.hasMore && kept.length === rows.length, total: null, ranked: null };
  }

  /** Reloads from the first page (after a filter, sort or query change). */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    this.#loadingMore = null;
    this.loading = true;
    try {
      const page = await this.#page(0);
      if (generation !== this.#generation) return;
      if (typeof page === 'string') {
        this.error = page;
        this.rows = [];
        this.hasMore = false;
        return;
      }
      this.error = null;
      this.rows = this.#apply(page.rows);
      this.hasMore = page.hasMore;
      this.total = page.total;
      this.ranked = page.ranked;
      this.imported = 0;
      this.selected = page.rows.length > 0 ? 0 : -1;
      this.scrollTopPx = 0;
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Loads the next page unless one is already on its way. */
  loadMore(): Promise<void> {
    if (!this.hasMore) return Promise.resolve();
    this.#loadingMore ??= this.#more().finally(() => (this.#loadingMore = null));
    return this.#loadingMore;
  }

  async #more(): Promise<void> {
    const generation = this.#generation;
    const page = await this.#page(this.rows.length);
    if (generation !== this.#generation) return;
    if (typeof page === 'string') {
      this.error = page;
      this.hasMore = false;
      return;
    }
    this.rows = this.rows.concat(this.#apply(page.rows));
    this.hasMore = page.hasMore && page.rows.length > 0;
  }

  /** Records a label state set elsewhere (note triage) and shows it in the loaded rows at once. */
  setLabelState(kind: Kind, id: number, state: LabelState): void {
    this.#overrides.set(key(kind, id), state);
    const index = this.rows.findIndex((r) => r.kind === kind && r.id === id);
    if (index >= 0) this.rows = this.rows.with(index, { ...this.rows[index]!, labelState: state });
  }

  /** Records a prediction made elsewhere (note triage) so its row shows the new score and model at once. */
  setPriority(kind: Kind, id: number, priority: number, model: PriorityModel): void {
    this.#scores.set(key(kind, id), { priority, model });
    const index = this.rows.findIndex((r) => r.kind === kind && r.id === id);
    if (index >= 0) this.rows = this.rows.with(index, { ...this.rows[index]!, priority, model });
  }

  /** Follows notes and vitals imports so the user can bring the list up to date. */
  watchImports(): () => void {
    return this.#api.on('records.importProgress', (p) => {
      this.imported = Math.max(this.imported, p.inserted + p.updated);
    });
  }
}
