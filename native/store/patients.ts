import type Database from 'better-sqlite3';

/** A patient as the store holds it. */
export interface Patient {
  readonly id: number;
  /** PatientID, or a source-specific key such as `physionet2012:132539`. */
  readonly key: string;
  readonly name: string | null;
  /** ISO date (YYYY-MM-DD) when known. */
  readonly birthDate: string | null;
  /** `F`, `M`, `O` or null. */
  readonly sex: string | null;
}

/** Attributes that may be filled in when a patient is first seen or later learnt. */
export interface PatientAttributes {
  readonly name?: string | null;
  readonly birthDate?: string | null;
  readonly sex?: string | null;
}

/**
 * Returns the id of the patient with `key`, creating it if needed. Known attributes fill in
 * missing ones but never overwrite what is already stored.
 */
export function ensurePatient(db: Database.Database, key: string, attrs: PatientAttributes = {}): number {
  const row = db
    .prepare(
      `INSERT INTO patients (patient_key, name, birth_date, sex) VALUES (?, ?, ?, ?)
       ON CONFLICT (patient_key) DO UPDATE SET
         name = coalesce(patients.name, excluded.name),
         birth_date = coalesce(patients.birth_date, excluded.birth_date),
         sex = coalesce(patients.sex, excluded.sex)
       RETURNING id`,
    )
    .get(key, attrs.name ?? null, attrs.birthDate ?? null, attrs.sex ?? null) as { id: number };
  return row.id;
}

/** The patient with `id`, or null. */
export function getPatient(db: Database.Database, id: number): Patient | null {
  const r = db.prepare('SELECT id, patient_key, name, birth_date, sex FROM patients WHERE id = ?').get(id) as
    { id: number; patient_key: string; name: string | null; birth_date: string | null; sex: string | null } | undefined;
  return r === undefined ? null : { id: r.id, key: r.patient_key, name: r.name, birthDate: r.birth_date, sex: r.sex };
}

/** The id of the patient with `key`, or null. */
export function findPatientId(db: Database.Database, key: string): number | null {
  const r = db.prepare('SELECT id FROM patients WHERE patient_key = ?').get(key) as { id: number } | undefined;
  return r?.id ?? null;
}

/**
 * The patient of each case-store item (note, recording, study, series or instance), by item id;
 * items without a patient are absent. Used to split training data by patient.
 */
export function patientsOf(
  db: Database.Database,
  kind: 'note' | 'recording' | 'study' | 'series' | 'instance',
  ids: readonly number[],
): Map<number, number> {
  const sql = {
    note: 'SELECT patient_id AS p FROM notes WHERE id = ?',
    recording: 'SELECT patient_id AS p FROM recordings WHERE id = ?',
    study: 'SELECT patient_id AS p FROM studies WHERE id = ?',
    series: 'SELECT st.patient_id AS p FROM series se JOIN studies st ON st.id = se.study_id WHERE se.id = ?',
    instance: `SELECT st.patient_id AS p FROM instances i JOIN series se ON se.id = i.series_id
               JOIN studies st ON st.id = se.study_id WHERE i.id = ?`,
  }[kind];
  const statement = db.prepare(sql);
  const out = new Map<number, number>();
  for (const id of ids) {
    const row = statement.get(id) as { p: number | null } | undefined;
    if (row?.p !== undefined && row.p !== null) out.set(id, row.p);
  }
  return out;
}
