import { expect, test } from './fixtures.js';
import { RecordPage } from './pages/RecordPage.js';

test.describe('patient record', () => {
  test('one ICU stay on one timeline: its recording and its outcome labels; a recording opens in Vitals', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    test.skip(!process.env.OSLER_E2E_VITALS, 'needs ../shared/data/vitals/physionet2012');
    const record = new RecordPage(page);
    await record.open(appUrl, 'physionet2012:132539');
    await expect(record.counts).toContainText('1 recordings');
    await expect(record.entries('recording')).toHaveCount(1);
    await expect(record.entries('label').first()).toContainText(/=/);
    await page.screenshot({ path: info.outputPath('record-timeline.png'), fullPage: true });
    await record.entries('recording').getByRole('button').click();
    await expect(record.nav.getByRole('button', { name: 'Vitals' })).toHaveAttribute('aria-current', 'page');
    expect(consoleErrors).toEqual([]);
  });

  test('an unknown patient is a clear message, not an empty screen', async ({ page, appUrl }) => {
    const record = new RecordPage(page);
    await page.goto(appUrl);
    await record.nav.getByRole('button', { name: 'Patient' }).click();
    await record.key.fill('no-such-patient');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByRole('alert')).toContainText(/no-such-patient|no patient/i);
  });
});
