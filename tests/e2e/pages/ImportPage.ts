import type { Locator, Page } from '@playwright/test';

/** Page object of the Import view. */
export class ImportPage {
  readonly nav: Locator;
  readonly paths: Locator;
  readonly start: Locator;
  readonly progress: Locator;
  readonly report: Locator;
  readonly skipped: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Sections' });
    this.paths = page.getByTestId('import-paths');
    this.start = page.getByTestId('import-start');
    this.progress = page.getByTestId('import-progress');
    this.report = page.getByTestId('import-report');
    this.skipped = page.getByTestId('skipped');
  }

  /** Opens the app and the Import section. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.nav.getByRole('button', { name: 'Import' }).click();
    await this.paths.waitFor();
  }

  /** Chooses what to import. */
  async kind(kind: 'dicom' | 'notes' | 'vitals'): Promise<void> {
    await this.page.getByTestId(`kind-${kind}`).check();
  }

  /** Types the paths (one per line) and starts; resolves when the report is shown. */
  async run(paths: string[]): Promise<void> {
    await this.paths.fill(paths.join('\n'));
    await this.start.click();
    await this.report.waitFor();
  }
}
