import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.js';
import { VitalsPage } from './pages/VitalsPage.js';

const data = process.env.OSLER_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));

test.describe('vitals review on the shared PhysioNet data', () => {
  test.skip(!process.env.OSLER_E2E_VITALS, 'the shared data folder with vitals/ is not present');

  test('the MIT-BIH 100 ECG strip shows its beats, zooms to a finer window and out to the whole record', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const vitals = new VitalsPage(page);
    await vitals.open(appUrl);
    await vitals.openRecording(/^100 /);
    await expect(vitals.title).toHaveText(/^100/);
    const ecg = 'wave:MLII';
    await expect(vitals.chart(ecg)).toBeVisible();
    await expect(vitals.chart('wave:V5')).toBeVisible();
    // The first 10 s: about a dozen beats of the reference annotator, all normal.
    const strip = await vitals.drawn(ecg);
    expect(strip.toMs - strip.fromMs).toBe(10_000);
    expect(strip.marks).toBeGreaterThan(8);
    await expect(vitals.beats).toContainText(/N \d+/);
    await expect(page.getByTestId('annotator-select')).toHaveValue('atr');
    await page.screenshot({ path: info.outputPath('vitals-ecg-strip.png') });

    // Drag over 2 s of the strip: a new, narrower window comes back sample for sample (360 Hz).
    await vitals.dragZoom(ecg, 0.3, 0.5);
    const zoomed = await vitals.drawn(ecg);
    expect(zoomed.toMs - zoomed.fromMs).toBeGreaterThan(1_500);
    expect(zoomed.toMs - zoomed.fromMs).toBeLessThan(2_500);
    expect(zoomed.points).toBeGreaterThan(((zoomed.toMs - zoomed.fromMs) / 1000) * 360 * 0.95);
    await page.screenshot({ path: info.outputPath('vitals-ecg-zoomed.png') });

    // Zoom all the way out: the 30-minute record (650,000 samples per lead) arrives as a min/max
    // envelope of about one point pair per pixel, and the reference beats of the whole record show.
    await vitals.press('-', 11);
    const whole = await vitals.drawn(ecg);
    expect(whole.fromMs).toBe(0);
    expect(whole.toMs).toBe(1_805_556);
    const budget = await vitals.maxPoints();
    expect(budget).toBeLessThanOrEqual(4_000);
    expect(whole.points).toBeLessThanOrEqual(2 * budget);
    await expect(vitals.beats.locator('[data-symbol=A]')).toHaveText('A 33');
    await expect(vitals.beats.locator('[data-symbol=V]')).toHaveText('V 1');
    await expect(vitals.beats.locator('[data-symbol=N]')).toHaveText('N 2239');
    await page.screenshot({ path: info.outputPath('vitals-ecg-whole.png') });
    expect(consoleErrors).toEqual([]);
  });

  test('a PhysioNet 2012 ICU stay shows heart rate and blood pressure over 48 h with its outcome, risk and forecast', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const vitals = new VitalsPage(page);
    await vitals.open(appUrl);
    await vitals.openRecording(/ICU stay 132539/);
    await expect(vitals.title).toHaveText('ICU stay 132539');
    await vitals.modelsReady();
    const hr = await vitals.drawn('hr');
    const bp = await vitals.drawn('bp');
    // The whole stay in view (fetched in one-hour tiles), every charted measurement drawn, and
    // the axis reaching past the last value to the forecast hour.
    expect(hr.fromMs).toBe(0);
    expect(hr.toMs).toBeGreaterThan(47 * 3_600_000);
    expect(hr.points).toBeGreaterThan(30);
    expect(bp.points).toBeGreaterThan(30);
    await expect(vitals.chart('hr')).toContainText('HR');
    await expect(vitals.chart('bp')).toContainText('NISysABP');
    await expect(vitals.chart('resp')).toBeVisible();

    // The outcome shown is the one in Outcomes-a.txt.
    const outcomes = readFileSync(join(data, 'vitals', 'physionet2012', 'Outcomes-a.txt'), 'utf8').split('\n');
    const died = outcomes
      .find((l) => l.startsWith('132539,'))!
      .trim()
      .split(',')
      .at(-1);
    const death = vitals.outcomes.locator('[data-task=in-hospital-death]');
    await expect(death).toContainText('In-hospital death');
    await expect(death).toContainText(died === '1' ? 'Yes' : 'No');
    await expect(vitals.outcomes).toContainText('SOFA');

    // The shipped icu-mortality model's risk with its version, the hours that drove it shaded on
    // every chart; vitals-forecast's next-hour HR and MAP drawn ahead of the last values.
    await expect(vitals.risk).toContainText(/\d+(\.\d)?%/);
    await expect(vitals.risk).toContainText('icu-mortality v');
    const riskWindows = Number(await vitals.models.getAttribute('data-risk-windows'));
    // The hours that moved the score (up or down) are shaded on every chart; when the model's
    // explanation carries no weight at all, the screen says so instead of shading nothing silently.
    expect((await vitals.overlays('hr')).shades).toBeGreaterThanOrEqual(riskWindows);
    expect((await vitals.overlays('bp')).shades).toBeGreaterThanOrEqual(riskWindows);
    if (riskWindows === 0) {
      await expect(vitals.models.getByTestId('model-message')).toContainText('no time-step attributions');
      info.annotations.push({
        type: 'issue',
        description: 'explain.run gave all-zero step attributions for this stay: no risk windows to shade',
      });
    } else await expect(vitals.risk).toContainText('Shaded on the charts');
    await expect(page.getByTestId('forecast-summary')).toContainText('vitals-forecast v');
    expect((await vitals.overlays('hr')).forecasts).toBe(1);
    expect((await vitals.overlays('bp')).forecasts).toBe(1);
    await expect(vitals.chart('hr').getByTestId('forecast-caption')).toContainText(
      /next-hour HR: \d+ \(\d+–\d+, 90% interval\)/,
    );
    await page.screenshot({ path: info.outputPath('vitals-icu-stay.png'), fullPage: true });

    // Zoom onto the last hours: the forecast fan is wide enough to read.
    const before = await vitals.fetches();
    await page.getByTestId('forecast-focus').click();
    await expect.poll(() => vitals.fetches()).toBeGreaterThan(before);
    const last = await vitals.drawn('hr');
    expect(last.toMs - last.fromMs).toBeLessThan(9 * 3_600_000);
    expect(last.toMs).toBeGreaterThan(hr.toMs - 1);
    await page.screenshot({ path: info.outputPath('vitals-icu-forecast.png'), fullPage: true });

    // Zooming in on the stay narrows every chart together.
    await vitals.press('0');
    await vitals.dragZoom('hr', 0.0, 0.25);
    const narrow = await vitals.drawn('bp');
    expect(narrow.toMs - narrow.fromMs).toBeLessThan(14 * 3_600_000);
    expect(narrow.points).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });

  test('MIMIC-II numerics trend HR, ABP, SpO2 and respiration', async ({ page, appUrl, consoleErrors }, info) => {
    const vitals = new VitalsPage(page);
    await vitals.open(appUrl);
    await vitals.openRecording(/s00001/);
    for (const panel of ['hr', 'bp', 'spo2', 'resp']) expect((await vitals.drawn(panel)).points).toBeGreaterThan(100);
    await page.screenshot({ path: info.outputPath('vitals-mimic2-numerics.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
