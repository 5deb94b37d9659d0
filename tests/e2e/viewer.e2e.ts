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
    await viewer.selectStudy(/HEAD/);
    await expect(viewer.seriesList).toContainText('28 images');
    // The series browser shows a preview drawn from the series' middle image.
    await expect(viewer.seriesList.getByTestId('series-thumb').first()).toHaveJSProperty('width', 64);
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
    await viewer.openHeadCt(appUrl);
    await page.keyboard.press('1');
    await expect(viewer.windowText).toHaveText(/^W 80 L 40/);
    const box = (await viewer.viewport.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 8 });
    await page.mouse.up();
    await expect(viewer.windowText).not.toHaveText(/^W 80 L 40/);
  });

  test('a length is measured in mm, saved, restored after a reload, and deleted', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const viewer = new ViewerPage(page);
    await viewer.openHeadCt(appUrl);
    await expect(viewer.orientationRight).toHaveText('L');
    await expect(viewer.orientationLeft).toHaveText('R');
    await expect(page.getByTestId('scale-bar')).toContainText(/\d+ mm/);
    await page.getByRole('toolbar', { name: 'Viewer tools' }).getByRole('button', { name: 'Length' }).click();
    const box = (await viewer.viewport.boundingBox())!;
    const y = box.y + box.height / 2;
    // The camera says how many mm a screen pixel spans (set by the head CT's Pixel Spacing): a drag
    // over 40% of the viewport width must measure that many mm.
    const mmPerPx = Number(await page.getByTestId('scale-bar').getAttribute('data-mm-per-px'));
    const expected = 0.4 * box.width * mmPerPx;
    const close = (v: number | undefined) => v !== undefined && Math.abs(v - expected) / expected < 0.02;
    await viewer.drag([box.x + box.width * 0.3, y], [box.x + box.width * 0.7, y], async () =>
      close((await viewer.imageReadout(/^([\d.]+) mm$/))[0]),
    );
    const row = viewer.measurements.getByTestId('measurement');
    await expect(row).toHaveCount(1);
    // The panel shows the stored value, which must be the final one, not a mid-drag one.
    const panelValue = async () => Number(/([\d.]+) mm/.exec((await row.textContent()) ?? '')?.[1]);
    await expect.poll(async () => close(await panelValue())).toBe(true);
    const mm = await panelValue();
    await page.screenshot({ path: info.outputPath('measurement.png') });

    await page.reload();
    await viewer.goToViewer();
    await viewer.selectStudy(/HEAD/);
    await viewer.openSeries(/28 images/);
    await expect(viewer.measurements.getByTestId('measurement')).toHaveCount(1);
    await expect(viewer.measurements.getByTestId('measurement')).toContainText(`${mm.toFixed(1)} mm`);

    await viewer.measurements.getByRole('button', { name: 'Delete Length' }).click();
    await expect(viewer.measurements.getByTestId('measurement')).toHaveCount(0);
    await page.reload();
    await viewer.goToViewer();
    await viewer.selectStudy(/HEAD/);
    await viewer.openSeries(/28 images/);
    await expect(viewer.measurements).toContainText('None on this series');
    expect(consoleErrors).toEqual([]);
  });
});

