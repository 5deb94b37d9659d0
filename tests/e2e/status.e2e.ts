import { expect, test } from './fixtures.js';
import { StatusPage } from './pages/StatusPage.js';

test.describe('status view in browser mode', () => {
  test('the shell renders and the status view shows backend, mode and data folder', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const status = new StatusPage(page);
    await status.open(appUrl);
    await expect(status.nav.getByRole('button', { name: 'Status' })).toHaveAttribute('aria-current', 'page');
    await expect(status.backend).toContainText(/^(wasm|tensorflow|cpu)\b/);
    await expect(status.mode).toHaveText('Browser mode (127.0.0.1)');
    await expect(status.home).toHaveText(process.env.OSLER_E2E_HOME!);
    await expect(status.version).toHaveText(/^\d+\.\d+\.\d+/);
    await expect(status.count('studies')).toContainText(process.env.OSLER_E2E_HEAD_CT ? '2' : '0');
    await expect(status.health.getByRole('listitem')).toHaveCount(3);
    await expect(status.health).not.toContainText('failing');
    // The token is traded for a cookie: it must not stay in the address bar.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    await page.screenshot({ path: info.outputPath('status.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  test('the page keeps working after a reload on the session cookie alone', async ({ page, appUrl }) => {
    const status = new StatusPage(page);
    await status.open(appUrl);
    await page.reload();
    await status.nav.getByRole('button', { name: 'Status' }).click();
    await expect(status.backend).toBeVisible();
  });

  test('a page opened without the token is refused', async ({ page, appUrl }) => {
    const bare = new URL(appUrl);
    bare.search = '';
    const response = await page.goto(bare.toString());
    expect(response?.status()).toBe(401);
  });
});
