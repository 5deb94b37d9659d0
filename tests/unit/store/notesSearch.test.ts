import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import {
  HIGHLIGHT_CLOSE,
  HIGHLIGHT_OPEN,
  searchNotes,
  toFtsQuery,
  upsertNote,
  type NoteHit,
  type SearchOptions,
} from '../../../native/store/notes.js';
import { ensurePatient } from '../../../native/store/patients.js';
import { tempDir } from '../helpers.js';

let store: StoreHandle;
beforeEach(() => {
  store = openStore(':memory:');
});
afterEach(() => store.close());

const FILLER = ['history', 'exam', 'knee', 'fever', 'cough', 'chest', 'pain', 'stable', 'follow', 'review', 'left'];
const CARDI = ['cardiac', 'cardiology', 'cardiomyopathy', 'cardiologist'];

/**
 * 700 notes of varied length: "patient" in 600 of them, 0 to 3 times (so bm25 scores differ and
 * tie), a "cardi…" word in every seventh, "chest pain" as a phrase in every ninth.
 */
function seed(db: Database.Database): void {
  let s = 11;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const p = ensurePatient(db, 'P1');
  db.transaction(() => {
    for (let i = 0; i < 700; i++) {
      const words = Array.from({ length: 5 + Math.floor(rnd() * 40) }, () => FILLER[Math.floor(rnd() * FILLER.length)]);
      const mentions = i % 7 === 3 ? 0 : 1 + Math.floor(rnd() * 3);
      for (let m = 0; m < mentions; m++) words.splice(Math.floor(rnd() * words.length), 0, 'patient');
      if (i % 7 === 0) words.splice(Math.floor(rnd() * words.length), 0, CARDI[i % CARDI.length]!);
      if (i % 9 === 0) words.push('chest', 'pain');
      upsertNote(db, {
        source: 'seed.csv',
        sourceKey: String(i),
        text: `Note ${i}: ${words.join(' ')}.`,
        ...(i % 5 === 0 ? { patientId: p } : {}),
      });
    }
  })();
}

interface Ref {
  id: number;
  rank: number;
  marked: string;
}

/** Every match with its bm25 and snippet, the naive way (snippet for every row, one sort). */
function reference(db: Database.Database, query: string, extra = ''): Ref[] {
  return db
    .prepare(
      `SELECT f.rowid AS id, bm25(notes_fts) AS rank, snippet(notes_fts, 0, ?, ?, '…', 24) AS marked
       FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts MATCH ? ${extra}
       ORDER BY bm25(notes_fts), f.rowid DESC`,
    )
    .all(HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE, toFtsQuery(query)) as Ref[];
}

/** A hit's snippet with its highlight ranges marked again, as FTS5's snippet() marks them. */
function marked(hit: NoteHit): string {
  let out = '';
  let at = 0;
  for (const [a, b] of hit.highlights) {
    out += `${hit.snippet.slice(at, a)}${HIGHLIGHT_OPEN}${hit.snippet.slice(a, b)}${HIGHLIGHT_CLOSE}`;
    at = b;
  }
  return out + hit.snippet.slice(at);
}

/** Every page of a search, in order, until no hits remain. */
function allPages(db: Database.Database, query: string, options: Omit<SearchOptions, 'offset'>) {
  const hits: NoteHit[] = [];
  let total = -1;
  let ranked = -1;
  for (let offset = 0; ; offset += options.limit) {
    const r = searchNotes(db, query, { ...options, offset });
    if (total >= 0) expect([r.total, r.ranked]).toEqual([total, ranked]);
    total = r.total;
    ranked = r.ranked;
    if (r.hits.length === 0) break;
    expect(r.hits.length).toBe(Math.min(options.limit, total - offset));
    hits.push(...r.hits);
  }
  return { total, ranked, hits };
}

const asRef = (h: NoteHit): Ref => ({ id: h.id, rank: h.rank, marked: marked(h) });

