import type { AppInfo, BackendInfo, ChannelOutput, OslerApi } from '../../../native/contract/index.js';

type Health = ChannelOutput<'app.health'>;

/** State of the Status view: app info, health checks and the live backend event. */
export class StatusState {
  info = $state.raw<AppInfo | null>(null);
  health = $state.raw<Health | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  backend = $derived<BackendInfo | null>(this.info?.backend ?? null);

  readonly #api: OslerApi;

  constructor(api: OslerApi) {
    this.#api = api;
  }

  /** Loads info and health; keeps the last good values if a call fails. */
  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const [info, health] = await Promise.all([this.#api.invoke('app.info', {}), this.#api.invoke('app.health', {})]);
      if (info.ok) this.info = info.value;
      if (health.ok) this.health = health.value;
      const failed = [info, health].find((r) => !r.ok);
      this.error = failed && !failed.ok ? `${failed.code}: ${failed.message}` : null;
    } finally {
      this.loading = false;
    }
  }

  /** Follows backend selection finishing after the first load. */
  watch(): () => void {
    return this.#api.on('app.backend', (backend) => {
      if (this.info) this.info = { ...this.info, backend };
    });
  }
}
