import { randomUUID } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { CallContext } from '../../contract/binder.js';
import type { ImportProgressDto, NotesImportSummaryDto, VitalsImportSummaryDto } from '../../contract/caseStore.js';
import type { ChannelParsedInput } from '../../contract/channels.js';
import { OslerError } from '../../contract/result.js';
import { listAudit, writeAudit } from '../../store/audit.js';
import { labelClasses, labelHistory, labelState, setLabel, taskStates, type Label } from '../../store/labels.js';
import { getNote, highlightNote, searchNotes } from '../../store/notes.js';
import { findPatientId } from '../../store/patients.js';
import { countTables } from '../../store/counts.js';
import { schemaVersion } from '../../store/migrate.js';
import { checkImportSource } from '../../store/dicomImport.js';
import { listSeries, listStudies } from '../../store/imaging.js';
import { labelChains, patientRecord } from '../../store/patientRecord.js';
import {
  getRecording,
  listRecordingAnnotations,
  readAllTimes,
  readSamples,
  type SignalInfo,
} from '../../store/recordings.js';
import { listWorklist } from '../../store/worklist.js';
import type { CoreContext, HandlerGroup } from '../context.js';
import { runImport } from './importRunner.js';

type CaseStoreChannel =
  | 'notes.import'
  | 'notes.search'
  | 'notes.get'
  | 'vitals.import'
  | 'vitals.get'
  | 'labels.set'
  | 'labels.list'
  | 'labels.classes'
  | 'worklist.list'
  | 'audit.list'
  | 'records.cancelImport'
  | 'import.start'
  | 'import.cancel'
  | 'patients.record'
  | 'studies.get'
  | 'labels.history'
  | 'store.stats';

let osUser: string | undefined;

/** Who is calling: the local user name and the shell the call came through (there are no accounts). */
export function actorOf(call: CallContext): string {
  if (osUser === undefined) {
    try {
      osUser = userInfo().username || 'user';
    } catch {
      osUser = 'user';
    }
  }
  return `${osUser}@${call.via}`;
}

/**
 * Resolves a path the user gave an import and checks it is a readable file or folder. Imports
 * may read from anywhere the user points; they only ever write inside the data folder.
 */
export function readableSource(path: string): string {
  const full = resolve(path);
  let info;
  try {
    info = statSync(full);
    accessSync(full, constants.R_OK);
  } catch {
    throw new OslerError('not-found', `${full}: no such file or folder, or not readable`);
  }
  if (!info.isFile() && !info.isDirectory())
    throw new OslerError('invalid-input', `${full} is neither a file nor a folder`);
  return full;
}

/** Decimates [from, to) of a regular signal to at most `maxPoints` buckets (first value, min, max). */
function windowOf(
  values: Float32Array,
  maxPoints: number,
): { step: number; first: Array<number | null>; min?: Array<number | null>; max?: Array<number | null> } {
  const n = values.length;
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  if (step === 1) return { step, first: Array.from(values, finite) };
  const first: Array<number | null> = [];
  const min: Array<number | null> = [];
  const max: Array<number | null> = [];
  for (let i = 0; i < n; i += step) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let j = i; j < Math.min(n, i + step); j++) {
      const v = values[j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    first.push(finite(values[i]!));
    min.push(Number.isFinite(lo) ? lo : null);
    max.push(Number.isFinite(hi) ? hi : null);
  }
  return { step, first, min, max };
}

const MAX_WINDOW_MS = 3_600_000;

