import type { ChannelOutput } from '../../../native/contract/index.js';

type PatientRecord = ChannelOutput<'patients.record'>;
type Entry = PatientRecord['timeline'][number];

/** A timeline entry ready to show: what it is, a readable line, and what it relates to. */
export interface TimelineItem {
  readonly key: string;
  readonly kind: Entry['kind'];
  readonly id: number;
  readonly time: string | null;
  readonly title: string;
  /** Labels and predictions: what they are about (e.g. "note 12"). */
  readonly about: string | null;
  /** Extra facts: label value and source, prediction score and model, series count ... */
  readonly detail: string | null;
}

/** Entries of one day (or the undated ones). */
export interface TimelineDay {
  /** ISO date, or null for undated entries. */
  readonly day: string | null;
  readonly items: TimelineItem[];
}

const KIND_LABEL: Record<Entry['kind'], string> = {
  study: 'Study',
  series: 'Series',
  note: 'Note',
  recording: 'Recording',
  label: 'Label',
  prediction: 'Prediction',
};

/** Display name of a timeline entry kind. */
export function kindLabel(kind: Entry['kind']): string {
  return KIND_LABEL[kind];
}

function detailOf(record: PatientRecord, entry: Entry): string | null {
  switch (entry.kind) {
    case 'label': {
      const l = record.labels.find((x) => x.id === entry.id);
      return l === undefined
        ? null
        : `${l.task} = ${l.value} (${l.source}${l.author ? `, ${l.author}` : ''})${l.current ? '' : ' · superseded'}`;
    }
    case 'prediction': {
      const p = record.predictions.find((x) => x.id === entry.id);
      if (p === undefined) return null;
      const out = (p.output ?? {}) as { predicted?: string; probabilities?: number[] };
      const top = out.probabilities === undefined ? null : Math.max(...out.probabilities);
      return [
        out.predicted ?? null,
        top === null ? null : `p ${top.toFixed(2)}`,
        p.score === null ? null : `score ${p.score.toFixed(2)}`,
      ]
        .filter((s) => s !== null)
        .join(' · ');
    }
    case 'study': {
      const s = record.studies.find((x) => x.id === entry.id);
      return s === undefined ? null : `${s.series.length} series`;
    }
    case 'recording': {
      const r = record.recordings.find((x) => x.id === entry.id);
      return r === undefined ? null : r.signals.slice(0, 6).join(', ') + (r.signals.length > 6 ? ' …' : '');
    }
    case 'note': {
      const n = record.notes.find((x) => x.id === entry.id);
      return n?.excerpt ?? null;
    }
    default:
      return null;
  }
}

/**
 * The record's timeline grouped by day, oldest first, undated entries last (the order the store
 * gives), each entry with a readable title and its detail.
 */
export function timelineDays(record: PatientRecord): TimelineDay[] {
  const days: TimelineDay[] = [];
  for (const entry of record.timeline) {
    const day = entry.at === null ? null : entry.at.slice(0, 10);
    let bucket = days.at(-1);
    if (bucket === undefined || bucket.day !== day) {
      bucket = { day, items: [] };
      days.push(bucket);
    }
    bucket.items.push({
      key: `${entry.kind}:${entry.id}`,
      kind: entry.kind,
      id: entry.id,
      time: entry.at !== null && entry.at.length > 10 ? entry.at.slice(11, 16) : null,
      title: entry.title ?? `${KIND_LABEL[entry.kind]} ${entry.id}`,
      about: entry.parent === null ? null : `${entry.parent.kind} ${entry.parent.id}`,
      detail: detailOf(record, entry),
    });
  }
  return days;
}
