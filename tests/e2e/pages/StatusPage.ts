import type { Locator, Page } from '@playwright/test';

/** Page object of the Status view. */
export class StatusPage {
  readonly backend: Locator;
  readonly mode: Locator;
  readonly home: Locator;
  readonly version: Locator;
  readonly counts: Locator;
  readonly health: Locator;
  readonly nav: Locator;

  constructor(readonly page: Page) {
    this.backend = page.getByTestId('backend');
    this.mode = page.getByTestId('mode');
    this.home = page.getByTestId('home');
    this.version = page.getByTestId('version');
    this.counts = page.getByTestId('counts');
    this.health = page.getByTestId('health');
    this.nav = page.getByRole('navigation', { name: 'Sections' });
  }

  /** Opens the app at its tokenised URL, goes to Status and waits for app.info to arrive. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.nav.getByRole('button', { name: 'Status' }).click();
    await this.backend.waitFor();
  }

  /** One row of the store counts table. */
  count(name: string): Locator {
    return this.counts.getByRole('row', { name: new RegExp(`^${name}\\b`) });
  }
}
