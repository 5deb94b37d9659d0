import type Database from 'better-sqlite3';
import { listSeries, listStudies, type SeriesSummary, type StudySummary } from './imaging.js';
import { labelHistory, type Label, type LabelTargetKind } from './labels.js';
import { getPatient, type Patient } from './patients.js';
import { listPredictions, type Prediction } from './predictions.js';

/** One entry of a patient's timeline. */
export interface TimelineEntry {
  readonly kind: 'study' | 'series' | 'note' | 'recording' | 'label' | 'prediction';
  readonly id: number;
  /** Clinical date for studies, notes and recordings; store time for labels and predictions. */
  readonly at: string | null;
  readonly title: string | null;
  readonly parent: { readonly kind: string; readonly id: number } | null;
}

/** Everything stored for one patient. */
export interface PatientRecord {
  readonly patient: Patient;
  readonly studies: Array<StudySummary & { series: Array<Omit<SeriesSummary, 'geometry'>> }>;
  readonly notes: Array<{
    id: number;
    title: string | null;
    kind: string | null;
    date: string | null;
    source: string;
    excerpt: string;
  }>;
  readonly recordings: Array<{
    id: number;
    kind: string | null;
    source: string;
    sourceKey: string | null;
    startTime: string | null;
    durationS: number | null;
    signals: string[];
  }>;
  readonly labels: Label[];
  readonly predictions: Prediction[];
  readonly timeline: TimelineEntry[];
}

const isoOfDicomDate = (d: string | null): string | null =>
  d !== null && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;

/**
 * The case record: the patient's studies (with series), notes, recordings, every label of any of
 * them (superseded included) and every prediction, plus one timeline over all of it, oldest first
 * and undated entries last. Null when there is no such patient.
 */
