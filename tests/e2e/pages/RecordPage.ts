import type { Locator, Page } from '@playwright/test';

/** Page object of the Patient record view. */
export class RecordPage {
  readonly nav: Locator;
  readonly key: Locator;
  readonly facts: Locator;
  readonly counts: Locator;
  readonly timeline: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Sections' });
    this.key = page.getByTestId('patient-key');
    this.facts = page.getByTestId('patient-facts');
    this.counts = page.getByTestId('record-counts');
    this.timeline = page.getByTestId('timeline');
  }

  /** Opens the app, the Patient section, and one patient's record. */
  async open(url: string, patientKey: string): Promise<void> {
    await this.page.goto(url);
    await this.nav.getByRole('button', { name: 'Patient' }).click();
    await this.key.fill(patientKey);
    await this.page.getByRole('button', { name: 'Open', exact: true }).click();
    await this.facts.waitFor();
  }

  /** Timeline entries of one kind. */
  entries(kind: string): Locator {
    return this.timeline.locator(`[data-testid="timeline-entry"][data-kind="${kind}"]`);
  }
}
