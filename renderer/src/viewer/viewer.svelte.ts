import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';

type Study = ChannelOutput<'studies.list'>[number];
type Series = ChannelOutput<'series.list'>[number];
type SeriesDetail = ChannelOutput<'series.get'>;

/** Browsing state of the viewer: studies, the selected study's series, the open series. */
export class ViewerState {
  studies = $state.raw<Study[]>([]);
  series = $state.raw<Series[]>([]);
  studyId = $state<number | null>(null);
  open = $state.raw<SeriesDetail | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  study = $derived(this.studies.find((s) => s.id === this.studyId) ?? null);

  readonly #api: OslerApi;

  constructor(api: OslerApi) {
    this.#api = api;
  }

  #fail(code: string, message: string): void {
    this.error = `${code}: ${message}`;
  }

  /** Loads the study list and selects the newest study. */
  async load(): Promise<void> {
    this.loading = true;
    try {
      const result = await this.#api.invoke('studies.list', {});
      if (!result.ok) return this.#fail(result.code, result.message);
      this.studies = result.value;
      const first = result.value[0];
      if (first && this.studyId === null) await this.selectStudy(first.id);
    } finally {
      this.loading = false;
    }
  }

  /** Lists a study's series. */
  async selectStudy(studyId: number): Promise<void> {
    this.studyId = studyId;
    const result = await this.#api.invoke('series.list', { studyId });
    if (!result.ok) return this.#fail(result.code, result.message);
    this.series = result.value;
  }

  /** Opens a series for viewing. */
  async openSeries(seriesId: number): Promise<SeriesDetail | null> {
    const result = await this.#api.invoke('series.get', { seriesId });
    if (!result.ok) {
      this.#fail(result.code, result.message);
      return null;
    }
    this.error = null;
    this.open = result.value;
    return result.value;
  }
}
