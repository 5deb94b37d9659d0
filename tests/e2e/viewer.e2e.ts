import { expect, test } from './fixtures.js';
import { ViewerPage } from './pages/ViewerPage.js';

test.describe('image viewer on the real head CT', () => {
  test.skip(!process.env.OSLER_E2E_HEAD_CT, 'the shared data folder with dicom/ct-head-ge is not present');

  test('a radiologist opens the head CT, scrolls, windows and inverts', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const viewer = new ViewerPage(page);
    await viewer.open(appUrl);
    await expect(viewer.seriesList).toContainText('28 images');
    await viewer.openSeries(/28 images/);
    // Opens on the middle slice with the file's own window; geometry problems are shown.
    await expect(viewer.sliceIndex).toHaveText('Im 15/28');
    await expect(viewer.geometryIssues).toContainText('gantry-tilt');
    await expect(viewer.presets.getByRole('button', { name: 'Brain' })).toBeVisible();
    await page.screenshot({ path: info.outputPath('viewer-open.png') });
    const first = await viewer.image();

    await page.keyboard.press('1');
    await expect(viewer.windowText).toHaveText(/^W 80 L 40/);
    const brain = await viewer.image();
    expect(brain.equals(first)).toBe(false);

    await viewer.presets.getByRole('button', { name: 'Bone' }).click();
    await expect(viewer.windowText).toHaveText(/^W 2000 L 500/);

    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    await expect(viewer.sliceIndex).toHaveText('Im 20/28');
    await page.keyboard.press('Home');
    await expect(viewer.sliceIndex).toHaveText('Im 1/28');
    await viewer.viewport.hover();
    await page.mouse.wheel(0, 300);
    await expect(viewer.sliceIndex).not.toHaveText('Im 1/28');

    await page.keyboard.press('i');
    await expect(viewer.windowText).toContainText('inverted');
    await page.keyboard.press('1');
    await page.screenshot({ path: info.outputPath('viewer-brain.png') });
    expect(consoleErrors).toEqual([]);
  });

  test('window/level by dragging with the left button changes the window', async ({ page, appUrl }) => {
    const viewer = new ViewerPage(page);
    await viewer.open(appUrl);
    await viewer.openSeries(/28 images/);
    await page.keyboard.press('1');
    await expect(viewer.windowText).toHaveText(/^W 80 L 40/);
    const box = (await viewer.viewport.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 8 });
    await page.mouse.up();
    await expect(viewer.windowText).not.toHaveText(/^W 80 L 40/);
  });
});

test.describe('measurements on the head CT', () => {
  test.skip(!process.env.OSLER_E2E_HEAD_CT, 'the shared data folder with dicom/ct-head-ge is not present');

  test('a length is measured in mm, saved, restored after a reload, and deleted', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const viewer = new ViewerPage(page);
    await viewer.open(appUrl);
    await viewer.openSeries(/28 images/);
    await expect(viewer.orientationRight).toHaveText('L');
    await expect(viewer.orientationLeft).toHaveText('R');
    await expect(page.getByTestId('scale-bar')).toContainText(/\d+ mm/);
    await page.getByRole('toolbar', { name: 'Viewer tools' }).getByRole('button', { name: 'Length' }).click();
    const box = (await viewer.viewport.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, y, { steps: 10 });
    await page.mouse.up();
    const row = viewer.measurements.getByTestId('measurement');
    await expect(row).toHaveCount(1);
    // The panel shows what the tool draws on the image (the final value, not a mid-drag one).
    const onImage = page.locator('[data-testid=viewport] svg text').filter({ hasText: /mm$/ }).first();
    await expect(onImage).toHaveText(/^[\d.]+ mm$/);
    const drawn = (await onImage.textContent())!.replace(' mm', '');
    await expect(row).toContainText(`${Number(drawn).toFixed(1)} mm`);
    const mm = Number(drawn);
    // 40% of the fitted image width, at about 0.49 mm per pixel of a 512-pixel-wide image.
    expect(mm).toBeGreaterThan(60);
    expect(mm).toBeLessThan(160);
    await page.screenshot({ path: info.outputPath('measurement.png') });

    await page.reload();
    await viewer.openSeries(/28 images/);
    await expect(viewer.measurements.getByTestId('measurement')).toHaveCount(1);
    await expect(viewer.measurements.getByTestId('measurement')).toContainText(`${mm.toFixed(1)} mm`);

    await viewer.measurements.getByRole('button', { name: 'Delete Length' }).click();
    await expect(viewer.measurements.getByTestId('measurement')).toHaveCount(0);
    await page.reload();
    await viewer.openSeries(/28 images/);
    await expect(viewer.measurements).toContainText('None on this series');
    expect(consoleErrors).toEqual([]);
  });
});
