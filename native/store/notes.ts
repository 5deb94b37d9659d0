import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';

/** A note to store, as an importer produced it. */
export interface NoteInput {
  /** File (or other origin) the note came from; with `sourceKey` it identifies the note. */
  readonly source: string;
  /** Id of the note within its source (an id column, else `row:N` / the file name). */
  readonly sourceKey: string;
  readonly text: string;
  readonly patientId?: number | null;
  readonly title?: string | null;
  readonly kind?: string | null;
  readonly author?: string | null;
  /** ISO 8601 date or date-time when known. */
  readonly date?: string | null;
  readonly language?: string | null;
}

/** A stored note. */
export interface Note {
  readonly id: number;
  readonly patientId: number | null;
  readonly patientKey: string | null;
  readonly source: string;
  readonly sourceKey: string | null;
  readonly title: string | null;
  readonly kind: string | null;
  readonly author: string | null;
  readonly date: string | null;
  readonly language: string | null;
  readonly text: string;
  readonly createdAt: string;
}

/** What {@link upsertNote} did. */
export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged';

/**
 * Inserts a note, or updates the stored note with the same source and key when its content
 * changed; re-importing the same file therefore changes nothing.
 */
export function upsertNote(db: Database.Database, note: NoteInput): { id: number; outcome: UpsertOutcome } {
  const values = [
    note.patientId ?? null,
    note.title ?? null,
    note.kind ?? null,
    note.author ?? null,
    note.date ?? null,
    note.language ?? null,
    note.text,
  ];
  const existing = db
    .prepare(
      `SELECT id, patient_id, title, kind, author, note_date, language, text FROM notes
       WHERE source = ? AND source_key = ?`,
    )
    .raw()
    .get(note.source, note.sourceKey) as unknown[] | undefined;
  if (existing === undefined) {
    const info = db
      .prepare(
        `INSERT INTO notes (patient_id, title, kind, author, note_date, language, text, source, source_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...values, note.source, note.sourceKey);
    return { id: Number(info.lastInsertRowid), outcome: 'inserted' };
  }
  const id = existing[0] as number;
  if (values.every((v, i) => v === existing[i + 1])) return { id, outcome: 'unchanged' };
  db.prepare(
    `UPDATE notes SET patient_id = ?, title = ?, kind = ?, author = ?, note_date = ?, language = ?, text = ?
     WHERE id = ?`,
  ).run(...values, id);
  return { id, outcome: 'updated' };
}

interface NoteRow {
  id: number;
  patient_id: number | null;
  patient_key: string | null;
  source: string;
  source_key: string | null;
  title: string | null;
  kind: string | null;
  author: string | null;
  note_date: string | null;
  language: string | null;
  text: string;
  created_at: string;
}

function toNote(r: NoteRow): Note {
  return {
    id: r.id,
    patientId: r.patient_id,
    patientKey: r.patient_key,
    source: r.source,
    sourceKey: r.source_key,
    title: r.title,
    kind: r.kind,
    author: r.author,
    date: r.note_date,
    language: r.language,
    text: r.text,
    createdAt: r.created_at,
  };
}

const NOTE_COLUMNS = `n.id, n.patient_id, p.patient_key, n.source, n.source_key, n.title, n.kind, n.author,
  n.note_date, n.language, n.text, n.created_at`;

/** The note with `id`, or null. */
export function getNote(db: Database.Database, id: number): Note | null {
  const r = db
    .prepare(`SELECT ${NOTE_COLUMNS} FROM notes n LEFT JOIN patients p ON p.id = n.patient_id WHERE n.id = ?`)
    .get(id) as NoteRow | undefined;
  return r === undefined ? null : toNote(r);
}

/** The id of the note with this source and key, or null. */
export function findNoteId(db: Database.Database, source: string, sourceKey: string): number | null {
  const r = db.prepare('SELECT id FROM notes WHERE source = ? AND source_key = ?').get(source, sourceKey) as
    { id: number } | undefined;
  return r?.id ?? null;
}

/** Markers placed around matched terms in search snippets and highlights. */
export const HIGHLIGHT_OPEN = '\u0002';
/** Closing marker; see {@link HIGHLIGHT_OPEN}. */
export const HIGHLIGHT_CLOSE = '\u0003';

/** One search hit. */
export interface NoteHit {
  readonly id: number;
  readonly patientKey: string | null;
  readonly title: string | null;
  readonly date: string | null;
  readonly source: string;
  /** bm25 rank; lower is better. */
  readonly rank: number;
  /** A window of about `snippetTokens` tokens around the best match. */
  readonly snippet: string;
  /** Matched terms inside `snippet` as [start, end) UTF-16 offsets. */
  readonly highlights: Array<readonly [number, number]>;
}

/** Options of {@link searchNotes}. */
export interface SearchOptions {
  readonly limit: number;
  readonly offset?: number;
  readonly patientId?: number;
  readonly snippetTokens?: number;
}

/**
 * Turns what a user types into a safe FTS5 query: words are quoted (so `-`, `:` or a stray `"`
 * are not syntax), `"quoted phrases"` stay phrases, a trailing `*` keeps prefix search, and
 * the upper-case words OR / NOT / AND keep their meaning. Returns null when nothing searchable
 * remains.
 */
export function toFtsQuery(input: string): string | null {
  const parts: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let pendingOp: string | null = null;
  for (const m of input.matchAll(re)) {
    if (m[1] !== undefined) {
      const words = m[1].match(/[\p{L}\p{N}_]+/gu);
      if (words === null) continue;
      if (pendingOp !== null && parts.length > 0) parts.push(pendingOp);
      pendingOp = null;
      parts.push(`"${words.join(' ')}"`);
      continue;
    }
    const raw = m[2]!;
    if (raw === 'OR' || raw === 'NOT' || raw === 'AND') {
      pendingOp = raw;
      continue;
    }
    const prefix = raw.endsWith('*');
    const words = raw.match(/[\p{L}\p{N}_]+/gu);
    if (words === null) continue;
    if (pendingOp !== null && parts.length > 0) parts.push(pendingOp);
    pendingOp = null;
    parts.push(`"${words.join(' ')}"${prefix ? ' *' : ''}`);
  }
  return parts.length === 0 ? null : parts.join(' ');
}

/** Splits a marked snippet into plain text and highlight ranges. */
function unmark(marked: string): { text: string; highlights: Array<readonly [number, number]> } {
  let text = '';
  const highlights: Array<readonly [number, number]> = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === HIGHLIGHT_OPEN) start = text.length;
    else if (ch === HIGHLIGHT_CLOSE) {
      if (start >= 0 && text.length > start) highlights.push([start, text.length]);
      start = -1;
    } else text += ch;
  }
  return { text, highlights };
}

