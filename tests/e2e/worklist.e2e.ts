import { expect, test } from './fixtures.js';
import { NotesPage } from './pages/NotesPage.js';
import { WorklistPage } from './pages/WorklistPage.js';

test.describe('worklist over the seeded store', () => {
  test.skip(!process.env.OSLER_E2E_NOTES, 'the shared data folder with text/medical-abstracts is not present');

  test('lists every case, renders only the visible rows and pages in more as it scrolls', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const worklist = new WorklistPage(page);
    await worklist.open(appUrl);
    await expect(worklist.summary).toContainText('500+ cases');
    await page.screenshot({ path: info.outputPath('worklist.png') });
    const rendered = await worklist.rows.count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);

    // Scrolling to the end of what is loaded fetches the next page; the DOM stays small.
    for (const target of [500, 1000]) {
      await worklist.list.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await expect.poll(() => worklist.loadedCount()).toBeGreaterThan(target);
    }
    expect(await worklist.rows.count()).toBeLessThan(60);
    await expect(worklist.list.locator('#wl-999')).toBeAttached();
    expect(consoleErrors).toEqual([]);
  });

  test('filters by kind and label state, and moves and opens with the keyboard', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const worklist = new WorklistPage(page);
    await worklist.open(appUrl);

    await worklist.label.selectOption('labelled');
    await worklist.settled();
    await expect(worklist.rows.first()).toHaveAttribute('data-state', 'labelled');
    expect(new Set(await worklist.rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-state'))))).toEqual(
      new Set(['labelled']),
    );

    await worklist.label.selectOption('unlabelled');
    await worklist.kind.selectOption('note');
    await worklist.settled();
    const kinds = await worklist.rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-kind')));
    expect(new Set(kinds)).toEqual(new Set(['note']));
    await expect(worklist.rows.first()).toHaveAttribute('data-state', 'unlabelled');

    await worklist.list.focus();
    await expect(worklist.selected()).toHaveAttribute('id', 'wl-0');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await expect(worklist.selected()).toHaveAttribute('id', 'wl-1');
    // Moving far down keeps the selection in view (the list scrolls under it).
    for (let i = 0; i < 30; i++) await page.keyboard.press('j');
    await expect(worklist.selected()).toHaveAttribute('id', 'wl-31');
    await expect(worklist.selected()).toBeInViewport();
    await page.screenshot({ path: info.outputPath('worklist-filtered.png') });
    const id = await worklist.selected().getAttribute('data-id');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('note-view')).toHaveAttribute('data-note-id', id!);
    expect(consoleErrors).toEqual([]);
  });

  test('full-text search lists matching notes with the terms highlighted', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const worklist = new WorklistPage(page);
    await worklist.open(appUrl);
    await worklist.searchFor('migraine');
    await expect(worklist.rows.first().locator('mark').first()).toHaveText(/migraine/i);
    await expect(worklist.kind).toBeDisabled();
    await page.screenshot({ path: info.outputPath('worklist-search.png') });
    await worklist.search.fill('');
    await worklist.search.press('Enter');
    await expect(worklist.summary).toContainText('cases');
    expect(consoleErrors).toEqual([]);
  });

  test('model priority: scored cases first, highest score first, each with its model version; the model-flag filter', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const worklist = new WorklistPage(page);
    const notes = new NotesPage(page);
    await worklist.open(appUrl);
    // Opening a note runs the shipped abstract-condition model on it, which stores a score.
    await worklist.searchFor('aneurysm');
    await worklist.list.focus();
    const id = Number(await worklist.selected().getAttribute('data-id'));
    await page.keyboard.press('Enter');
    await notes.predictionReady();
    await page.keyboard.press('Escape');
    await worklist.search.fill('');
    await worklist.search.press('Enter');
    await worklist.settled();

    await worklist.kind.selectOption('note');
    await worklist.flag.selectOption('scored');
    await worklist.settled();
    await expect(worklist.sort).toBeDisabled();
    await expect(worklist.sort).toHaveValue('priority');
    await expect(worklist.row('note', id)).toBeVisible();
    const scores = await worklist.rows.evaluateAll((rs) =>
      rs.map((r) => Number(r.querySelector('[data-testid=priority] b')?.textContent)),
    );
    expect(scores.every((v) => Number.isFinite(v))).toBe(true);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    await expect(worklist.row('note', id).getByTestId('priority')).toHaveAttribute(
      'data-model',
      /^abstract-condition v\S+/,
    );
    await expect(worklist.row('note', id).getByTestId('priority')).toContainText(
      /\d\.\d\d\s*v\S+\s*abstract-condition/,
    );
    await expect(worklist.rows.first().getByTestId('priority-model')).not.toBeEmpty();
    await page.screenshot({ path: info.outputPath('worklist-model-priority.png') });

    // A fresh page knows no prediction made in a session: each row's model comes with the
    // worklist.list answer, and showing the scored rows asks predictions.list for none of them.
    const perRow: string[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string' && f.payload.includes('"channel":"predictions.list"')) perRow.push(f.payload);
      }),
    );
    await worklist.open(appUrl);
    await worklist.kind.selectOption('note');
    await worklist.flag.selectOption('scored');
    await worklist.settled();
    await expect(worklist.row('note', id).getByTestId('priority')).toHaveAttribute(
      'data-model',
      /^abstract-condition v\S+/,
    );
    await expect(worklist.row('note', id).getByTestId('priority-model')).toHaveText('abstract-condition');
    const models = await worklist.rows.evaluateAll((rs) =>
      rs.map((r) => r.querySelector('[data-testid=priority]')?.getAttribute('data-model')),
    );
    expect(models.every((m) => m !== undefined && m !== '')).toBe(true);
    await page.screenshot({ path: info.outputPath('worklist-model-from-list.png') });
    expect(perRow).toEqual([]);

    // Back to every case: the scored ones still lead, the unscored follow without a score.
    await worklist.flag.selectOption('');
    await worklist.settled();
    expect(await worklist.loadedCount()).toBeGreaterThan(scores.length);
    await expect(worklist.rows.nth(scores.length).locator('[data-testid=priority] b')).toHaveCount(0);
    expect(consoleErrors).toEqual([]);
  });

  test('opening a study switches to the viewer', async ({ page, appUrl, consoleErrors }) => {
    test.skip(!process.env.OSLER_E2E_HEAD_CT, 'no DICOM seeded');
    const worklist = new WorklistPage(page);
    await worklist.open(appUrl);
    await worklist.kind.selectOption('study');
    await worklist.settled();
    await expect(worklist.rows.first()).toHaveAttribute('data-kind', 'study');
    await worklist.list.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('study-select')).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });
});
