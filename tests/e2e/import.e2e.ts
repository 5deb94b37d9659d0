import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { ImportPage } from './pages/ImportPage.js';

const data = process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data');

test.describe('import screen', () => {
  test('re-importing a DICOM folder changes nothing and reports the non-DICOM file it skipped', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    test.skip(!process.env.OSLER_E2E_HEAD_CT, 'needs ../shared/data/dicom/ct-head-ge');
    const junk = mkdtempSync(join(tmpdir(), 'osler-e2e-junk-'));
    writeFileSync(join(junk, 'readme.dcm'), 'this is not a DICOM file, whatever its suffix says');
    const screen = new ImportPage(page);
    await screen.open(appUrl);
    await screen.kind('dicom');
    await page.screenshot({ path: info.outputPath('import-form.png'), fullPage: true });
    await screen.run([join(data, 'dicom', 'ct-head-ge'), junk]);
    await expect(screen.report).toContainText('0 imported');
    await expect(screen.report).toContainText(/28 already in the store/);
    await expect(screen.skipped).toContainText('readme.dcm');
    await expect(screen.progress).toContainText('1 skipped');
    await page.screenshot({ path: info.outputPath('import-report.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  test('a notes file with a broken quote is reported, not crashed on', async ({ page, appUrl }, info) => {
    const dir = mkdtempSync(join(tmpdir(), 'osler-e2e-notes-'));
    const csv = join(dir, 'broken.csv');
    writeFileSync(csv, 'id,text\n1,"an unclosed quote starts here\n');
    const screen = new ImportPage(page);
    await screen.open(appUrl);
    await screen.kind('notes');
    await page.getByTestId('text-col').fill('text');
    await screen.run([csv]);
    await expect(screen.report).toContainText(/not imported/);
    await expect(screen.skipped).toContainText(/quote/i);
    await page.screenshot({ path: info.outputPath('import-notes-report.png'), fullPage: true });
  });
});
