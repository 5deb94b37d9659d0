import { expect, type Locator, type Page } from '@playwright/test';

/** Page object of the vitals review. */
export class VitalsPage {
  readonly recordings: Locator;
  readonly title: Locator;
  readonly main: Locator;
  readonly outcomes: Locator;
  readonly beats: Locator;
  readonly window: Locator;
  readonly models: Locator;
  readonly risk: Locator;

  constructor(readonly page: Page) {
    this.recordings = page.getByTestId('recording-list');
    this.title = page.getByTestId('recording-title');
    this.main = page.getByTestId('vitals-main');
    this.outcomes = page.getByTestId('outcomes');
    this.beats = page.getByTestId('beat-summary');
    this.window = page.getByTestId('vitals-window');
    this.models = page.getByTestId('forecast-slot');
    this.risk = page.getByTestId('risk');
  }

  /** Waits until the ICU risk and forecast models have answered for the open stay. */
  async modelsReady(): Promise<void> {
    await this.page.locator('[data-testid=forecast-slot][data-loading=false]').waitFor({ timeout: 45_000 });
    await expect(this.page.getByText('loading…')).toHaveCount(0);
  }

  /** Forecasts and shaded windows drawn on a chart. */
  async overlays(panel: string): Promise<{ forecasts: number; shades: number }> {
    const c = this.chart(panel);
    return {
      forecasts: Number(await c.getAttribute('data-forecasts')),
      shades: Number(await c.getAttribute('data-shades')),
    };
  }

  /** Opens the app on the Vitals section and waits for the recording list. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Vitals' }).click();
    await this.recordings.getByRole('button').first().waitFor();
  }

  /** Opens the first recording whose entry matches `name` and waits until its charts hold data. */
  async openRecording(name: RegExp): Promise<void> {
    const before = await this.fetches();
    await this.recordings.getByRole('button', { name }).first().click();
    await expect.poll(() => this.fetches()).toBeGreaterThan(before);
  }

  /** The chart of one panel (`wave:MLII`, `hr`, `bp`, ...). */
  chart(panel: string): Locator {
    return this.page.locator(`[data-testid=vitals-chart][data-panel="${panel}"]`);
  }

  /** Window fetches completed so far. */
  async fetches(): Promise<number> {
    return Number(await this.main.getAttribute('data-fetches'));
  }

  /** Points per signal the last fetch asked for. */
  async maxPoints(): Promise<number> {
    return Number(await this.main.getAttribute('data-max-points'));
  }

  /** Points drawn on a chart and the window (ms) it shows. */
  async drawn(panel: string): Promise<{ points: number; fromMs: number; toMs: number; marks: number }> {
    const c = this.chart(panel);
    const n = async (a: string) => Number(await c.getAttribute(a));
    return {
      points: await n('data-points'),
      fromMs: await n('data-from'),
      toMs: await n('data-to'),
      marks: await n('data-marks'),
    };
  }

  /** Drags across a chart's plot area from `a` to `b` (fractions of its width), then waits for the new window. */
  async dragZoom(panel: string, a: number, b: number): Promise<void> {
    const before = await this.fetches();
    const box = (await this.chart(panel).locator('.u-over').boundingBox())!;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width * a, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + box.width * b, y, { steps: 6 });
    await this.page.mouse.up();
    await expect.poll(() => this.fetches()).toBeGreaterThan(before);
  }

  /** Presses a navigation key (`-`, `+`, arrows) `times` times and waits until the last window has loaded. */
  async press(key: string, times = 1): Promise<void> {
    await this.window.click();
    for (let i = 0; i < times; i++) await this.page.keyboard.press(key);
    await expect(this.page.getByText('loading…')).toHaveCount(0);
  }
}
