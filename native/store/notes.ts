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

/**
 * Most matches a query without OR has ranked by relevance. bm25 scores every candidate row (its
 * term positions plus a docsize lookup, about 0.35 µs a row here), so ranking a word found in
 * most notes (e.g. "patient" in 56,000 of 100,000) cost over 20 ms a page. Past this many matches
 * the most recently added ones are ranked and the rest follow, newest first; see
 * {@link searchNotes}. Such a word is close to a stop word: when it is in more than half of the
 * notes, FTS5's own bm25 gives it an IDF of 1e-6.
 */
export const RANKED_MATCHES_MAX = 20_000;

/** Options of {@link searchNotes}. */
export interface SearchOptions {
  readonly limit: number;
  readonly offset?: number;
  readonly patientId?: number;
  readonly snippetTokens?: number;
  /** See {@link RANKED_MATCHES_MAX} (the default). */
  readonly rankedMatchesMax?: number;
}

/** Answer of {@link searchNotes}. */
export interface SearchResult {
  /** Every match of the query (not capped). */
  readonly total: number;
  /**
   * How many of the matches were ordered by relevance: `total`, or the cap when the query had
   * more matches than that (those ranked come first, the others after them, newest first).
   */
  readonly ranked: number;
  readonly hits: NoteHit[];
}

/** A user query compiled to FTS5 syntax, with what the search plan needs to know about it. */
interface CompiledQuery {
  readonly fts: string;
  /** Has an OR: a match need not contain every phrase, so rare phrases can hide among common ones. */
  readonly or: boolean;
  /** Has a prefix phrase (`word*`): FTS5 expands it to every indexed term with that prefix. */
  readonly prefix: boolean;
}

function compileQuery(input: string): CompiledQuery | null {
  const parts: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let pendingOp: string | null = null;
  let or = false;
  let prefix = false;
  const push = (phrase: string) => {
    if (pendingOp !== null && parts.length > 0) {
      parts.push(pendingOp);
      if (pendingOp === 'OR') or = true;
    }
    pendingOp = null;
    parts.push(phrase);
  };
  for (const m of input.matchAll(re)) {
    if (m[1] !== undefined) {
      const words = m[1].match(/[\p{L}\p{N}_]+/gu);
      if (words !== null) push(`"${words.join(' ')}"`);
      continue;
    }
    const raw = m[2]!;
    if (raw === 'OR' || raw === 'NOT' || raw === 'AND') {
      pendingOp = raw;
      continue;
    }
    const words = raw.match(/[\p{L}\p{N}_]+/gu);
    if (words === null) continue;
    const isPrefix = raw.endsWith('*');
    prefix ||= isPrefix;
    push(`"${words.join(' ')}"${isPrefix ? ' *' : ''}`);
  }
  return parts.length === 0 ? null : { fts: parts.join(' '), or, prefix };
}

/**
 * Turns what a user types into a safe FTS5 query: words are quoted (so `-`, `:` or a stray `"`
 * are not syntax), `"quoted phrases"` stay phrases, a trailing `*` keeps prefix search, and
 * the upper-case words OR / NOT / AND keep their meaning. Returns null when nothing searchable
 * remains.
 */