describe('notes search: ranking and page snippets', () => {
  it('pages equal the naive full ranking, each row with its own snippet and highlights', () => {
    seed(store.db);
    for (const query of ['patient', 'cardi*', '"chest pain"', 'cardiology OR chest', 'patient NOT knee', 'pati*']) {
      const ref = reference(store.db, query);
      expect(ref.length).toBeGreaterThan(0);
      // limit 1 looks the page's id up in FTS5 for "patient" (600 matches); larger pages walk the matches.
      for (const limit of query === 'patient' ? [1, 7, 50] : [7, 50]) {
        const got = allPages(store.db, query, { limit });
        expect(got.total).toBe(ref.length);
        expect(got.ranked).toBe(ref.length);
        expect(got.hits.map(asRef)).toEqual(ref);
      }
    }
  });

  it('highlights every expansion of a prefix in the row it belongs to', () => {
    seed(store.db);
    const r = searchNotes(store.db, 'cardi*', { limit: 200 });
    expect(r.total).toBe(100);
    const seen = new Set<string>();
    for (const h of r.hits) {
      const terms = h.highlights.map(([a, b]) => h.snippet.slice(a, b).toLowerCase());
      expect(terms.length).toBeGreaterThan(0);
      for (const t of terms) expect(t.startsWith('cardi')).toBe(true);
      terms.forEach((t) => seen.add(t));
      const text = store.db.prepare('SELECT text FROM notes WHERE id = ?').pluck().get(h.id) as string;
      expect(text).toContain(h.snippet.replace(/^…|…$/g, ''));
    }
    expect([...seen].sort()).toEqual([...CARDI].sort());
  });

  it('filters by patient and pages past the end', () => {
    seed(store.db);
    const p = ensurePatient(store.db, 'P1');
    const ref = reference(store.db, 'patient', `AND n.patient_id = ${p}`);
    const got = allPages(store.db, 'patient', { limit: 9, patientId: p, rankedMatchesMax: 10 });
    expect(got).toMatchObject({ total: ref.length, ranked: ref.length });
    expect(got.hits.map(asRef)).toEqual(ref);
    expect(searchNotes(store.db, 'patient', { limit: 5, offset: 10_000 })).toEqual({
      total: 600,
      ranked: 600,
      hits: [],
    });
    expect(searchNotes(store.db, 'patient', { limit: 5, offset: 600, rankedMatchesMax: 50 })).toEqual({
      total: 600,
      ranked: 50,
      hits: [],
    });
  });
});

describe('notes search: very common terms', () => {
  it('ranks the newest matches past the cap, then lists the rest newest first, each once', () => {
    seed(store.db);
    const ref = reference(store.db, 'patient');
    expect(ref).toHaveLength(600);
    const cap = 50;
    const newest = new Set(
      ref
        .map((r) => r.id)
        .sort((a, b) => b - a)
        .slice(0, cap),
    );
    const byId = new Map(ref.map((r) => [r.id, r]));
    const expected = [
      ...ref.filter((r) => newest.has(r.id)),
      ...[...byId.keys()]
        .filter((id) => !newest.has(id))
        .sort((a, b) => b - a)
        .map((id) => byId.get(id)!),
    ];
    // 7 does not divide 50: one page holds the last ranked rows and the first of the rest.
    for (const limit of [7, 50, 200]) {
      const got = allPages(store.db, 'patient', { limit, rankedMatchesMax: cap });
      expect(got.total).toBe(600);
      expect(got.ranked).toBe(cap);
      expect(got.hits.map(asRef)).toEqual(expected);
    }
    // The first page is the best of the newest matches, with the scores of the full ranking.
    const first = searchNotes(store.db, 'patient', { limit: 3, rankedMatchesMax: cap }).hits;
    expect(first.map((h) => h.rank)).toEqual(
      ref
        .filter((r) => newest.has(r.id))
        .slice(0, 3)
        .map((r) => r.rank),
    );
  });

  it('ranks in full under the cap, with OR, and within a patient', () => {
    seed(store.db);
    const full = (query: string, opts: Partial<SearchOptions> = {}) => {
      const got = allPages(store.db, query, { limit: 25, ...opts });
      expect(got.ranked).toBe(got.total);
      return got.hits.map(asRef);
    };
    expect(full('patient', { rankedMatchesMax: 600 })).toEqual(reference(store.db, 'patient'));
    // A rare alternative must not sink below a common one's newest matches.
    const or = reference(store.db, 'cardiomyopathy OR patient');
    expect(full('cardiomyopathy OR patient', { rankedMatchesMax: 10 })).toEqual(or);
    expect(or.slice(0, 25).every((r) => r.marked.toLowerCase().includes('cardiomyopathy'))).toBe(true);
    const p = ensurePatient(store.db, 'P1');
    expect(full('patient', { rankedMatchesMax: 10, patientId: p })).toEqual(
      reference(store.db, 'patient', `AND n.patient_id = ${p}`),
    );
  });
});

