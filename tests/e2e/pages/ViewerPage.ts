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
    // After a reload the study list arrives asynchronously: wait for a matching entry.
    await this.studySelect.locator('option', { hasText: text }).first().waitFor({ state: 'attached' });
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

  /** The predictions side panel (model choice, series class, slice plot, heatmap, labels). */
  get predictions(): Locator {
    return this.page.getByTestId('predictions-panel');
  }

  /** The Grad-CAM heatmap canvas laid over the image. */
  get heatmapLayer(): Locator {
    return this.page.getByTestId('heatmap-layer');
  }

  /** Runs (or refreshes) the chosen image model and waits for the series prediction. */
  async runModel(): Promise<void> {
    const button = this.predictions.getByTestId('run-model');
    await button.click();
    await this.predictions.getByTestId('series-prediction').waitFor();
    await this.page.waitForFunction(
      () => !document.querySelector('[data-testid="run-model"]')?.textContent?.includes('Running'),
    );
  }

  /** The 1-based slice number on screen. */
  async sliceNumber(): Promise<number> {
    return Number(/Im (\d+)/.exec((await this.sliceIndex.textContent()) ?? '')?.[1]);
  }

  /**
   * Where the heatmap's coloured pixels fall on the image under them: on the head or on the air
   * around it, counted and weighted by alpha. The head is, per screen row of cornerstone's 2D
   * viewport canvas, the span from the first to the last non-black pixel (so air inside the head,
   * sinuses and mastoids, counts as head); the heatmap canvas is aligned by screen rectangles.
   */
  heatmapOverHead(): Promise<{ onHead: number; onAir: number; weightOnHead: number }> {
    return this.page.evaluate(() => {
      const heat = document.querySelector<HTMLCanvasElement>('[data-testid="heatmap-layer"]')!;
      const image = document.querySelector<HTMLCanvasElement>('[data-testid="viewport"] canvas')!;
      const hr = heat.getBoundingClientRect();
      const ir = image.getBoundingClientRect();
      const h = heat.getContext('2d')!.getImageData(0, 0, heat.width, heat.height).data;
      const copy = document.createElement('canvas');
      copy.width = image.width;
      copy.height = image.height;
      const cctx = copy.getContext('2d')!;
      cctx.drawImage(image, 0, 0);
      const g = cctx.getImageData(0, 0, copy.width, copy.height).data;
      const spans: [number, number][] = [];
      for (let y = 0; y < image.height; y++) {
        let first = -1;
        let last = -1;
        for (let x = 0; x < image.width; x++) {
          const o = (y * image.width + x) * 4;
          if (g[o]! + g[o + 1]! + g[o + 2]! > 3 * 30) {
            if (first < 0) first = x;
            last = x;
          }
        }
        spans.push([first, last]);
      }
      let onHead = 0;
      let onAir = 0;
      let wHead = 0;
      let wAll = 0;
      for (let y = 0; y < heat.height; y++)
        for (let x = 0; x < heat.width; x++) {
          const alpha = h[(y * heat.width + x) * 4 + 3]!;
          if (alpha === 0) continue;
          wAll += alpha;
          const ix = Math.floor(((hr.left + ((x + 0.5) / heat.width) * hr.width - ir.left) / ir.width) * image.width);
          const iy = Math.floor(((hr.top + ((y + 0.5) / heat.height) * hr.height - ir.top) / ir.height) * image.height);
          const span = iy >= 0 && iy < image.height ? spans[iy]! : ([-1, -1] as const);
          if (span[0] >= 0 && ix >= span[0] && ix <= span[1]) {
            onHead++;
            wHead += alpha;
          } else onAir++;
        }
      return { onHead, onAir, weightOnHead: wAll > 0 ? wHead / wAll : 0 };
    });
  }

  /** A screenshot of the image area only. */
  image(): Promise<Buffer> {
    return this.viewport.screenshot();
  }
}