export function toFtsQuery(input: string): string | null {
  return compileQuery(input)?.fts ?? null;
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

interface Ranked {
  id: number;
  rank: number;
}

/**
 * The page of a query without a patient filter whose matches exceed `cap`: the `cap` most
 * recently added matches (highest ids) ranked by bm25, then the older ones newest first. FTS5
 * walks its doclist in rowid order and honours an INTEGER rowid bound, so finding the cut and
 * ranking above it cost about `cap` rows, not `total`. The scores are the same bm25 the full
 * ranking gives (IDF and average length come from the whole index).
 */
function boundedPage(db: Database.Database, fts: string, cap: number, limit: number, offset: number): Ranked[] {
  const cut = db
    .prepare('SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?')
    .pluck()
    .get(fts, cap - 1) as number;
  const rows: Ranked[] = [];
  if (offset < cap)
    rows.push(
      ...(db
        .prepare(
          `SELECT rowid AS id, bm25(notes_fts) AS rank FROM notes_fts WHERE notes_fts MATCH ? AND rowid >= ?
           ORDER BY bm25(notes_fts), rowid DESC LIMIT ? OFFSET ?`,
        )
        .all(fts, BigInt(cut), Math.min(limit, cap - offset), offset) as Ranked[]),
    );
  const rest = limit - rows.length;
  if (rest > 0)
    rows.push(
      ...(db
        .prepare(
          `SELECT rowid AS id, bm25(notes_fts) AS rank FROM notes_fts WHERE notes_fts MATCH ? AND rowid < ?
           ORDER BY rowid DESC LIMIT ? OFFSET ?`,
        )
        .all(fts, BigInt(cut), rest, Math.max(0, offset - cap)) as Ranked[]),
    );
  return rows;
}

interface PageRow {
  id: number;
  patient_key: string | null;
  title: string | null;
  note_date: string | null;
  source: string;
  snippet: string;
}

/** Matches one `ids` row costs more than a pass over the matches (measured: ~30 µs vs ~65 ns). */
const SCAN_MATCHES_PER_ID = 500;

/**
 * Note columns and snippets of the ranked page's rows only. Two plans, one result: FTS5 either
 * looks each id up (`rowid IN` as its constraint, which re-runs the MATCH once per id; a prefix
 * query then expands its terms again each time, ~0.5 ms a row) or walks the matches between the
 * lowest and highest id once, with the id list as a plain filter (`+rowid`), so snippet() still
 * runs for the page's rows alone. The walk wins unless the query has many matches and no prefix.
 * `matches` is how many notes match the query in the whole index (Infinity when not known).
 */
function pageRows(db: Database.Database, q: CompiledQuery, ids: number[], matches: number, tokens: number): PageRow[] {
  if (ids.length === 0) return [];
  const lookUp = !q.prefix && matches > ids.length * SCAN_MATCHES_PER_ID;
  return db
    .prepare(
      `SELECT n.id, p.patient_key, n.title, n.note_date, n.source,
              snippet(notes_fts, 0, @open, @close, '…', @tokens) AS snippet
       FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid LEFT JOIN patients p ON p.id = n.patient_id
       WHERE notes_fts MATCH @q AND notes_fts.rowid >= @lo AND notes_fts.rowid <= @hi
         AND ${lookUp ? '' : '+'}notes_fts.rowid IN (SELECT value FROM json_each(@ids))`,
    )
    .all({
      q: q.fts,
      open: HIGHLIGHT_OPEN,
      close: HIGHLIGHT_CLOSE,
      tokens,
      // INTEGER, not REAL: FTS5 ignores a rowid bound bound as a double (see highlightNote).
      lo: BigInt(Math.min(...ids)),
      hi: BigInt(Math.max(...ids)),
      ids: JSON.stringify(ids),
    }) as PageRow[];
}

/**
 * Full-text search over notes, best matches first (bm25), with a snippet around the match
 * and the matched ranges in it. Snippets are built for the returned page only.
 *
 * When a query without OR and without a patient filter matches more than `rankedMatchesMax`
 * notes (default {@link RANKED_MATCHES_MAX}), only the most recently added that many are ranked;
 * the other matches follow them, newest first, so paging still lists every match exactly once
 * and `total` stays exact. Queries with OR are always ranked in full, so a rare alternative is
 * never buried under a common one.
 */
export function searchNotes(db: Database.Database, query: string, options: SearchOptions): SearchResult {
  const q = compileQuery(query);
  if (q === null) return { total: 0, ranked: 0, hits: [] };
  const tokens = Math.max(4, Math.min(64, options.snippetTokens ?? 24));
  const offset = options.offset ?? 0;
  const cap = Math.max(1, options.rankedMatchesMax ?? RANKED_MATCHES_MAX);
  try {
    // One read transaction: the count, the cut and the page come from the same snapshot while an
    // import commits batches on its own connection.
    return db.transaction((): SearchResult => {
      let total: number;
      let ranked: Ranked[];
      let bounded = false;
      // Rank first (rowids and bm25 only), then build snippets for the page's rows alone: selecting
      // snippet() alongside ORDER BY would build one for every match before sorting. bm25() in
      // ORDER BY is cheaper than the `rank` column (FTS5's generic rank-function path per match).
      // The rowid tie-break keeps pages from repeating or skipping rows with equal scores.
      if (options.patientId !== undefined) {
        // One walk of the matches with the patient's note ids as a plain filter (`+rowid`, a
        // bloom-filtered list; joining `notes` read a notes row per match, 30 ms for "patient" at
        // 100k notes), ranking all of that patient's matches, which also counts them.
        const all = db
          .prepare(
            `SELECT rowid AS id, bm25(notes_fts) AS rank FROM notes_fts
             WHERE notes_fts MATCH ? AND +rowid IN (SELECT id FROM notes WHERE patient_id = ?)
             ORDER BY bm25(notes_fts), rowid DESC`,
          )
          .all(q.fts, options.patientId) as Ranked[];
        total = all.length;
        ranked = all.slice(offset, offset + options.limit);
      } else {
        total = db.prepare('SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ?').pluck().get(q.fts) as number;
        bounded = !q.or && total > cap;
        ranked =
          offset >= total
            ? []
            : bounded
              ? boundedPage(db, q.fts, cap, options.limit, offset)
              : (db
                  .prepare(
                    `SELECT rowid AS id, bm25(notes_fts) AS rank FROM notes_fts WHERE notes_fts MATCH ?
                     ORDER BY bm25(notes_fts), rowid DESC LIMIT ? OFFSET ?`,
                  )
                  .all(q.fts, options.limit, offset) as Ranked[]);
      }
      const byId = new Map(
        pageRows(
          db,
          q,
          ranked.map((r) => r.id),
          // Within a patient, `total` counts that patient's matches only.
          options.patientId === undefined ? total : Infinity,
          tokens,
        ).map((d) => [d.id, d]),
      );
      const hits = ranked.flatMap((r): NoteHit[] => {
        const row = byId.get(r.id);
        if (row === undefined) return [];
        const { text, highlights } = unmark(row.snippet);
        return [
          {
            id: r.id,
            patientKey: row.patient_key,
            title: row.title,
            date: row.note_date,
            source: row.source,
            rank: r.rank,
            snippet: text,
            highlights,
          },
        ];
      });
      return { total, ranked: bounded ? cap : total, hits };
    })();
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
