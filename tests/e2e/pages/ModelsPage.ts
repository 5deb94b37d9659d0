import { expect, type Locator, type Page } from '@playwright/test';

/** Page object of the Models screen: registry and card, retraining, review queue. */
export class ModelsPage {
  readonly nav: Locator;
  readonly card: Locator;
  readonly versions: Locator;
  readonly notice: Locator;
  readonly dataSummary: Locator;
  readonly trainForm: Locator;
  readonly progress: Locator;
  readonly comparison: Locator;
  readonly verdict: Locator;
  readonly review: Locator;
  readonly reviewCurrent: Locator;
  readonly reviewDone: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Sections' });
    this.card = page.getByTestId('model-card');
    this.versions = page.getByTestId('versions');
    this.notice = page.getByTestId('registry-notice');
    this.dataSummary = page.getByTestId('data-summary');
    this.trainForm = page.getByTestId('train-form');
    this.progress = page.getByTestId('train-progress');
    this.comparison = page.getByTestId('comparison');
    this.verdict = page.getByTestId('verdict');
    this.review = page.getByTestId('review-queue');
    this.reviewCurrent = page.getByTestId('review-current');
    this.reviewDone = page.getByTestId('review-done');
  }

  /** Opens the app and the Models screen, and waits for the model list. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.nav.getByRole('button', { name: 'Models' }).click();
    await this.page.getByTestId('model-item').first().waitFor();
  }

  /** Chooses a model by its registry name and waits for its card. */
  async choose(name: string): Promise<void> {
    await this.page.locator(`[data-testid="model-item"][data-name="${name}"]`).click();
    await expect(this.page.locator('.view-header h1')).toContainText(':');
    await this.card.waitFor();
  }

  /** Switches to one of the model's tabs. */
  async tab(name: 'Card and versions' | 'Retrain' | 'Review queue'): Promise<void> {
    await this.page.getByRole('tab', { name }).click();
  }

  /** A version row by state (active, candidate, retired). */
  versionRows(state: string): Locator {
    return this.versions.locator(`[data-testid="version-row"][data-state="${state}"]`);
  }

  /** Sets a numeric field of the training form by its label. */
  async setField(label: string, value: number): Promise<void> {
    await this.trainForm.getByLabel(label, { exact: true }).fill(String(value));
  }

  /** Fills a reason form and submits it. */
  async submitReason(form: Locator, reason: string): Promise<void> {
    await form.getByRole('textbox').fill(reason);
    await form.getByRole('button').first().click();
  }
}