test.describe('segmentation overlay on ct-abdomen-3slice', () => {
  test.skip(!process.env.OSLER_E2E_HEAD_CT, 'the shared data folder with dicom/ct-abdomen-3slice is not present');

  test('the liver SEG is drawn on its slice with as many pixels as the mask, and opacity changes it', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const viewer = new ViewerPage(page);
    await viewer.open(appUrl);
    await viewer.selectStudy(/SEG/);
    await viewer.openSeries(/CT.*3 images/);
    const panel = page.getByTestId('overlay-panel');
    await expect(panel).toContainText(/liver/i);
    const drawnText = page.getByTestId('overlay-drawn');
    await expect(drawnText).not.toHaveAttribute('data-drawn', '0');
    const drawn = Number(await drawnText.getAttribute('data-drawn'));

    // The server's own count for this slice, asked over the same authenticated socket the app uses.
    const index = Number((await viewer.sliceIndex.textContent())!.match(/Im (\d+)/)![1]) - 1;
    const expected = await page.evaluate(async (sliceIndex) => {
      const ws = new WebSocket(`ws://${location.host}/api`);
      ws.binaryType = 'arraybuffer';
      await new Promise((r) => ws.addEventListener('open', r, { once: true }));
      const call = (id: number, channel: string, input: unknown) =>
        new Promise<{ ok: boolean; value: never }>((resolve) => {
          ws.addEventListener('message', function on(e) {
            if (typeof e.data !== 'string') return;
            const m = JSON.parse(e.data);
            if (m.id === id) {
              ws.removeEventListener('message', on);
              resolve(m.result);
            }
          });
          ws.send(JSON.stringify({ id, channel, input }));
        });
      const studies = (await call(1, 'studies.list', {})).value as Array<{ id: number; modalities: string }>;
      const study = studies.find((s) => s.modalities.includes('SEG'))!;
      const series = (await call(2, 'series.list', { studyId: study.id })).value as Array<{
        id: number;
        modality: string;
      }>;
      const ct = series.find((s) => s.modality === 'CT')!;
      const overlays = (await call(3, 'overlays.list', { seriesId: ct.id })).value as {
        segmentations: Array<{ instanceId: number }>;
      };
      const seg = (await call(4, 'seg.get', { segInstanceId: overlays.segmentations[0]!.instanceId, seriesId: ct.id }))
        .value as { slices: Array<{ sliceIndex: number; voxels: number }> };
      ws.close();
      return seg.slices.find((s) => s.sliceIndex === sliceIndex)?.voxels ?? 0;
    }, index);
    expect(drawn).toBe(expected);
    // And the overlay canvas really has coloured pixels on it.
    const painted = await page.getByTestId('overlay-layer').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('seg-overlay.png') });
    const before = await viewer.image();

    await page.getByTestId('overlay-opacity').fill('0.9');
    await page.screenshot({ path: info.outputPath('seg-overlay-opaque.png') });
    const after = await viewer.viewport.locator('..').screenshot();
    expect(after.equals(before)).toBe(false);

    await drawnText.click(); // focus off the slider: keys typed into inputs are not shortcuts
    await page.keyboard.press('o');
    await expect(drawnText).toHaveAttribute('data-drawn', '0');
    expect(consoleErrors).toEqual([]);
  });
});

test.describe('ROI statistics in Hounsfield units', () => {
  test.skip(!process.env.OSLER_E2E_HEAD_CT, 'the shared data folder with dicom/ct-head-ge is not present');

  test('a rectangle in air reads about -1000 HU and one in brain 20-45 HU', async ({ page, appUrl }, info) => {
    const viewer = new ViewerPage(page);
    await viewer.openHeadCt(appUrl);
    await expect(viewer.sliceIndex).toHaveText('Im 15/28');
    await page.getByRole('toolbar', { name: 'Viewer tools' }).getByRole('button', { name: 'Rect' }).click();
    const layer = page.getByTestId('overlay-layer');
    await expect(layer).toHaveAttribute('data-transform', /^\[/);
    const t = JSON.parse((await layer.getAttribute('data-transform'))!) as number[];
    const box = (await viewer.viewport.boundingBox())!;
    const toScreen = (x: number, y: number) =>
      [box.x + t[0]! * x + t[2]! * y + t[4]!, box.y + t[1]! * x + t[3]! * y + t[5]!] as const;
    /** Draws a square ROI of `side` image pixels, released once its on-image area is that square's. */
    const drawRect = async (x0: number, y0: number, side: number) =>
      viewer.drag(toScreen(x0, y0), toScreen(x0 + side, y0 + side), async () => {
        const area = (await viewer.imageReadout(/^Area: ([\d.]+) mm/)).at(-1); // the newest ROI's
        // Within a pixel (0.49 mm, the head CT's Pixel Spacing) of the intended side.
        return area !== undefined && Math.abs(Math.sqrt(area) - side * 0.48828125) < 0.6;
      });
    const rows = viewer.measurements.getByTestId('measurement');
    const meanOf = async (i: number) => Number(/mean (-?[\d.]+)/.exec((await rows.nth(i).textContent()) ?? '')?.[1]);

    // Air inside the reconstruction circle, left of the head (image pixels).
    await drawRect(30, 230, 30);
    await expect(rows).toHaveCount(1);
    await expect.poll(() => meanOf(0)).toBeGreaterThan(-1050);
    expect(await meanOf(0)).toBeLessThan(-950);
    // Brain parenchyma.
    await drawRect(200, 330, 24);
    await expect(rows).toHaveCount(2);
    await expect.poll(() => meanOf(1)).toBeGreaterThan(20);
    expect(await meanOf(1)).toBeLessThan(45);
    await page.screenshot({ path: info.outputPath('roi.png') });
    // Leave the series as found.
    for (let left = await rows.count(); left > 0; left--) {
      await viewer.measurements
        .getByRole('button', { name: /^Delete/ })
        .first()
        .click();
      await expect(rows).toHaveCount(left - 1);
    }
  });
});
