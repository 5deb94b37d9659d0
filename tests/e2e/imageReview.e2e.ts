import { expect, test } from './fixtures.js';
import { ViewerPage } from './pages/ViewerPage.js';

/** Largest alpha on the heatmap canvas (0 when nothing is drawn). */
const maxAlpha = (viewer: ViewerPage) =>
  viewer.heatmapLayer.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let max = 0;
    for (let i = 3; i < d.length; i += 4) max = Math.max(max, d[i]!);
    return max;
  });

test.describe('image review with the site-trained hemorrhage model on the head CT', () => {
  test.skip(
    !process.env.OSLER_E2E_HEAD_CT || !process.env.OSLER_E2E_IMAGE_MODEL,
    'the shared data (dicom/ct-head-ge and images/head-ct-hemorrhage) is not present, so no model was trained',
  );

  test('run the model, read the series and slice scores, jump to the top slice, read the heatmap, label', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    test.setTimeout(240_000);
    const viewer = new ViewerPage(page);
    await viewer.openHeadCt(appUrl);
    const panel = viewer.predictions;
    // The model trained in setup fits CT (no modality restriction) and is chosen by default; the
    // chest X-ray starter (CR/DX) is not.
    await expect(panel.getByTestId('model-select')).toHaveValue('head-ct-hemorrhage');

    await viewer.runModel();
    const series = panel.getByTestId('series-prediction');
    await expect(series).toHaveAttribute('data-class', /^[01]$/);
    const probability = Number(await series.getAttribute('data-probability'));
    expect(probability).toBeGreaterThanOrEqual(0.5);
    expect(probability).toBeLessThanOrEqual(1);
    await expect(panel.getByTestId('prediction-model')).toContainText(/head-ct-hemorrhage v\d{4}-/);
    // One point per slice, the current slice (15 of 28) marked.
    await expect(panel.getByTestId('plot-point')).toHaveCount(28);
    await expect(panel.getByTestId('slice-plot')).toHaveAttribute('data-current', '14');
    await expect(panel.getByTestId('plot-current')).toContainText('Slice 15:');
    await page.screenshot({ path: info.outputPath('review-prediction.png') });

    // Click a point of the plot: the viewer goes there and the plot follows.
    await panel.locator('[data-testid="plot-hit"][data-slice="5"]').click();
    await expect(viewer.sliceIndex).toHaveText('Im 5/28');
    await expect(panel.getByTestId('slice-plot')).toHaveAttribute('data-current', '4');

    // Jump to the highest-scoring slice: its score is the plot's maximum.
    const topButton = panel.getByTestId('top-slice').first();
    const top = Number(await topButton.getAttribute('data-slice'));
    await topButton.click();
    await expect(viewer.sliceIndex).toHaveText(`Im ${top}/28`);
    const scores = (
      await panel.getByTestId('plot-point').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-score')))
    ).map(Number);
    expect(scores[top - 1]).toBe(Math.max(...scores));
    await page.keyboard.press('1'); // brain window: air black, head grey
    await expect(viewer.windowText).toHaveText(/^W 80 L 40/);

    // The Grad-CAM heatmap of this slice is drawn, over the head rather than the air around it.
    const status = panel.getByTestId('heatmap-status');
    await expect(status).not.toHaveAttribute('data-drawn', '0', { timeout: 60_000 });
    await expect.poll(() => maxAlpha(viewer)).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('review-heatmap.png') });
    const where = await viewer.heatmapOverHead();
    console.log('heatmap over the head', where);
    expect(where.onHead).toBeGreaterThan(0);
    expect(where.weightOnHead).toBeGreaterThan(0.7);

    // Registered through zoom: at 1:1 the layer is redrawn with the new transform and still sits on the head.
    const layer = viewer.heatmapLayer;
    const fitted = await layer.getAttribute('data-transform');
    await page.getByRole('button', { name: '1:1' }).click();
    await expect(layer).not.toHaveAttribute('data-transform', fitted!);
    // 1:1 means one image pixel per screen pixel.
    const t = JSON.parse((await layer.getAttribute('data-transform'))!) as number[];
    expect(Math.hypot(t[0]!, t[1]!)).toBeCloseTo(1, 2);
    const zoomed = await viewer.heatmapOverHead();
    console.log('heatmap over the head at 1:1', zoomed);
    expect(zoomed.onHead).toBeGreaterThan(0);
    expect(zoomed.weightOnHead).toBeGreaterThan(0.7);
    await page.screenshot({ path: info.outputPath('review-heatmap-1to1.png') });
    await page.getByRole('button', { name: 'Reset' }).click();

    // Opacity: the peak alpha follows the slider.
    const before = await maxAlpha(viewer);
    await panel.getByTestId('heatmap-opacity').fill('1');
    await expect.poll(() => maxAlpha(viewer)).toBeGreaterThan(before);
    await panel.getByTestId('heatmap-opacity').fill('0.2');
    await expect.poll(() => maxAlpha(viewer)).toBeLessThan(before);
    await page.screenshot({ path: info.outputPath('review-heatmap-faint.png') });
    await panel.getByTestId('heatmap-opacity').fill('0.6');

    // Key h hides and shows it (focus off the slider first: keys typed into inputs are not shortcuts).
    await viewer.viewport.click({ button: 'middle' });
    await page.keyboard.press('h');
    await expect(status).toHaveAttribute('data-drawn', '0');
    await expect.poll(() => maxAlpha(viewer)).toBe(0);
    await expect(page.getByTestId('toolbar-heatmap')).toHaveAttribute('aria-pressed', 'false');
    await page.screenshot({ path: info.outputPath('review-heatmap-off.png') });
    await page.keyboard.press('h');
    await expect(status).not.toHaveAttribute('data-drawn', '0');

    // Accept the series, correct the slice: both stored as human labels and shown at once.
    const sliceLabel = panel.getByTestId('label-slice');
    const seriesLabel = panel.getByTestId('label-series');
    await seriesLabel.getByRole('button', { name: /^Accept series as/ }).click();
    const seriesClass = (await series.getAttribute('data-class'))!;
    await expect(seriesLabel.getByTestId('label-series-saved')).toContainText(`(${seriesClass})`);
    await expect(seriesLabel.getByTestId('label-series-saved')).toContainText('human');
    await sliceLabel
      .getByRole('button', { name: /^Correct slice to/ })
      .first()
      .click();
    const saved = sliceLabel.getByTestId('label-slice-saved');
    await expect(saved).toContainText('human');
    const sliceValue = /\((\d+)\)/.exec((await saved.textContent()) ?? '')![1]!;
    await page.screenshot({ path: info.outputPath('review-labelled.png') });

    // Stored: after a reload the stored prediction comes back without re-running, and so do the labels.
    await page.reload();
    await viewer.goToViewer();
    await viewer.selectStudy(/HEAD/);
    await viewer.openSeries(/28 images/);
    await expect(viewer.predictions.getByTestId('series-prediction')).toHaveAttribute('data-class', seriesClass);
    await viewer.predictions.getByTestId('top-slice').first().click();
    await expect(viewer.sliceIndex).toHaveText(`Im ${top}/28`);
    await expect(viewer.predictions.getByTestId('label-slice-saved')).toContainText(`(${sliceValue})`);
    await expect(viewer.predictions.getByTestId('label-series-saved')).toContainText(`(${seriesClass})`);
    expect(consoleErrors).toEqual([]);
  });
});
