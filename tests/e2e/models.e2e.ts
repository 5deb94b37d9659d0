import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { ModelsPage } from './pages/ModelsPage.js';
import { WorklistPage } from './pages/WorklistPage.js';

const MODEL = 'abstract-condition';

test.describe('models and retraining over the seeded abstracts', () => {
  test.skip(!process.env.OSLER_E2E_NOTES, 'the shared data folder with text/medical-abstracts is not present');

  test('read a card, label from the review queue, fine-tune, compare, promote and roll back', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    test.setTimeout(600_000);
    const models = new ModelsPage(page);
    // abstract-condition is a starter bundle in resources/models, installed as active at start.
    await models.open(appUrl);
    await models.choose(MODEL);

    // The card and the versions of the shipped model.
    await expect(models.card.locator('h3, h4').first()).toBeVisible();
    await expect(models.card.locator('script')).toHaveCount(0);
    await expect(models.versionRows('active')).toHaveCount(1);
    const original = await models.versionRows('active').getAttribute('data-version');
    await page.screenshot({ path: info.outputPath('1-model-card.png'), fullPage: true });

    // Review queue: accept one prediction, correct one, accept one more, all from the keyboard.
    await models.tab('Review queue');
    await expect(page.getByTestId('review-item').first()).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('review-text')).not.toBeEmpty();
    await page.screenshot({ path: info.outputPath('2-review-queue.png'), fullPage: true });
    const predicted = await page.getByTestId('review-predicted').textContent();
    await page.keyboard.press('Enter');
    await expect(models.reviewDone.locator('li')).toHaveCount(1);
    await expect(models.reviewDone.locator('li').first()).toContainText(`${predicted} (accepted)`);
    const second = (await page.getByTestId('review-predicted').textContent()) ?? '';
    const classes = await page.getByTestId('review-class').locator('.name').allTextContents();
    const other = classes.findIndex((c) => c !== second);
    await page.keyboard.press(String(other + 1));
    await expect(models.reviewDone.locator('li').first()).toContainText(`${classes[other]} (corrected)`);
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await expect(models.reviewDone.locator('li')).toHaveCount(3);
    await page.screenshot({ path: info.outputPath('3-review-labelled.png'), fullPage: true });

    // Retrain: the labelled data, one epoch, progress to done.
    await models.tab('Retrain');
    await expect(models.dataSummary.getByTestId('usable')).not.toHaveText('0');
    const usable = Number(await models.dataSummary.getByTestId('usable').textContent());
    expect(usable).toBeGreaterThanOrEqual(600);
    await expect(models.trainForm.getByLabel('Label task (targets)')).toHaveValue('condition');
    await models.setField('Epochs', 1);
    await page.screenshot({ path: info.outputPath('4-retrain-form.png'), fullPage: true });
    await models.trainForm.getByRole('button', { name: 'Start fine-tuning' }).click();
    await expect(models.progress).toBeVisible();
    await expect(models.progress.getByRole('progressbar')).toBeVisible();
    await page.screenshot({ path: info.outputPath('5-training.png'), fullPage: true });
    // Training runs in the engine worker: the worklist still answers a search meanwhile, and coming
    // back to Models shows the same run on the Retrain tab.
    const worklist = new WorklistPage(page);
    await models.nav.getByRole('button', { name: 'Worklist' }).click();
    await worklist.searchFor('migraine');
    await expect(worklist.rows.first()).toBeVisible();
    await models.nav.getByRole('button', { name: 'Models' }).click();
    await expect(page.getByRole('tab', { name: 'Retrain' })).toHaveAttribute('aria-selected', 'true');
    await expect(models.progress).toBeVisible();
    await expect(models.progress).toHaveAttribute('data-phase', 'done', { timeout: 300_000 });
    await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '1');

    // The comparison on the same held-out cases.
    await expect(models.verdict).not.toBeEmpty({ timeout: 120_000 });
    await expect(models.comparison.getByRole('heading')).toContainText('held-out cases');
    await expect(page.getByTestId('roc-plot').locator('path')).toHaveCount(2);
    await expect(page.getByTestId('reliability-plot')).toBeVisible();
    await expect(page.getByTestId('confusion-candidate').locator('tbody tr')).toHaveCount(classes.length);
    await expect(page.getByTestId('per-class').locator('tbody tr')).toHaveCount(classes.length);
    await page.screenshot({ path: info.outputPath('6-comparison.png'), fullPage: true });

    // Promote with a reason: the candidate becomes active, the original is retired.
    await models.submitReason(page.getByTestId('promote-form'), 'e2e: fine-tuned on site labels');
    await expect(models.notice).toContainText('is now active');
    await models.tab('Card and versions');
    await expect(models.versionRows('active')).not.toHaveAttribute('data-version', original!);
    const promoted = await models.versionRows('active').getAttribute('data-version');
    await expect(models.versions.locator('tr.shown')).toHaveAttribute('data-version', promoted!);
    await expect(models.versions.locator(`[data-version="${original}"]`)).toHaveAttribute('data-state', 'retired');
    await page.screenshot({ path: info.outputPath('7-promoted.png'), fullPage: true });

    // Roll back to the original with a reason.
    await models.versions.getByRole('button', { name: `Roll back to ${original}` }).click();
    await models.submitReason(page.getByTestId('rollback-form'), 'e2e: back to the shipped version');
    await expect(models.notice).toContainText('Rolled back');
    await expect(models.versionRows('active')).toHaveAttribute('data-version', original!);
    await expect(models.versions.locator('tr.shown')).toHaveAttribute('data-version', original!);
    await expect(models.versions.locator(`[data-version="${promoted}"]`)).toHaveAttribute('data-state', 'retired');
    await page.screenshot({ path: info.outputPath('8-rolled-back.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});

/** What shows that a screen has drawn its data (screens not listed are ready when mounted). */
const READY: Readonly<Record<string, string>> = {
  Worklist: '[data-testid="worklist-summary"]',
  Vitals: '[data-testid="vitals-chart"]',
  Models: '[data-testid="model-card"]',
};

/** WCAG contrast ratio of two CSS colours as the page computes them. */
async function contrasts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const probe = document.createElement('span');
    document.body.append(probe);
    const rgb = (name: string) => {
      probe.style.color = `var(${name})`;
      return (getComputedStyle(probe).color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    };
    const lum = (c: number[]) =>
      c
        .map((v) => v / 255)
        .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
        .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i]!, 0);
    const ratio = (a: string, b: string) => {
      const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p);
      return (x! + 0.05) / (y! + 0.05);
    };
    const pairs: Record<string, number> = {};
    for (const fg of ['--text', '--muted', '--link', '--bad', '--ok', '--warn', '--bad-text'])
      for (const bg of ['--bg', '--panel']) pairs[`${fg} on ${bg}`] = ratio(fg, bg);
    pairs['--on-accent on --accent-strong'] = ratio('--on-accent', '--accent-strong');
    pairs['--on-selected on --selected'] = ratio('--on-selected', '--selected');
    probe.remove();
    return pairs;
  });
}