describe('notes search: snapshot', () => {
  it('counts and pages from one snapshot while another connection deletes matches', () => {
    const dir = tempDir();
    const file = join(dir.path, 's.sqlite');
    const a = openStore(file);
    const b = openStore(file);
    try {
      seed(a.db);
      const prepare = a.db.prepare.bind(a.db);
      let deleted = 0;
      // Between the count and the cut of the newest matches, an import on its own connection
      // deletes most notes: the cut must still be taken from the notes that were counted.
      a.db.prepare = ((sql: string) => {
        if (deleted === 0 && sql.includes('ORDER BY rowid DESC LIMIT 1'))
          deleted = b.db.prepare('DELETE FROM notes WHERE id > 100').run().changes;
        return prepare(sql);
      }) as typeof a.db.prepare;
      const r = searchNotes(a.db, 'patient', { limit: 5, rankedMatchesMax: 200 });
      a.db.prepare = prepare;
      expect(deleted).toBe(600);
      expect(r).toMatchObject({ total: 600, ranked: 200 });
      expect(r.hits).toHaveLength(5);
      expect(searchNotes(a.db, 'patient', { limit: 5 }).total).toBeLessThan(100);
    } finally {
      b.close();
      a.close();
      dir.cleanup();
    }
  });
});

describe('notes search: query plans', () => {
  /** The statements searchNotes prepares, with SQLite's plan for each. */
  function plans(query: string, options: SearchOptions): Array<{ sql: string; plan: string }> {
    const seen: string[] = [];
    const prepare = store.db.prepare.bind(store.db);
    store.db.prepare = ((sql: string) => {
      seen.push(sql);
      return prepare(sql);
    }) as typeof store.db.prepare;
    try {
      searchNotes(store.db, query, options);
    } finally {
      store.db.prepare = prepare;
    }
    return seen.map((sql) => {
      const params = sql.includes('@q')
        ? [{ q: 'x', open: '', close: '', tokens: 8, lo: 1n, hi: 2n, ids: '[1]' }]
        : Array.from(sql.matchAll(/\?/g), () => 1n);
      const rows = prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
      return { sql, plan: rows.map((r) => r.detail).join('; ') };
    });
  }

  it('builds snippets apart from sorting, and bounds the scan of prefixes and common terms', () => {
    seed(store.db);
    const prefix = plans('cardi*', { limit: 20 });
    for (const { sql } of prefix) if (sql.includes('snippet(')) expect(sql).not.toMatch(/ORDER BY/);
    const page = prefix.find((s) => s.sql.includes('snippet('))!;
    // FTS5 plans a rowid range (`>` `<` in its index string), not one MATCH per id (`=`): a
    // prefix query would expand its terms again for each.
    expect(page.plan).toMatch(/notes_fts VIRTUAL TABLE INDEX \d+:M1></);
    const common = plans('patient', { limit: 20, rankedMatchesMax: 50 });
    const rankedScan = common.find((s) => /ORDER BY bm25/.test(s.sql))!;
    expect(rankedScan.plan).toMatch(/INDEX \d+:M1>/);
    // Within a patient: the patient's ids as a list, not a notes row read for every match.
    const p = ensurePatient(store.db, 'P1');
    for (const { sql, plan } of plans('patient', { limit: 20, patientId: p }))
      if (!sql.includes('snippet(')) expect(plan).toMatch(/notes_fts VIRTUAL TABLE.*notes_patient \(patient_id=\?\)/);
  });
});
