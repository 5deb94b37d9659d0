import type { Locator, Page } from '@playwright/test';

/** Page object of note triage. */
export class NotesPage {
  readonly view: Locator;
  readonly text: Locator;
  readonly hits: Locator;
  readonly classes: Locator;
  readonly states: Locator;
  readonly history: Locator;
  readonly status: Locator;
  readonly queue: Locator;
  readonly prediction: Locator;
  readonly predicted: Locator;
  readonly alternatives: Locator;
  readonly modelVersion: Locator;
  /** Words shaded by their attribution to the predicted class. */
  readonly attributed: Locator;
  readonly legend: Locator;
  readonly accept: Locator;

  constructor(readonly page: Page) {
    this.view = page.getByTestId('note-view');
    this.text = page.getByTestId('note-text');
    this.hits = this.text.getByTestId('hit');
    this.classes = page.getByTestId('classes');
    this.states = page.getByTestId('task-states');
    this.history = page.getByTestId('label-history');
    this.status = page.getByTestId('triage-status');
    this.queue = page.getByTestId('queue-toggle');
    this.prediction = page.getByTestId('prediction');
    this.predicted = page.getByTestId('predicted');
    this.alternatives = page.getByTestId('alternatives');
    this.modelVersion = page.getByTestId('model-version');
    this.attributed = this.text.locator('.pos, .neg');
    this.legend = page.getByTestId('attribution-legend');
    this.accept = page.getByTestId('accept');
  }

  /** Waits until the model's prediction of the open note is shown and its words are shaded. */
  async predictionReady(): Promise<void> {
    await this.page.locator('[data-testid=prediction][data-status=ready]').waitFor({ timeout: 45_000 });
    await this.page.locator('[data-testid=note-text]:not([data-attributions="0"])').waitFor({ timeout: 45_000 });
  }

  /** Id of the open note. */
  async noteId(): Promise<number> {
    return Number(await this.view.getAttribute('data-note-id'));
  }

  /** Waits until the classes of the condition task are known and shown as buttons. */
  async classesReady(): Promise<void> {
    await this.classes.getByRole('button').first().waitFor();
  }
}
