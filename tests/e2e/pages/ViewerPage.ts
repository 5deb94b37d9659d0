import type { Locator, Page } from '@playwright/test';

/** Page object of the image viewer. */
export class ViewerPage {
  readonly studySelect: Locator;
  readonly seriesList: Locator;
  readonly viewport: Locator;
  readonly sliceIndex: Locator;
  readonly windowText: Locator;
  readonly geometryIssues: Locator;
  readonly presets: Locator;
  readonly measurements: Locator;
  readonly orientationLeft: Locator;
  readonly orientationRight: Locator;

  constructor(readonly page: Page) {
    this.studySelect = page.getByTestId('study-select');
    this.seriesList = page.getByTestId('series-list');
    this.viewport = page.getByTestId('viewport');
    this.sliceIndex = page.getByTestId('slice-index');
    this.windowText = page.getByTestId('overlay-window');
    this.geometryIssues = page.getByTestId('geometry-issues');
    this.presets = page.getByTestId('presets');
    this.measurements = page.getByTestId('measurements');
    this.orientationLeft = page.getByTestId('orientation-left');
    this.orientationRight = page.getByTestId('orientation-right');
  }

  /** Opens the app on the Viewer section. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.goToViewer();
  }

  /** Switches to the Viewer section (after a reload, for example). */
  async goToViewer(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Viewer' }).click();
    await this.studySelect.waitFor();
  }

  /** Opens the first series whose entry matches `text` and waits for its first image. */
  async openSeries(text: RegExp): Promise<void> {
    if (!(await this.seriesList.isVisible())) await this.goToViewer();
    await this.seriesList.getByRole('button', { name: text }).click();
    await this.sliceIndex.waitFor();
  }

  /** Opens the app on the seeded head CT series (28 slices). */
  async openHeadCt(url: string): Promise<void> {
    await this.open(url);
    await this.selectStudy(/HEAD/);
    await this.openSeries(/28 images/);
  }

  /** Selects the study whose entry matches `text`. */
  async selectStudy(text: RegExp): Promise<void> {
    const options = await this.studySelect.locator('option').allTextContents();
    const index = options.findIndex((o) => text.test(o));
    if (index < 0) throw new Error(`no study matching ${text}: ${options.join(' | ')}`);
    await this.studySelect.selectOption({ index });
  }

  /**
   * Drags with the left button from `from` to `to` (screen pixels) and releases only once
   * `settled()` holds: cornerstone applies pointer moves once per animation frame, so on a
   * loaded machine the last move can still be pending when the button comes up.
   */
  async drag(
    from: readonly [number, number],
    to: readonly [number, number],
    settled: () => Promise<boolean>,
  ): Promise<void> {
    await this.page.mouse.move(from[0], from[1]);
    await this.page.mouse.down();
    await this.page.mouse.move(to[0], to[1], { steps: 8 });
    for (let nudge = 0; !(await settled()); nudge++) {
      if (nudge > 50) throw new Error('the drag never settled at its end point');
      await this.page.mouse.move(to[0] + (nudge % 2), to[1]);
      await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    await this.page.mouse.up();
  }

  /** Numbers in the measurement text cornerstone draws on the image. */
  async imageReadout(pattern: RegExp): Promise<number[]> {
    const texts = await this.viewport.locator('svg text').allTextContents();
    return texts
      .map((t) => pattern.exec(t)?.[1])
      .filter((v) => v !== undefined)
      .map(Number);
  }

  /** A screenshot of the image area only. */
  image(): Promise<Buffer> {
    return this.viewport.screenshot();
  }
}
