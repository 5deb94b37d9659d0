import type { Locator, Page } from '@playwright/test';

/** Page object of the worklist. */
export class WorklistPage {
  readonly nav: Locator;
  readonly list: Locator;
  readonly rows: Locator;
  readonly search: Locator;
  readonly summary: Locator;
  readonly kind: Locator;
  readonly label: Locator;
  readonly sort: Locator;
  readonly modality: Locator;
  readonly flag: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Sections' });
    this.list = page.getByTestId('worklist');
    this.rows = this.list.getByTestId('worklist-row');
    this.search = page.getByTestId('worklist-search');
    this.summary = page.getByTestId('worklist-summary');
    this.kind = page.getByTestId('filter-kind');
    this.label = page.getByTestId('filter-label');
    this.sort = page.getByTestId('sort');
    this.modality = page.getByTestId('filter-modality');
    this.flag = page.getByTestId('filter-flag');
  }

  /** Opens the app (the worklist is its first section) and waits for the first page of rows. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.goTo();
  }

  /** Switches to the Worklist section and waits for rows. */
  async goTo(): Promise<void> {
    await this.nav.getByRole('button', { name: 'Worklist' }).click();
    await this.settled();
  }

  /** Waits until no page is loading and at least one row is shown. */
  async settled(): Promise<void> {
    await this.page.locator('[data-testid="worklist"][data-loading="false"]').waitFor();
    await this.rows.first().waitFor();
  }

  /** The selected row. */
  selected(): Locator {
    return this.list.locator('[aria-selected="true"]');
  }

  /** The row of one case. */
  row(kind: string, id: number): Locator {
    return this.list.locator(`[data-kind="${kind}"][data-id="${id}"]`);
  }

  /** Number of rows loaded so far (not rendered). */
  async loadedCount(): Promise<number> {
    return Number(await this.list.getAttribute('data-count'));
  }

  /** Types a full-text query (via "/" so the shortcut is exercised) and waits for the hits. */
  async searchFor(query: string): Promise<void> {
    await this.list.focus();
    await this.page.keyboard.press('/');
    await this.search.fill(query);
    await this.search.press('Enter');
    await this.summary.getByText(/matching note/).waitFor();
    await this.settled();
  }
}
