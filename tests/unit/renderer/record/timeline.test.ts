import { describe, expect, it } from 'vitest';
import type { ChannelOutput } from '../../../../native/contract/index.js';
import { timelineDays } from '../../../../renderer/src/record/timeline.js';

type PatientRecord = ChannelOutput<'patients.record'>;

const record: PatientRecord = {
  patient: { id: 1, key: 'p1', name: null, birthDate: null, sex: 'F' },
  studies: [],
  notes: [{ id: 5, title: 'Admission note', kind: null, date: '2026-01-02', source: 's', excerpt: 'chest pain' }],
  recordings: [
    {
      id: 7,
      kind: 'physionet2012',
      source: 'r',
      sourceKey: '1',
      startTime: null,
      durationS: 10,
      signals: ['HR', 'MAP'],
    },
  ],
  labels: [
    {
      id: 9,
      targetKind: 'note',
      targetId: 5,
      windowStartMs: null,
      windowEndMs: null,
      task: 'urgency',
      value: 'urgent',
      source: 'human',
      author: 'dr',
      createdAt: '2026-01-03T10:00:00Z',
      supersedes: null,
      current: true,
    },
  ],
  predictions: [
    {
      id: 11,
      modelVersionId: 2,
      targetKind: 'note',
      targetId: 5,
      output: { predicted: 'urgent', probabilities: [0.2, 0.8] },
      score: 0.8,
      createdAt: '2026-01-03T09:00:00Z',
    },
  ],
  timeline: [
    { kind: 'note', id: 5, at: '2026-01-02', title: 'Admission note', parent: null },
    { kind: 'prediction', id: 11, at: '2026-01-03T09:00:00Z', title: null, parent: { kind: 'note', id: 5 } },
    { kind: 'label', id: 9, at: '2026-01-03T10:00:00Z', title: 'urgency: urgent', parent: { kind: 'note', id: 5 } },
    { kind: 'recording', id: 7, at: null, title: '1', parent: null },
  ],
};

describe('patient timeline', () => {
  it('groups entries by day in store order, undated last, with readable details', () => {
    const days = timelineDays(record);
    expect(days.map((d) => d.day)).toEqual(['2026-01-02', '2026-01-03', null]);
    const [prediction, label] = days[1]!.items;
    expect(prediction).toMatchObject({
      kind: 'prediction',
      time: '09:00',
      about: 'note 5',
      detail: 'urgent · p 0.80 · score 0.80',
    });
    expect(label).toMatchObject({ title: 'urgency: urgent', detail: 'urgency = urgent (human, dr)' });
    expect(days[2]!.items[0]).toMatchObject({ kind: 'recording', detail: 'HR, MAP', time: null });
    expect(days[0]!.items[0]!.detail).toBe('chest pain');
  });
});
