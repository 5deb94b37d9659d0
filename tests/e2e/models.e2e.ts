import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { ModelsPage } from './pages/ModelsPage.js';

const MODEL = 'abstract-condition';

/**
 * Makes sure the text model exists. The starter bundle normally ships in resources/models; when it
 * has not been built, a first version is trained here over the contract from the seeded labels, so
 * the screen is still tested on the real abstracts.
 */
async function ensureModel(page: Page): Promise<void> {
  const answer = await page.evaluate(async (name) => {
    const ws = new WebSocket(`ws://${location.host}/api`);
    await new Promise((r) => ws.addEventListener('open', r, { once: true }));
    let id = 0;
    const call = (channel: string, input: unknown) =>
      new Promise<{ ok: boolean; value?: unknown; message?: string }>((resolve) => {
        const mine = ++id;
        const listen = (e: MessageEvent<string>) => {
          const m = JSON.parse(e.data) as { kind: string; id?: number; result?: { ok: boolean } };
          if (m.kind === 'result' && m.id === mine) {
            ws.removeEventListener('message', listen);
            resolve(m.result as { ok: boolean });
          }
        };
        ws.addEventListener('message', listen);
        ws.send(JSON.stringify({ id: mine, channel, input }));
      });
    const list = (await call('models.list', {})) as { value: { name: string }[] };
    if (list.value.some((m) => m.name === name)) return 'installed';
    const finished = new Promise<string>((resolve) =>
      ws.addEventListener('message', (e: MessageEvent<string>) => {
        const m = JSON.parse(e.data) as { kind: string; event?: string; payload?: { phase: string } };
        const phase = m.kind === 'event' && m.event === 'models.trainingProgress' ? m.payload!.phase : '';
        if (phase === 'done' || phase === 'failed' || phase === 'cancelled') resolve(phase);
      }),
    );
    const started = await call('models.train', {
      name,
      task: 'text',
      data: { source: 'store', labelTask: 'condition' },
      settings: { epochs: 2 },
    });
    if (!started.ok) return `train refused: ${started.message}`;
    const phase = await finished;
    ws.close();
    return `trained: ${phase}`;
  }, MODEL);
  expect(answer).toMatch(/^(installed|trained: done)$/);
}

test.describe('models and retraining over the seeded abstracts', () => {
  test.skip(!process.env.OSLER_E2E_NOTES, 'the shared data folder with text/medical-abstracts is not present');

  test('read a card, label from the review queue, fine-tune, compare, promote and roll back', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    test.setTimeout(600_000);
    const models = new ModelsPage(page);
    await page.goto(appUrl);
    await ensureModel(page);
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
    await expect(models.versions.locator(`[data-version="${original}"]`)).toHaveAttribute('data-state', 'retired');
    await page.screenshot({ path: info.outputPath('7-promoted.png'), fullPage: true });

    // Roll back to the original with a reason.
    await models.versions.getByRole('button', { name: `Roll back to ${original}` }).click();
    await models.submitReason(page.getByTestId('rollback-form'), 'e2e: back to the shipped version');
    await expect(models.notice).toContainText('Rolled back');
    await expect(models.versionRows('active')).toHaveAttribute('data-version', original!);
    await expect(models.versions.locator(`[data-version="${promoted}"]`)).toHaveAttribute('data-state', 'retired');
    await page.screenshot({ path: info.outputPath('8-rolled-back.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