/** Notes, vitals, labels, worklist and audit channels over the case store. */
export function caseStoreHandlers(ctx: CoreContext): HandlerGroup<CaseStoreChannel> {
  const db = ctx.store.db;
  const storeFile = db.name;
  const jobs = new Map<string, AbortController>();

  const startJob = (requested: string | undefined): { jobId: string; controller: AbortController } => {
    const jobId = requested ?? randomUUID();
    if (jobs.has(jobId)) throw new OslerError('conflict', `an import with job id ${jobId} is already running`);
    const controller = new AbortController();
    jobs.set(jobId, controller);
    return { jobId, controller };
  };

  const progressOf = (jobId: string, kind: 'notes' | 'vitals', p: Record<string, number>): ImportProgressDto => ({
    jobId,
    kind,
    records: p.records ?? 0,
    inserted: p.inserted ?? 0,
    updated: p.updated ?? 0,
    unchanged: p.unchanged ?? 0,
    failed: p.failed ?? 0,
    done: kind === 'notes' ? (p.bytesRead ?? 0) : (p.records ?? 0) + (p.failed ?? 0),
    total: kind === 'notes' ? (p.totalBytes ?? 0) : (p.total ?? 0),
  });

  const statesOf = (labels: Label[]) => taskStates(labels);

  const cancel = (jobId: string): { cancelled: boolean } => {
    const job = jobs.get(jobId);
    job?.abort();
    return { cancelled: job !== undefined };
  };

  const runNotes = async (
    input: ChannelParsedInput<'notes.import'>,
    call: CallContext,
  ): Promise<NotesImportSummaryDto> => {
    const path = readableSource(input.path);
    const { jobId, controller } = startJob(input.jobId);
    try {
      const { jobId: _omit, ...options } = input;
      const summary = await runImport(storeFile, db, {
        kind: 'notes',
        options: { ...options, path, actor: actorOf(call) },
        signal: controller.signal,
        onProgress: (p) => ctx.emit('records.importProgress', progressOf(jobId, 'notes', p)),
      });
      return {
        ...summary,
        columns: {
          ...summary.columns,
          text: [...summary.columns.text],
          labels: summary.columns.labels.map((l) => ({ ...l })),
        },
        errors: summary.errors.map((e) => ({ ...e })),
      };
    } finally {
      jobs.delete(jobId);
    }
  };

  const runVitals = async (
    input: ChannelParsedInput<'vitals.import'>,
    call: CallContext,
  ): Promise<VitalsImportSummaryDto> => {
    const path = readableSource(input.path);
    const { jobId, controller } = startJob(input.jobId);
    try {
      const summary = await runImport(storeFile, db, {
        kind: 'vitals',
        options: {
          path,
          actor: actorOf(call),
          ...(input.limit === undefined ? {} : { limit: input.limit }),
          ...(input.encoding === undefined ? {} : { encoding: input.encoding }),
        },
        signal: controller.signal,
        onProgress: (p) => ctx.emit('records.importProgress', progressOf(jobId, 'vitals', p)),
      });
      return { ...summary, errors: summary.errors.map((e) => ({ ...e })) };
    } finally {
      jobs.delete(jobId);
    }
  };

  return {
    'notes.import': (input, call) => runNotes(input, call),

    'vitals.import': (input, call) => runVitals(input, call),

    'import.start': async (input, call) => {
      if (input.kind === 'notes') {
        const { kind: _k, ...rest } = input;
        const jobId = rest.jobId ?? randomUUID();
        return { kind: 'notes' as const, jobId, ...(await runNotes({ ...rest, jobId }, call)) };
      }
      if (input.kind === 'vitals') {
        const { kind: _k, ...rest } = input;
        const jobId = rest.jobId ?? randomUUID();
        return { kind: 'vitals' as const, jobId, ...(await runVitals({ ...rest, jobId }, call)) };
      }
      const sources = input.paths.map((p) => {
        const full = readableSource(p);
        checkImportSource(full);
        return full;
      });
      const { jobId, controller } = startJob(input.jobId);
      try {
        const report = await runImport(storeFile, db, {
          kind: 'dicom',
          options: { home: ctx.home, sources, actor: actorOf(call) },
          signal: controller.signal,
          onProgress: (p) =>
            ctx.emit('import.progress', {
              jobId,
              kind: 'dicom',
              filesSeen: p.filesSeen ?? 0,
              imported: p.imported ?? 0,
              duplicates: p.duplicates ?? 0,
              skipped: p.skipped ?? 0,
            }),
        });
        return {
          kind: 'dicom' as const,
          jobId,
          filesSeen: report.filesSeen,
          imported: report.imported,
          duplicates: report.duplicates,
          skipped: report.skipped,
          skippedFiles: report.skippedFiles.map((f) => ({ ...f })),
          studyIds: [...report.studyIds],
          seriesIds: [...report.seriesIds],
        };
      } finally {
        jobs.delete(jobId);
      }
    },

    'import.cancel': ({ jobId }) => cancel(jobId),

    'records.cancelImport': ({ jobId }) => cancel(jobId),

    'store.stats': () => {
      let bytes = 0;
      for (const suffix of ['', '-wal'])
        try {
          bytes += storeFile === ':memory:' ? 0 : statSync(`${storeFile}${suffix}`).size;
        } catch {
          // no WAL file right now
        }
      return { schemaVersion: schemaVersion(db), bytes, tables: countTables(db) };
    },

    'patients.record': (input, call) => {
      const patientId = 'patientId' in input ? input.patientId : findPatientId(db, input.patientKey);
      const record = patientId === null ? null : patientRecord(db, patientId);
      if (record === null)
        throw new OslerError(
          'not-found',
          'patientId' in input
            ? `no patient with id ${input.patientId}`
            : `no patient ${JSON.stringify(input.patientKey)}`,
        );
      writeAudit(db, {
        actor: actorOf(call),
        action: 'patients.record',
        targetKind: 'patient',
        targetId: record.patient.id,
        detail: {
          studies: record.studies.length,
          notes: record.notes.length,
          recordings: record.recordings.length,
          labels: record.labels.length,
          predictions: record.predictions.length,
        },
      });
      return record;
    },

    'studies.get': ({ studyId }, call) => {
      const study = db.prepare('SELECT patient_id FROM studies WHERE id = ?').get(studyId) as
        { patient_id: number } | undefined;
      const summary = study === undefined ? undefined : listStudies(db, study.patient_id).find((s) => s.id === studyId);
      if (summary === undefined) throw new OslerError('not-found', `no study with id ${studyId}`);
      const labels = labelHistory(db, 'study', studyId);
      writeAudit(db, { actor: actorOf(call), action: 'studies.get', targetKind: 'study', targetId: studyId });
      return {
        study: summary,
        series: listSeries(db, studyId).map(({ geometry: _g, ...rest }) => rest),
        labels,
        states: statesOf(labels),
      };
    },

    'labels.history': ({ target, task }, call) => {
      const chains = labelChains(db, target.kind, target.id, task);
      writeAudit(db, {
        actor: actorOf(call),
        action: 'labels.history',
        targetKind: target.kind,
        targetId: target.id,
        detail: task === undefined ? null : { task },
      });
      return { chains };
    },

    'notes.search': (input, call) => {
      let patientId: number | undefined;
      if (input.patientKey !== undefined) {
        const found = findPatientId(db, input.patientKey);
        if (found === null) return { total: 0, ranked: 0, hits: [] };
        patientId = found;
      }
      const result = searchNotes(db, input.query, {
        limit: input.limit,
        offset: input.offset,
        ...(patientId === undefined ? {} : { patientId }),
      });
      writeAudit(db, {
        actor: actorOf(call),
        action: 'notes.search',
        targetKind: patientId === undefined ? null : 'patient',
        targetId: patientId ?? null,
        detail: { query: input.query, total: result.total, returned: result.hits.map((h) => h.id) },
      });
      return {
        total: result.total,
        ranked: result.ranked,
        hits: result.hits.map((h) => ({ ...h, highlights: h.highlights.map(([a, b]) => [a, b] as [number, number]) })),
      };
    },

    'notes.get': ({ id, query }, call) => {
      const note = getNote(db, id);
      if (note === null) throw new OslerError('not-found', `no note with id ${id}`);
      const labels = labelHistory(db, 'note', id);
      writeAudit(db, { actor: actorOf(call), action: 'notes.get', targetKind: 'note', targetId: id });
      const { patientId: _p, ...rest } = note;
      return {
        ...rest,
        highlights: query === undefined ? [] : highlightNote(db, id, query).map(([a, b]) => [a, b] as [number, number]),
        labels,
        states: statesOf(labels),
      };
    },

    'vitals.get': (input, call) => {
      const rec = getRecording(db, input.recordingId);
      if (rec === null) throw new OslerError('not-found', `no recording with id ${input.recordingId}`);
      const fromMs = input.fromMs;
      const toMs = input.toMs ?? fromMs + 10_000;
      if (!(toMs > fromMs)) throw new OslerError('invalid-input', 'toMs must be after fromMs');
      if (toMs - fromMs > MAX_WINDOW_MS)
        throw new OslerError('invalid-input', `a window is at most ${MAX_WINDOW_MS / 60_000} minutes wide`);
      let chosen: SignalInfo[] = rec.signals;
      if (input.signals !== undefined) {
        const missing = input.signals.filter((n) => !rec.signals.some((s) => s.name === n));
        if (missing.length > 0)
          throw new OslerError(
            'not-found',
            `recording ${rec.id} has no signal ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
          );
        chosen = rec.signals.filter((s) => input.signals!.includes(s.name));
      }
      const signals = chosen.map((s) => {
        let from: number;
        let to: number;
        let times: (i: number) => number;
        if (s.samplingHz !== null) {
          const hz = s.samplingHz;
          from = Math.min(s.sampleCount, Math.max(0, Math.floor(((fromMs - s.firstTimeMs) * hz) / 1000)));
          to = Math.min(s.sampleCount, Math.max(from, Math.ceil(((toMs - s.firstTimeMs) * hz) / 1000)));
          times = (i) => s.firstTimeMs + ((from + i) * 1000) / hz;
        } else {
          const all = readAllTimes(db, s);
          from = all.findIndex((t) => t >= fromMs);
          if (from < 0) from = all.length;
          to = from;
          while (to < all.length && all[to]! < toMs) to++;
          times = (i) => all[from + i]!;
        }
        const { values } = readSamples(db, s.id, from, to);
        const w = windowOf(values, input.maxPoints);
        return {
          name: s.name,
          unit: s.unit,
          samplingHz: s.samplingHz,
          sampleCount: s.sampleCount,
          from,
          step: w.step,
          timesMs: w.first.map((_, k) => times(k * w.step)),
          values: w.first,
          ...(w.min === undefined ? {} : { min: w.min, max: w.max! }),
        };
      });
      const annotations = listRecordingAnnotations(db, rec.id, fromMs, toMs, input.maxAnnotations + 1, input.annotator);
      const labels = labelHistory(db, 'recording', rec.id).filter(
        (l) => l.current && (l.windowStartMs === null || (l.windowStartMs < toMs && (l.windowEndMs ?? 0) > fromMs)),
      );
      writeAudit(db, {
        actor: actorOf(call),
        action: 'vitals.get',
        targetKind: 'recording',
        targetId: rec.id,
        detail: { fromMs, toMs },
      });
      const { patientId: _p, signals: infos, ...recording } = rec;
      return {
        recording: {
          ...recording,
          signals: infos.map((s) => ({
            name: s.name,
            unit: s.unit,
            samplingHz: s.samplingHz,
            sampleCount: s.sampleCount,
          })),
        },
        fromMs,
        toMs,
        signals,
        annotations: annotations.slice(0, input.maxAnnotations),
        annotationsTruncated: annotations.length > input.maxAnnotations,
        labels,
      };
    },

    'labels.set': (input, call) => {
      const actor = actorOf(call);
      const target = {
        kind: input.target.kind,
        id: input.target.id,
        windowStartMs: input.target.windowStartMs ?? null,
        windowEndMs: input.target.windowEndMs ?? null,
      };
      const labels = setLabel(
        db,
        {
          target,
          task: input.task,
          value: input.value,
          source: input.source,
          author: actor,
          ...(input.supersedes === undefined ? {} : { supersedes: input.supersedes }),
        },
        actor,
      );
      return { labels, state: labelState(db, target, input.task) };
    },

    'labels.classes': ({ task, targetKind, since }) =>
      labelClasses(db, {
        ...(task ? { task } : {}),
        ...(targetKind ? { targetKind } : {}),
        ...(since ? { since } : {}),
      }),

    'labels.list': ({ target, task }, call) => {
      const labels = labelHistory(db, target.kind, target.id, task);
      writeAudit(db, { actor: actorOf(call), action: 'labels.list', targetKind: target.kind, targetId: target.id });
      return { labels, states: statesOf(labels) };
    },

    'worklist.list': (input, call) => {
      const { items, hasMore, nextCursor } = listWorklist(db, input);
      writeAudit(db, {
        actor: actorOf(call),
        action: 'worklist.list',
        detail: { filter: { ...input }, returned: items.length },
      });
      return { items, hasMore, nextCursor };
    },

    'audit.list': (input) => ({ rows: listAudit(db, input) }),
  };
}