test('light and dark themes: system default, a persisted choice, AA text contrast, every screen', async ({
  page,
  appUrl,
  consoleErrors,
}, info) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(appUrl);
  const html = page.locator('html');
  const toggle = page.getByTestId('theme-toggle');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(html).toHaveAttribute('data-theme', 'light');

  const sections = await page
    .getByRole('navigation', { name: 'Sections' })
    .getByRole('listitem')
    .getByRole('button')
    .allTextContents();
  for (const theme of ['light', 'dark'] as const) {
    while ((await toggle.getAttribute('data-theme-choice')) !== theme) await toggle.click();
    await expect(html).toHaveAttribute('data-theme', theme);
    for (const [pair, ratio] of Object.entries(await contrasts(page)))
      expect(ratio, `${theme}: ${pair}`).toBeGreaterThanOrEqual(4.5);
    for (const name of sections) {
      const button = page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name });
      await button.click();
      await expect(button).toHaveAttribute('aria-current', 'page');
      await expect(page.locator('main > *').first()).toBeVisible();
      // Screens that draw data: wait until it is drawn, so the screenshot shows it in this theme.
      const ready = READY[name];
      if (ready) await expect(page.locator(ready).first()).toBeVisible({ timeout: 30_000 });
      await page.screenshot({ path: info.outputPath(`theme-${theme}-${name.toLowerCase()}.png`) });
    }
  }
  // The choice survives a reload even against the system preference.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(toggle).toHaveAttribute('data-theme-choice', 'dark');
  expect(consoleErrors).toEqual([]);
});
