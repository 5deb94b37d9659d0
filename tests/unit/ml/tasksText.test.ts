import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleMetadata } from '../../../native/ml/bundle.js';
import { classIndexOf, encodeTexts, loadNotes, ngramFeatures } from '../../../native/ml/tasks/text.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const abstracts = data === null ? null : join(data, 'text', 'medical-abstracts', 'abstracts.csv');

const CLASSES = [
  'neoplasms',
  'digestive system diseases',
  'nervous system diseases',
  'cardiovascular diseases',
  'general pathological conditions',
];

function bagMetadata(vocabulary: string[], sequenceLength = 8): BundleMetadata {
  return {
    name: 'test-text',
    outputs: CLASSES,
    input: {
      kind: 'text',
      sequenceLength,
      truncation: 'head',
      padding: 'post',
      vocabulary,
      lowercase: true,
      options: {
        features: 'ngram-bag',
        wordNgrams: 2,
        charNgrams: [3, 3],
        textColumn: 'medical_abstract',
        labelColumn: 'condition_label',
        labelCodes: ['1', '2', '3', '4', '5'],
      },
    },
  } as unknown as BundleMetadata;
}

describe('text task pipeline', () => {
  it('extracts distinct words, bigrams and marked character n-grams', () => {
    const f = ngramFeatures('Gastric cancer; gastric 12 mg', {
      features: 'ngram-bag',
      wordNgrams: 2,
      charNgrams: [3, 3],
    });
    expect(f.slice(0, 4)).toEqual(['gastric', 'cancer', '<num>', 'mg']);
    expect(f).toContain('gastric cancer');
    expect(f).toContain('cancer gastric');
    expect(f).toContain('c:<ga');
    expect(f).toContain('c:ic>');
    expect(f.filter((x) => x === 'gastric').length).toBe(1);
    expect(f.some((x) => x.startsWith('c:<nu'))).toBe(false);
  });

  it('encodes texts with the bundle vocabulary: unknown features dropped, truncated and post-padded', () => {
    const meta = bagMetadata(['<pad>', '<unk>', '<num>', 'cancer', 'gastric', 'gastric cancer', 'c:<ca'], 4);
    const x = encodeTexts(meta, ['Gastric cancer zzz', '', 'cancer']);
    expect(x.shape).toEqual([3, 4]);
    expect(x.dtype).toBe('int32');
    expect(Array.from(x.values.subarray(0, 4))).toEqual([4, 3, 5, 6]);
    expect(Array.from(x.values.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(Array.from(x.values.subarray(8, 12))).toEqual([3, 6, 0, 0]);
  });

  it("with countBase, carries each feature's count in its id (id * base + count, capped at base - 1)", () => {
    const meta = bagMetadata(['<pad>', '<unk>', '<num>', 'cancer', 'gastric', 'gastric cancer'], 4);
    (meta.input as unknown as { options: Record<string, unknown> }).options.countBase = 4;
    const x = encodeTexts(meta, ['Gastric cancer, gastric gastric cancer gastric', 'cancer']);
    // gastric x4 (capped at 3), cancer x2, "gastric cancer" x2.
    expect(Array.from(x.values.subarray(0, 4))).toEqual([4 * 4 + 3, 3 * 4 + 2, 5 * 4 + 2, 0]);
    expect(Array.from(x.values.subarray(4, 8))).toEqual([3 * 4 + 1, 0, 0, 0]);
  });

  it('maps label codes and class names to classes', () => {
    const meta = bagMetadata(['<pad>', '<unk>', '<num>']);
    expect(classIndexOf(meta, '1')).toBe(0);
    expect(classIndexOf(meta, ' 5 ')).toBe(4);
    expect(classIndexOf(meta, 'Nervous System Diseases')).toBe(2);
    expect(classIndexOf(meta, '9')).toBe(-1);
  });

  it('reads a CSV in the training layout, or with other columns named, skipping unknown labels', async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'notes.csv');
      writeFileSync(
        path,
        'condition_label,medical_abstract\n1,"Gastric cancer, a\nmulti-line note"\n7,unknown class\n4,\n3,cancer\n',
      );
      const meta = bagMetadata(['<pad>', '<unk>', '<num>', 'cancer', 'gastric']);
      const set = await loadNotes(path, meta);
      expect(set.ids).toEqual(['row:1', 'row:4']);
      expect(Array.from(set.labels!)).toEqual([0, 2]);
      expect(set.x.shape).toEqual([2, 8]);
      expect(set.y!.shape).toEqual([2, 5]);
      expect(set.skipped).toEqual([
        { id: 'row:3', reason: 'empty text' },
        { id: 'row:2', reason: 'label "7" is not one of the model\'s classes' },
      ]);
      const tsv = join(dir.path, 'notes.tsv');
      writeFileSync(tsv, 'id\ttext\tclass\na\tcancer here\tneoplasms\nb\tgastric\t\n');
      const named = await loadNotes(tsv, meta, { textCol: 'text', labelCol: 'class', idCol: 'id' });
      expect(named.ids).toEqual(['a']);
      expect(Array.from(named.labels!)).toEqual([0]);
      const unlabelled = await loadNotes(tsv, meta, { textCol: 'text' });
      expect(unlabelled.labels).toBeNull();
      expect(unlabelled.ids).toEqual(['row:1', 'row:2']);
      await expect(loadNotes(tsv, meta, { textCol: 'nope' })).rejects.toThrow(/names no column/);
      await expect(loadNotes(join(dir.path, 'missing.csv'), meta)).rejects.toThrow(/cannot read/);
    } finally {
      dir.cleanup();
    }
  });

  it.skipIf(abstracts === null)(
    'reads the real abstracts CSV with its own columns (skipped without ../shared/data)',
    async () => {
      const meta = bagMetadata(['<pad>', '<unk>', '<num>', 'patients', 'of', 'the'], 16);
      const set = await loadNotes(abstracts!, meta, { limit: 50 });
      expect(set.ids.length).toBe(50);
      expect(set.skipped).toEqual([]);
      expect(set.labels![0]).toBe(2);
      expect(new Set(set.labels).size).toBeGreaterThan(2);
      expect(Array.from(set.x.values.subarray(0, 16)).filter((v) => v > 0).length).toBeGreaterThan(0);
    },
  );
});
