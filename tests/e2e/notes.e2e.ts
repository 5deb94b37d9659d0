import { expect, test } from './fixtures.js';
import { NotesPage } from './pages/NotesPage.js';
import { WorklistPage } from './pages/WorklistPage.js';

test.describe('note triage over the medical abstracts', () => {
  test.skip(!process.env.OSLER_E2E_NOTES, 'the shared data folder with text/medical-abstracts is not present');

  test('a clinician finds a note, reads the hits, corrects its label and sees it in the worklist', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const worklist = new WorklistPage(page);
    const notes = new NotesPage(page);
    await worklist.open(appUrl);
    await worklist.searchFor('migraine');
    await worklist.list.focus();
    const id = Number(await worklist.selected().getAttribute('data-id'));
    await page.keyboard.press('Enter');

    await expect(notes.view).toHaveAttribute('data-note-id', String(id));
    await expect(page.getByTestId('note-meta')).toContainText('search “migraine”');
    await notes.classesReady();
    await expect(notes.classes.getByRole('button')).toHaveCount(5);

    // The shipped abstract-condition model reads the note: a class by name with its probability,
    // every alternative, the model version, and the words that drove it shaded with a legend.
    await notes.predictionReady();
    await expect(notes.predicted).toContainText(/\d%/);
    await expect(notes.predicted).toContainText('(condition ');
    await expect(notes.alternatives.locator('li')).toHaveCount(5);
    await expect(notes.modelVersion).toContainText('abstract-condition');
    await expect(notes.modelVersion).toContainText(/ v\S+/);
    expect(await notes.attributed.count()).toBeGreaterThan(3);
    await expect(notes.legend).toContainText('for');
    await expect(notes.hits.first()).toBeVisible();
    // The class buttons carry the model's class names beside the task's codes.
    await expect(notes.classes.getByRole('button').nth(2)).toContainText('3');
    await expect(notes.classes.getByRole('button').nth(2)).toContainText(/nervous/i);
    await page.screenshot({ path: info.outputPath('note-prediction.png') });

    // Correct it to class 3 (or 4 where the model already said 3): a human label, who and when.
    const predictedCode = (await notes.predicted.textContent())!.match(/\(condition (\d)\)/)![1]!;
    const correction = predictedCode === '3' ? '4' : '3';
    await page.keyboard.press(correction);
    await expect(notes.status).toContainText(`Note ${id}: condition = ${correction} saved`);
    await expect(page.getByTestId('state-condition')).toContainText(correction);
    await expect(notes.history.locator('li').first()).toContainText('human');
    await expect(notes.history.locator('li').first()).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d/);
    await expect(page.getByTestId('agreement')).toContainText(`Current label: ${correction}`);
    await page.screenshot({ path: info.outputPath('note-corrected.png') });

    await page.keyboard.press('Escape');
    await worklist.settled();
    await expect(worklist.row('note', id)).toHaveAttribute('data-state', 'labelled');
    // The search results do not carry scores; the plain list does, with the model behind them.
    await worklist.search.fill('');
    await worklist.search.press('Enter');
    await worklist.kind.selectOption('note');
    await worklist.flag.selectOption('scored');
    await worklist.settled();
    const row = worklist.row('note', id);
    await expect(row).toHaveAttribute('data-state', 'labelled');
    await expect(row.getByTestId('priority')).toHaveAttribute('data-model', /^abstract-condition v\S+/);
    await expect(row.getByTestId('priority')).toContainText(/abstract-condition/);
    await page.screenshot({ path: info.outputPath('note-worklist-scored.png') });
    expect(consoleErrors).toEqual([]);
  });

  test('one key accepts the model class and the queue moves on', async ({ page, appUrl, consoleErrors }, info) => {
    const worklist = new WorklistPage(page);
    const notes = new NotesPage(page);
    await worklist.open(appUrl);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Notes' }).click();
    await notes.queue.check();
    await notes.view.waitFor();
    await notes.predictionReady();
    const first = await notes.noteId();
    const code = (await notes.predicted.textContent())!.match(/\(condition (\d)\)/)![1]!;
    await page.keyboard.press('a');
    await expect(notes.status).toContainText(`Note ${first}: condition = ${code} saved (model accepted)`);
    await expect(notes.view).not.toHaveAttribute('data-note-id', String(first));
    await notes.predictionReady();
    await page.screenshot({ path: info.outputPath('note-queue-accepted.png') });
    expect(consoleErrors).toEqual([]);
  });

  // Guards the fix for notes.get returning the first matching note's highlights (FTS5 ignored a
  // REAL-bound rowid constraint).
  test('the note view highlights the search terms in the note', async ({ page, appUrl }) => {
    const worklist = new WorklistPage(page);
    const notes = new NotesPage(page);
    await worklist.open(appUrl);
    await worklist.searchFor('migraine');
    await worklist.list.focus();
    // The first hit is rarely the first note that contains the term, so a wrong note's ranges show.
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await notes.view.waitFor();
    await expect(notes.hits.first()).toHaveText(/migrain/i, { timeout: 3000 });
    const texts = await notes.hits.allTextContents();
    expect(texts.every((t) => /migrain/i.test(t))).toBe(true);
  });

  test('the triage queue moves to the next unlabelled note on label and skip', async ({
    page,
    appUrl,
    consoleErrors,
  }, info) => {
    const worklist = new WorklistPage(page);
    const notes = new NotesPage(page);
    await worklist.open(appUrl);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Notes' }).click();
    await notes.queue.check();
    await notes.view.waitFor();
    await notes.classesReady();
    await expect(page.getByTestId('state-condition')).toHaveCount(0);
    const first = await notes.noteId();

    await page.keyboard.press('1');
    await expect(notes.view).not.toHaveAttribute('data-note-id', String(first));
    const second = await notes.noteId();
    await expect(notes.status).toContainText(`Note ${first}: condition = 1 saved`);
    await page.screenshot({ path: info.outputPath('note-queue.png') });

    await page.keyboard.press('s');
    await expect(notes.view).not.toHaveAttribute('data-note-id', String(second));
    const third = await notes.noteId();
    expect(third).not.toBe(first);

    await worklist.goTo();
    await worklist.kind.selectOption('note');
    await worklist.settled();
    await expect(worklist.row('note', first)).toHaveAttribute('data-state', 'labelled');
    await expect(worklist.row('note', second)).toHaveAttribute('data-state', 'unlabelled');
    expect(consoleErrors).toEqual([]);
  });
});
