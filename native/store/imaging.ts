import type Database from 'better-sqlite3';

/** Study attributes taken from an instance's header. */
export interface StudyAttributes {
  readonly studyUid: string;
  readonly studyDate: string | null;
  readonly studyTime: string | null;
  readonly accessionNumber: string | null;
  readonly description: string | null;
}

/** Series attributes taken from an instance's header. */
export interface SeriesAttributes {
  readonly seriesUid: string;
  readonly modality: string | null;
  readonly seriesNumber: number | null;
  readonly description: string | null;
  readonly bodyPart: string | null;
  readonly rows: number | null;
  readonly columns: number | null;
}

/** One stored instance row to insert. */
export interface InstanceRow {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string | null;
  readonly instanceNumber: number | null;
  readonly transferSyntaxUid: string;
  readonly frames: number;
  /** ImagePositionPatient (mm, LPS) when present. */
  readonly positionMm: readonly number[] | null;
  readonly sliceLocation: number | null;
  /** Managed file path relative to the data folder. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** A study as the worklist and series browser list it. */
export interface StudySummary {
  readonly id: number;
  readonly patientId: number;
  readonly patientKey: string;
  readonly patientName: string | null;
  readonly studyUid: string;
  readonly studyDate: string | null;
  readonly description: string | null;
  readonly modalities: string | null;
  readonly seriesCount: number;
  readonly instanceCount: number;
}

/** A series as the series browser lists it. */
export interface SeriesSummary {
  readonly id: number;
  readonly studyId: number;
  readonly seriesUid: string;
  readonly modality: string | null;
  readonly seriesNumber: number | null;
  readonly description: string | null;
  readonly rows: number | null;
  readonly columns: number | null;
  readonly frameCount: number;
  readonly instanceCount: number;
  readonly geometry: unknown;
}

/** An instance of a series, in the order stored. */
export interface InstanceSummary {
  readonly id: number;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number | null;
  readonly frames: number;
  readonly path: string;
  readonly transferSyntaxUid: string | null;
  readonly positionMm: readonly number[] | null;
}

/** Returns the study id for `attrs.studyUid`, creating the study under `patientId` if new. */
export function ensureStudy(db: Database.Database, patientId: number, attrs: StudyAttributes): number {
  const row = db
    .prepare(
      `INSERT INTO studies (patient_id, study_uid, study_date, study_time, accession_number, description)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (study_uid) DO UPDATE SET
         study_date = coalesce(studies.study_date, excluded.study_date),
         study_time = coalesce(studies.study_time, excluded.study_time),
         accession_number = coalesce(studies.accession_number, excluded.accession_number),
         description = coalesce(studies.description, excluded.description)
       RETURNING id`,
    )
    .get(patientId, attrs.studyUid, attrs.studyDate, attrs.studyTime, attrs.accessionNumber, attrs.description) as {
    id: number;
  };
  return row.id;
}

/** Returns the series id for `attrs.seriesUid`, creating it under `studyId` if new. */
export function ensureSeries(db: Database.Database, studyId: number, attrs: SeriesAttributes): number {
  const row = db
    .prepare(
      `INSERT INTO series (study_id, series_uid, modality, series_number, description, body_part, rows, columns)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (series_uid) DO UPDATE SET
         modality = coalesce(series.modality, excluded.modality),
         series_number = coalesce(series.series_number, excluded.series_number),
         description = coalesce(series.description, excluded.description),
         body_part = coalesce(series.body_part, excluded.body_part),
         rows = coalesce(series.rows, excluded.rows),
         columns = coalesce(series.columns, excluded.columns)
       RETURNING id`,
    )
    .get(
      studyId,
      attrs.seriesUid,
      attrs.modality,
      attrs.seriesNumber,
      attrs.description,
      attrs.bodyPart,
      attrs.rows,
      attrs.columns,
    ) as { id: number };
  return row.id;
}

/** The stored instance with this SOP Instance UID: its id and content hash, or null. */
export function findInstance(db: Database.Database, sopInstanceUid: string): { id: number; sha256: string } | null {
  return (
    (db.prepare('SELECT id, sha256 FROM instances WHERE sop_instance_uid = ?').get(sopInstanceUid) as
      { id: number; sha256: string } | undefined) ?? null
  );
}

/** Inserts an instance row; returns its id. */
export function insertInstance(db: Database.Database, seriesId: number, row: InstanceRow): number {
  const result = db
    .prepare(
      `INSERT INTO instances (series_id, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid,
         frames, position_json, slice_location, path, size_bytes, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      seriesId,
      row.sopInstanceUid,
      row.sopClassUid,
      row.instanceNumber,
      row.transferSyntaxUid,
      row.frames,
      row.positionMm ? JSON.stringify(row.positionMm) : null,
      row.sliceLocation,
      row.path,
      row.sizeBytes,
      row.sha256,
    );
  return Number(result.lastInsertRowid);
}

/**
 * Recomputes a series' frame count, its study's modality list, and stores the geometry summary
 * the viewer needs (computed by the caller from the instances' headers).
 */
export function updateSeriesSummary(db: Database.Database, seriesId: number, geometry: unknown): void {
  db.prepare(
    `UPDATE series SET frame_count = (SELECT coalesce(sum(frames), 0) FROM instances WHERE series_id = ?),
       geometry_json = ? WHERE id = ?`,
  ).run(seriesId, geometry === undefined ? null : JSON.stringify(geometry), seriesId);
  db.prepare(
    `UPDATE studies SET modalities = (
       SELECT group_concat(modality, '\\') FROM (SELECT DISTINCT modality FROM series
         WHERE study_id = studies.id AND modality IS NOT NULL ORDER BY modality))
     WHERE id = (SELECT study_id FROM series WHERE id = ?)`,
  ).run(seriesId);
}

/** Studies, newest first, optionally of one patient. */
export function listStudies(db: Database.Database, patientId?: number): StudySummary[] {
  const rows = db
    .prepare(
      `SELECT s.id, s.patient_id, p.patient_key, p.name AS patient_name, s.study_uid, s.study_date, s.description, s.modalities,
         (SELECT count(*) FROM series WHERE study_id = s.id) AS series_count,
         (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_id WHERE se.study_id = s.id) AS instance_count
       FROM studies s JOIN patients p ON p.id = s.patient_id
       WHERE (@patientId IS NULL OR s.patient_id = @patientId)
       ORDER BY s.study_date DESC NULLS LAST, s.id DESC`,
    )
    .all({ patientId: patientId ?? null }) as Array<{
    id: number;
    patient_id: number;
    patient_key: string;
    patient_name: string | null;
    study_uid: string;
    study_date: string | null;
    description: string | null;
    modalities: string | null;
    series_count: number;
    instance_count: number;
  }>;
  return rows.map((r) => ({
    id: r.id,
    patientId: r.patient_id,
    patientKey: r.patient_key,
    patientName: r.patient_name,
    studyUid: r.study_uid,
    studyDate: r.study_date,
    description: r.description,
    modalities: r.modalities,
    seriesCount: r.series_count,
    instanceCount: r.instance_count,
  }));
}

/** Series of a study by series number. */
export function listSeries(db: Database.Database, studyId: number): SeriesSummary[] {
  return querySeries(db, 'se.study_id = ?', studyId);
}

/** One series, or null. */
export function getSeries(db: Database.Database, seriesId: number): SeriesSummary | null {
  return querySeries(db, 'se.id = ?', seriesId)[0] ?? null;
}

/** The managed file of an instance, or null when there is no such instance. */
export function instanceFile(db: Database.Database, instanceId: number): { path: string; frames: number } | null {
  return (
    (db.prepare('SELECT path, frames FROM instances WHERE id = ?').get(instanceId) as
      { path: string; frames: number } | undefined) ?? null
  );
}

function querySeries(db: Database.Database, where: string, param: number): SeriesSummary[] {
  const rows = db
    .prepare(
      `SELECT se.*, (SELECT count(*) FROM instances WHERE series_id = se.id) AS instance_count
       FROM series se WHERE ${where} ORDER BY se.series_number NULLS LAST, se.id`,
    )
    .all(param) as Array<{
    id: number;
    study_id: number;
    series_uid: string;
    modality: string | null;
    series_number: number | null;
    description: string | null;
    rows: number | null;
    columns: number | null;
    frame_count: number;
    instance_count: number;
    geometry_json: string | null;
  }>;
  return rows.map((r) => ({
    id: r.id,
    studyId: r.study_id,
    seriesUid: r.series_uid,
    modality: r.modality,
    seriesNumber: r.series_number,
    description: r.description,
    rows: r.rows,
    columns: r.columns,
    frameCount: r.frame_count,
    instanceCount: r.instance_count,
    geometry: r.geometry_json === null ? null : (JSON.parse(r.geometry_json) as unknown),
  }));
}

/** Instances of a series by instance number (the viewer orders by geometry). */
export function listInstances(db: Database.Database, seriesId: number): InstanceSummary[] {
  const rows = db
    .prepare(
      `SELECT id, sop_instance_uid, instance_number, frames, path, transfer_syntax_uid, position_json
       FROM instances WHERE series_id = ? ORDER BY instance_number NULLS LAST, id`,
    )
    .all(seriesId) as Array<{
    id: number;
    sop_instance_uid: string;
    instance_number: number | null;
    frames: number;
    path: string;
    transfer_syntax_uid: string | null;
    position_json: string | null;
  }>;
  return rows.map((r) => ({
    id: r.id,
    sopInstanceUid: r.sop_instance_uid,
    instanceNumber: r.instance_number,
    frames: r.frames,
    path: r.path,
    transferSyntaxUid: r.transfer_syntax_uid,
    positionMm: r.position_json === null ? null : (JSON.parse(r.position_json) as number[]),
  }));
}

/** The series an instance belongs to, or null when there is no such instance. */
export function getInstanceSeries(db: Database.Database, instanceId: number): number | null {
  const row = db.prepare('SELECT series_id FROM instances WHERE id = ?').get(instanceId) as
    { series_id: number } | undefined;
  return row?.series_id ?? null;
}
