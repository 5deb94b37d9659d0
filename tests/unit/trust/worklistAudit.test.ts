// The worklist names the model behind each row's score itself, so showing a page of scored rows
// is one call and one audit row: before, the screen asked `predictions.list` per scored row on
// screen, and each of those calls wrote an audit row of its own (hundreds per scroll).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import { upsertNote } from '../../../native/store/notes.js';
import { addPredictions } from '../../../native/store/predictions.js';
import { call, tempDir } from '../helpers.js';

describe('listing a scored worklist', () => {
  const dir = tempDir('osler-worklist-audit-');
  let core: Core;
  const SCORED = 60;

  beforeAll(() => {
    core = createCore({ home: dir.path, mode: 'cli', log: () => undefined, bundledModels: null });
    const db = core.store.db;
    db.exec(`
      INSERT INTO models (name, task, family) VALUES ('triage', 'condition', 'text');
      INSERT INTO model_versions (model_id, version, state, path, metadata_json) VALUES
        (1, '1.0.0', 'retired', 'a', '{}'), (1, '1.1.0', 'active', 'b', '{}');
    `);
    for (let i = 0; i < 100; i++) {
      const id = upsertNote(db, { source: 's', sourceKey: String(i), text: `note ${i}` }).id;
      if (i < SCORED)
        addPredictions(
          db,
          [
            { modelVersionId: 1, targetKind: 'note', targetId: id, output: {}, score: (i % 7) / 10 },
            // Every third note re-scored higher by the newer version.
            ...(i % 3 === 0
              ? [
                  {
                    modelVersionId: 2,
                    targetKind: 'note' as const,
                    targetId: id,
                    output: {},
                    score: 0.05 + (i % 7) / 10,
                  },
                ]
              : []),
          ],
          'test',
        );
    }
  });
  afterAll(async () => {
    await core.close();
    dir.cleanup();
  });

  it('writes one audit row for the page and names each score’s model, so no per-row lookup is needed', async () => {
    const db = core.store.db;
    const before = db.prepare('SELECT max(id) FROM audit').pluck().get() as number;
    const page = await call(core, 'worklist.list', { sort: 'priority', limit: 100 });
    const added = db.prepare('SELECT action FROM audit WHERE id > ?').pluck().all(before);
    expect(added).toEqual(['worklist.list']);

    const scored = page.items.filter((i) => i.priority !== null);
    expect(scored).toHaveLength(SCORED);
    expect(page.items.filter((i) => i.model !== null)).toHaveLength(SCORED);
    // What the screen used to ask per row, asked here only to check the answer (one audit row each).
    for (const item of scored.slice(0, 12)) {
      const predictions = await call(core, 'predictions.list', { kind: 'note', id: item.id });
      const best = predictions.filter((p) => p.score !== null).sort((a, b) => b.score! - a.score! || b.id - a.id)[0]!;
      expect(item.priority).toBe(best.score);
      expect(item.model).toEqual({ name: best.modelName, version: best.modelVersion });
    }
    expect(scored.some((i) => i.model?.version === '1.0.0')).toBe(true);
    expect(scored.some((i) => i.model?.version === '1.1.0')).toBe(true);
  });
});