export function patientRecord(db: Database.Database, patientId: number): PatientRecord | null {
  const patient = getPatient(db, patientId);
  if (patient === null) return null;
  const studies = listStudies(db, patientId).map((s) => ({
    ...s,
    series: listSeries(db, s.id).map(({ geometry: _g, ...rest }) => rest),
  }));
  const notes = (
    db
      .prepare(
        `SELECT id, title, kind, note_date, source, substr(text, 1, 200) AS excerpt FROM notes
         WHERE patient_id = ? ORDER BY note_date IS NULL, note_date, id`,
      )
      .all(patientId) as Array<{
      id: number;
      title: string | null;
      kind: string | null;
      note_date: string | null;
      source: string;
      excerpt: string;
    }>
  ).map((n) => ({ id: n.id, title: n.title, kind: n.kind, date: n.note_date, source: n.source, excerpt: n.excerpt }));
  const recordings = (
    db
      .prepare(
        `SELECT r.id, r.kind, r.source, r.source_key, r.start_time, r.duration_s,
           (SELECT group_concat(name, char(31)) FROM (SELECT name FROM signals WHERE recording_id = r.id ORDER BY id)) AS names
         FROM recordings r WHERE r.patient_id = ? ORDER BY r.start_time IS NULL, r.start_time, r.id`,
      )
      .all(patientId) as Array<{
      id: number;
      kind: string | null;
      source: string;
      source_key: string | null;
      start_time: string | null;
      duration_s: number | null;
      names: string | null;
    }>
  ).map((r) => ({
    id: r.id,
    kind: r.kind,
    source: r.source,
    sourceKey: r.source_key,
    startTime: r.start_time,
    durationS: r.duration_s,
    signals: r.names === null ? [] : r.names.split('\u001f'),
  }));

  const targets: Array<[LabelTargetKind, number]> = [
    ...studies.map((s) => ['study', s.id] as [LabelTargetKind, number]),
    ...studies.flatMap((s) => s.series.map((se) => ['series', se.id] as [LabelTargetKind, number])),
    ...(
      db
        .prepare(
          `SELECT i.id FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
           WHERE st.patient_id = ? AND (EXISTS (SELECT 1 FROM labels l WHERE l.target_kind = 'instance' AND l.target_id = i.id)
             OR EXISTS (SELECT 1 FROM predictions p WHERE p.target_kind = 'instance' AND p.target_id = i.id))`,
        )
        .pluck()
        .all(patientId) as number[]
    ).map((i) => ['instance', i] as [LabelTargetKind, number]),
    ...notes.map((n) => ['note', n.id] as [LabelTargetKind, number]),
    ...recordings.map((r) => ['recording', r.id] as [LabelTargetKind, number]),
  ];
  const labels = targets.flatMap(([k, i]) => labelHistory(db, k, i));
  const predictions = targets.flatMap(([k, i]) => listPredictions(db, k, i));

  const timeline: TimelineEntry[] = [
    ...studies.map((s) => ({
      kind: 'study' as const,
      id: s.id,
      at: isoOfDicomDate(s.studyDate),
      title: s.description,
      parent: null,
    })),
    ...studies.flatMap((s) =>
      s.series.map((se) => ({
        kind: 'series' as const,
        id: se.id,
        at: isoOfDicomDate(s.studyDate),
        title: se.description ?? se.modality,
        parent: { kind: 'study', id: s.id },
      })),
    ),
    ...notes.map((n) => ({ kind: 'note' as const, id: n.id, at: n.date, title: n.title, parent: null })),
    ...recordings.map((r) => ({
      kind: 'recording' as const,
      id: r.id,
      at: r.startTime,
      title: r.sourceKey,
      parent: null,
    })),
    ...labels.map((l) => ({
      kind: 'label' as const,
      id: l.id,
      at: l.createdAt,
      title: `${l.task}: ${l.value}`,
      parent: { kind: l.targetKind, id: l.targetId },
    })),
    ...predictions.map((p) => ({
      kind: 'prediction' as const,
      id: p.id,
      at: p.createdAt,
      title: p.score === null ? null : `score ${p.score}`,
      parent: { kind: p.targetKind, id: p.targetId },
    })),
  ];
  const KIND_ORDER = ['study', 'series', 'recording', 'note', 'label', 'prediction'];
  timeline.sort((a, b) => {
    if (a.at === null || b.at === null) return a.at === b.at ? 0 : a.at === null ? 1 : -1;
    return a.at < b.at ? -1 : a.at > b.at ? 1 : KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.id - b.id;
  });
  return { patient, studies, notes, recordings, labels, predictions, timeline };
}

/** A supersedes chain, newest label first. */
export interface LabelChain {
  readonly task: string;
  readonly windowStartMs: number | null;
  readonly windowEndMs: number | null;
  readonly current: boolean;
  readonly labels: Label[];
}

/**
 * A target's labels grouped into supersedes chains: each current label (or, for chains whose
 * head was itself replaced elsewhere, each label nobody supersedes) followed by the label it
 * replaced, and so on to the first. Chains are ordered by their newest label, newest first.
 */
export function labelChains(db: Database.Database, kind: LabelTargetKind, id: number, task?: string): LabelChain[] {
  const all = labelHistory(db, kind, id, task);
  const byId = new Map(all.map((l) => [l.id, l]));
  const replaced = new Set(all.map((l) => l.supersedes).filter((s): s is number => s !== null));
  const heads = all.filter((l) => !replaced.has(l.id)).sort((a, b) => b.id - a.id);
  return heads.map((head) => {
    const labels: Label[] = [];
    let at: Label | undefined = head;
    const seen = new Set<number>();
    while (at !== undefined && !seen.has(at.id)) {
      seen.add(at.id);
      labels.push(at);
      at = at.supersedes === null ? undefined : byId.get(at.supersedes);
    }
    return {
      task: head.task,
      windowStartMs: head.windowStartMs,
      windowEndMs: head.windowEndMs,
      current: head.current,
      labels,
    };
  });
}
