import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import type { Result } from '../../../native/contract/result.js';

/** A model with its versions, as `models.list` answers. */
export type ModelSummary = ChannelOutput<'models.list'>[number];
/** One version of a model. */
export type ModelVersion = ModelSummary['versions'][number];
/** A version in full with its card. */
export type ModelDetail = ChannelOutput<'models.get'>;

/** The model registry as the Models screen shows it: every model, the chosen one and its card. */
export class RegistryState {
  models = $state.raw<ModelSummary[]>([]);
  selectedName = $state<string | null>(null);
  /** The version whose card is shown (the active one unless the user picked another). */
  detail = $state.raw<ModelDetail | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Last registry change, for a status line ("Promoted 2026… : reason"). */
  notice = $state<string | null>(null);

  // Getters, not $derived fields: this state outlives the component that first created it, and a
  // derived owned by a destroyed component stops updating.
  /** The chosen model's summary. */
  get selected(): ModelSummary | null {
    return this.models.find((m) => m.name === this.selectedName) ?? null;
  }

  readonly #api: OslerApi;
  #loads = 0;
  #shows = 0;

  constructor(api: OslerApi) {
    this.#api = api;
  }

  /** Reloads the list; keeps the selection when the model still exists. */
  async load(): Promise<void> {
    this.loading = true;
    const request = ++this.#loads;
    const result = await this.#api.invoke('models.list', {});
    // An older reload answering after a newer one (e.g. a run finishing meanwhile) must not win.
    if (request !== this.#loads) return;
    this.loading = false;
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.error = null;
    this.models = result.value;
    const keep = result.value.some((m) => m.name === this.selectedName);
    if (!keep && result.value.length > 0) await this.select(result.value[0]!.name);
  }

  /** Chooses a model and shows its active (else newest) version's card. */
  async select(name: string): Promise<void> {
    this.selectedName = name;
    const model = this.models.find((m) => m.name === name);
    const versionId = model?.activeVersionId ?? model?.versions[0]?.id;
    if (versionId !== undefined) await this.showVersion(versionId);
    else this.detail = null;
  }

  /** Shows one version's card and metadata. */
  async showVersion(versionId: number): Promise<void> {
    const request = ++this.#shows;
    const result = await this.#api.invoke('models.get', { versionId });
    if (request !== this.#shows) return;
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.error = null;
    this.detail = result.value;
  }

  /** Applies a registry change (promote, discard, rollback) and reloads. Returns whether it worked. */
  async #change(pending: Promise<Result<ModelSummary>>, done: (summary: ModelSummary) => string): Promise<boolean> {
    const result = await pending;
    if (!result.ok) {
      this.error = result.message;
      return false;
    }
    this.error = null;
    const summary = result.value;
    this.models = this.models.map((m) => (m.name === summary.name ? summary : m));
    await this.load();
    await this.select(summary.name);
    this.notice = done(summary);
    return true;
  }

  /** Makes a candidate the active version (audited with the reason). */
  promote(versionId: number, reason: string): Promise<boolean> {
    return this.#change(
      this.#api.invoke('models.promote', { versionId, reason }),
      (s) => `${versionLabel(s, versionId)} is now active.`,
    );
  }

  /** Retires a candidate without promoting it (audited with the reason). */
  discard(versionId: number, reason: string): Promise<boolean> {
    return this.#change(
      this.#api.invoke('models.discard', { versionId, reason }),
      (s) => `${versionLabel(s, versionId)} was discarded.`,
    );
  }

  /** Re-activates an earlier version (audited with the reason). */
  rollback(name: string, toVersionId: number, reason: string): Promise<boolean> {
    return this.#change(
      this.#api.invoke('models.rollback', { name, toVersionId, reason }),
      (s) => `Rolled back: ${versionLabel(s, toVersionId)} is active again.`,
    );
  }
}

/** "version 2026-… " of a version id within a model summary. */
export function versionLabel(summary: ModelSummary, versionId: number): string {
  const v = summary.versions.find((x) => x.id === versionId);
  return v ? `Version ${v.version}` : `Version #${versionId}`;
}