/**
 * Full-text search over notes, best matches first (bm25), with a snippet around the match
 * and the matched ranges in it.
 */
export function searchNotes(
  db: Database.Database,
  query: string,
  options: SearchOptions,
): { total: number; hits: NoteHit[] } {
  const fts = toFtsQuery(query);
  if (fts === null) return { total: 0, hits: [] };
  const tokens = Math.max(4, Math.min(64, options.snippetTokens ?? 24));
  const byPatient = options.patientId !== undefined;
  const params = {
    q: fts,
    patient: options.patientId ?? null,
    limit: options.limit,
    offset: options.offset ?? 0,
    open: HIGHLIGHT_OPEN,
    close: HIGHLIGHT_CLOSE,
    tokens,
  };
  // Rank first (rowids and bm25 only), then build snippets for the page's rows alone: selecting
  // snippet() alongside ORDER BY would build one for every match before sorting, and a CTE used
  // twice is evaluated twice. bm25() in ORDER BY is cheaper than the `rank` column (which goes
  // through FTS5's generic rank-function path for every match).
  const top = byPatient
    ? `SELECT f.rowid AS id, bm25(notes_fts) AS rank FROM notes_fts f JOIN notes n ON n.id = f.rowid
       WHERE notes_fts MATCH @q AND n.patient_id = @patient ORDER BY bm25(notes_fts) LIMIT @limit OFFSET @offset`
    : `SELECT rowid AS id, bm25(notes_fts) AS rank FROM notes_fts WHERE notes_fts MATCH @q
       ORDER BY bm25(notes_fts) LIMIT @limit OFFSET @offset`;
  try {
    const ranked = db.prepare(top).all(params) as Array<{ id: number; rank: number }>;
    // One pass over the match list for the page: FTS5 narrows its scan to the rowid range (bound as
    // INTEGER, see highlightNote) and snippet() runs only for the rows the IN list keeps. One call
    // per row would expand a prefix query's terms again for each.
    const ids = ranked.map((r) => r.id);
    const details =
      ids.length === 0
        ? []
        : (db
            .prepare(
              `SELECT n.id, p.patient_key, n.title, n.note_date, n.source,
                      snippet(notes_fts, 0, @open, @close, '…', @tokens) AS snippet
               FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid LEFT JOIN patients p ON p.id = n.patient_id
               WHERE notes_fts MATCH @q AND notes_fts.rowid >= @lo AND notes_fts.rowid <= @hi
                 AND notes_fts.rowid IN (SELECT value FROM json_each(@ids))`,
            )
            .all({
              q: fts,
              open: HIGHLIGHT_OPEN,
              close: HIGHLIGHT_CLOSE,
              tokens,
              lo: BigInt(Math.min(...ids)),
              hi: BigInt(Math.max(...ids)),
              ids: JSON.stringify(ids),
            }) as Array<{
            id: number;
            patient_key: string | null;
            title: string | null;
            note_date: string | null;
            source: string;
            snippet: string;
          }>);
    const byId = new Map(details.map((d) => [d.id, d]));
    const rows = ranked.flatMap((r) => {
      const row = byId.get(r.id);
      return row === undefined ? [] : [{ ...row, rank: r.rank }];
    });
    const total = (
      byPatient
        ? db
            .prepare(
              `SELECT count(*) FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts MATCH ? AND n.patient_id = ?`,
            )
            .pluck()
            .get(fts, params.patient)
        : db.prepare('SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ?').pluck().get(fts)
    ) as number;
    return {
      total,
      hits: rows.map((r) => {
        const { text, highlights } = unmark(r.snippet);
        return {
          id: r.id,
          patientKey: r.patient_key,
          title: r.title,
          date: r.note_date,
          source: r.source,
          rank: r.rank,
          snippet: text,
          highlights,
        };
      }),
    };
  } catch (error) {
    if (error instanceof Error && /fts5|syntax/i.test(error.message))
      throw new OslerError(
        'invalid-input',
        `cannot search for ${JSON.stringify(query.slice(0, 80))}: ${error.message}`,
      );
    throw error;
  }
}

/** Highlight ranges of the query's terms in a whole note (for the note view). */
export function highlightNote(db: Database.Database, id: number, query: string): Array<readonly [number, number]> {
  const fts = toFtsQuery(query);
  if (fts === null) return [];
  const r = db
    .prepare(`SELECT highlight(notes_fts, 0, ?, ?) AS marked FROM notes_fts WHERE notes_fts MATCH ? AND rowid = ?`)
    // FTS5 honours a rowid constraint only for an INTEGER value; better-sqlite3 binds JS numbers
    // as REAL, so without BigInt the constraint is ignored and the first match's text comes back.
    .get(HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE, fts, BigInt(id)) as { marked: string } | undefined;
  return r === undefined ? [] : unmark(r.marked).highlights;
}
