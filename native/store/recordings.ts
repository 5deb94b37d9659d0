import type Database from 'better-sqlite3';

/** Samples per stored chunk: 64 Ki Float32 values (256 KiB), a few seconds of a 1 kHz ECG lead. */
export const CHUNK_SAMPLES = 65_536;

/** A recording to store. */
export interface RecordingInput {
  readonly source: string;
  readonly sourceKey: string;
  readonly patientId: number | null;
  /** `wfdb`, `physionet2012`, ... */
  readonly kind: string;
  /** ISO 8601 start when known. */
  readonly startTime: string | null;
  readonly durationS: number | null;
  /** Header comments, descriptors and the content fingerprint used for idempotent re-import. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A stored recording with its signals. */
export interface Recording {
  readonly id: number;
  readonly patientId: number | null;
  readonly patientKey: string | null;
  readonly source: string;
  readonly sourceKey: string | null;
  readonly kind: string | null;
  readonly startTime: string | null;
  readonly durationS: number | null;
  readonly metadata: Record<string, unknown>;
  readonly signals: SignalInfo[];
}

/** One signal of a recording. */
export interface SignalInfo {
  readonly id: number;
  readonly name: string;
  readonly unit: string | null;
  /** Samples per second; null for irregularly sampled series (times stored per sample). */
  readonly samplingHz: number | null;
  readonly sampleCount: number;
  /** Time of sample 0 from the recording start, in ms. */
  readonly firstTimeMs: number;
}

/** Samples of one signal to store. */
export interface SignalInput {
  readonly name: string;
  readonly unit: string | null;
  readonly samplingHz: number | null;
  readonly firstTimeMs?: number;
  /** Physical values; NaN marks a missing sample. */
  readonly values: Float32Array;
  /** Required when `samplingHz` is null: the time of each sample from the recording start. */
  readonly timesMs?: Float64Array;
}

/** One annotation of a recording (a beat label, rhythm change, event). */
export interface RecordingAnnotation {
  /** Annotator, usually the annotation file's extension (`atr`, `qrs`). */
  readonly source: string;
  /** Frame number. */
  readonly sample: number;
  readonly tMs: number;
  readonly code: number;
  readonly symbol: string;
  readonly sub: number;
  readonly chan: number;
  readonly num: number;
  readonly aux: string | null;
}

/** The id and stored fingerprint of the recording with this source and key, or null. */
export function findRecording(
  db: Database.Database,
  source: string,
  sourceKey: string,
): { id: number; fingerprint: string | null } | null {
  const r = db
    .prepare(
      `SELECT id, json_extract(metadata_json, '$.fingerprint') AS fingerprint FROM recordings
       WHERE source = ? AND source_key = ?`,
    )
    .get(source, sourceKey) as { id: number; fingerprint: string | null } | undefined;
  return r ?? null;
}

/**
 * Creates a recording, or empties and rewrites the existing one with the same source and key
 * (its signals and annotations are deleted; labels on it are kept). Call inside a transaction.
 */
export function putRecording(db: Database.Database, input: RecordingInput): number {
  const existing = findRecording(db, input.source, input.sourceKey);
  const metadata = JSON.stringify(input.metadata);
  if (existing !== null) {
    db.prepare('DELETE FROM signals WHERE recording_id = ?').run(existing.id);
    db.prepare('DELETE FROM recording_annotations WHERE recording_id = ?').run(existing.id);
    db.prepare(
      `UPDATE recordings SET patient_id = ?, kind = ?, start_time = ?, duration_s = ?, metadata_json = ? WHERE id = ?`,
    ).run(input.patientId, input.kind, input.startTime, input.durationS, metadata, existing.id);
    return existing.id;
  }
  const info = db
    .prepare(
      `INSERT INTO recordings (patient_id, source, source_key, kind, start_time, duration_s, metadata_json)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(input.patientId, input.source, input.sourceKey, input.kind, input.startTime, input.durationS, metadata);
  return Number(info.lastInsertRowid);
}

function blobOf(view: Float32Array | Float64Array): Buffer {
  // Copy so the blob never aliases a larger pooled buffer; little-endian on every platform Node runs on.
  return Buffer.from(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Stores one signal's samples as Float32 chunk blobs (and Float64 times when irregular). */
export function addSignal(db: Database.Database, recordingId: number, signal: SignalInput): number {
  if (signal.samplingHz === null && signal.timesMs?.length !== signal.values.length)
    throw new Error(`signal ${signal.name}: irregular samples need one time per value`);
  const taken = db.prepare('SELECT name FROM signals WHERE recording_id = ?').pluck().all(recordingId) as string[];
  let name = signal.name;
  for (let n = 2; taken.includes(name); n++) name = `${signal.name} (${n})`;
  const id = Number(
    db
      .prepare(
        `INSERT INTO signals (recording_id, name, unit, sampling_hz, sample_count, first_time_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(recordingId, name, signal.unit, signal.samplingHz, signal.values.length, signal.firstTimeMs ?? 0)
      .lastInsertRowid,
  );
  const insert = db.prepare(
    `INSERT INTO signal_chunks (signal_id, chunk_index, first_sample, sample_count, values_f32, times_ms_f64)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (let first = 0, index = 0; first < signal.values.length; first += CHUNK_SAMPLES, index++) {
    const end = Math.min(first + CHUNK_SAMPLES, signal.values.length);
    insert.run(
      id,
      index,
      first,
      end - first,
      blobOf(signal.values.subarray(first, end)),
      signal.timesMs ? blobOf(signal.timesMs.subarray(first, end)) : null,
    );
  }
  return id;
}

/** Stores a recording's annotations. */
export function addRecordingAnnotations(
  db: Database.Database,
  recordingId: number,
  annotations: readonly RecordingAnnotation[],
): void {
  const insert = db.prepare(
    `INSERT INTO recording_annotations (recording_id, source, sample, t_ms, code, symbol, sub, chan, num, aux)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const a of annotations)
    insert.run(recordingId, a.source, a.sample, a.tMs, a.code, a.symbol, a.sub, a.chan, a.num, a.aux);
}

/** The recording with `id` and its signals, or null. */
export function getRecording(db: Database.Database, id: number): Recording | null {
  const r = db
    .prepare(
      `SELECT r.id, r.patient_id, p.patient_key, r.source, r.source_key, r.kind, r.start_time, r.duration_s,
              r.metadata_json
       FROM recordings r LEFT JOIN patients p ON p.id = r.patient_id WHERE r.id = ?`,
    )
    .get(id) as
    | {
        id: number;
        patient_id: number | null;
        patient_key: string | null;
        source: string;
        source_key: string | null;
        kind: string | null;
        start_time: string | null;
        duration_s: number | null;
        metadata_json: string | null;
      }
    | undefined;
  if (r === undefined) return null;
  return {
    id: r.id,
    patientId: r.patient_id,
    patientKey: r.patient_key,
    source: r.source,
    sourceKey: r.source_key,
    kind: r.kind,
    startTime: r.start_time,
    durationS: r.duration_s,
    metadata: r.metadata_json === null ? {} : (JSON.parse(r.metadata_json) as Record<string, unknown>),
    signals: listSignals(db, id),
  };
}

/** The signals of a recording, in the order they were stored. */
export function listSignals(db: Database.Database, recordingId: number): SignalInfo[] {
  const rows = db
    .prepare(
      `SELECT id, name, unit, sampling_hz, sample_count, first_time_ms FROM signals WHERE recording_id = ? ORDER BY id`,
    )
    .all(recordingId) as Array<{
    id: number;
    name: string;
    unit: string | null;
    sampling_hz: number | null;
    sample_count: number;
    first_time_ms: number | null;
  }>;
  return rows.map((s) => ({
    id: s.id,
    name: s.name,
    unit: s.unit,
    samplingHz: s.sampling_hz,
    sampleCount: s.sample_count,
    firstTimeMs: s.first_time_ms ?? 0,
  }));
}

function f32(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function f64(blob: Buffer): Float64Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float64Array(copy.buffer);
}

/**
 * Reads samples [from, to) of a signal, touching only the chunks that overlap, with the times of
 * irregular signals.
 */
export function readSamples(
  db: Database.Database,
  signalId: number,
  from: number,
  to: number,
): { values: Float32Array; timesMs: Float64Array | null } {
  const count = Math.max(0, to - from);
  const values = new Float32Array(count);
  let timesMs: Float64Array | null = null;
  const rows = db
    .prepare(
      `SELECT first_sample, sample_count, values_f32, times_ms_f64 FROM signal_chunks
       WHERE signal_id = ? AND first_sample < ? AND first_sample + sample_count > ? ORDER BY chunk_index`,
    )
    .all(signalId, to, from) as Array<{
    first_sample: number;
    sample_count: number;
    values_f32: Buffer;
    times_ms_f64: Buffer | null;
  }>;
  for (const row of rows) {
    const chunk = f32(row.values_f32);
    const lo = Math.max(from, row.first_sample);
    const hi = Math.min(to, row.first_sample + row.sample_count);
    values.set(chunk.subarray(lo - row.first_sample, hi - row.first_sample), lo - from);
    if (row.times_ms_f64 !== null) {
      timesMs ??= new Float64Array(count);
      timesMs.set(f64(row.times_ms_f64).subarray(lo - row.first_sample, hi - row.first_sample), lo - from);
    }
  }
  return { values, timesMs };
}

/** Reads a whole irregular signal's times (they are small: one value per measurement). */
export function readAllTimes(db: Database.Database, signal: SignalInfo): Float64Array {
  return readSamples(db, signal.id, 0, signal.sampleCount).timesMs ?? new Float64Array(0);
}

/** Annotations of a recording whose time falls in [fromMs, toMs), by time, at most `limit`. */
export function listRecordingAnnotations(
  db: Database.Database,
  recordingId: number,
  fromMs: number,
  toMs: number,
  limit: number,
  source?: string,
): RecordingAnnotation[] {
  const rows = db
    .prepare(
      `SELECT source, sample, t_ms, code, symbol, sub, chan, num, aux FROM recording_annotations
       WHERE recording_id = ? AND t_ms >= ? AND t_ms < ? ${source === undefined ? '' : 'AND source = ?'}
       ORDER BY t_ms, id LIMIT ?`,
    )
    .all(
      ...(source === undefined ? [recordingId, fromMs, toMs, limit] : [recordingId, fromMs, toMs, source, limit]),
    ) as Array<{
    source: string;
    sample: number;
    t_ms: number;
    code: number;
    symbol: string;
    sub: number;
    chan: number;
    num: number;
    aux: string | null;
  }>;
  return rows.map((a) => ({
    source: a.source,
    sample: a.sample,
    tMs: a.t_ms,
    code: a.code,
    symbol: a.symbol,
    sub: a.sub,
    chan: a.chan,
    num: a.num,
    aux: a.aux,
  }));
}

/** Annotation counts of a recording per annotator and symbol. */
export function countRecordingAnnotations(
  db: Database.Database,
  recordingId: number,
): Array<{ source: string; symbol: string; count: number }> {
  return db
    .prepare(
      `SELECT source, symbol, count(*) AS count FROM recording_annotations WHERE recording_id = ?
       GROUP BY source, symbol ORDER BY source, count DESC, symbol`,
    )
    .all(recordingId) as Array<{ source: string; symbol: string; count: number }>;
}
