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
    await expect(notes.prediction).toContainText('No model');
    await notes.classesReady();
    await expect(notes.classes.getByRole('button')).toHaveCount(5);
    await page.screenshot({ path: info.outputPath('note.png') });

    await page.keyboard.press('3');
    await expect(notes.status).toContainText(`Note ${id}: condition = 3 saved`);
    await expect(page.getByTestId('state-condition')).toHaveText('3');
    await expect(notes.history.locator('li').first()).toContainText('human');
    await page.screenshot({ path: info.outputPath('note-labelled.png') });

    await page.keyboard.press('Escape');
    await worklist.settled();
    await expect(worklist.row('note', id)).toHaveAttribute('data-state', 'labelled');
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
