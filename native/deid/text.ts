import { shiftYmd } from './pseudonyms.js';

/** Kinds of identifier replaced in free text, named by their placeholder. */
export type PlaceholderKind = 'DATE' | 'PHONE' | 'EMAIL' | 'ID' | 'NAME';

/** What the text de-identifier knows about the record a text belongs to. */
export interface TextContext {
  /** Names known from the record (patient name fields, note author), in any form (`DOE^JANE`, `Jane Doe`). */
  readonly names: readonly string[];
  /** Identifiers known from the record (patient key, record numbers). */
  readonly ids: readonly string[];
  /** Whole days to shift dates by (retain-dates), or null to replace them with `[DATE]`. */
  readonly dateShiftDays: number | null;
}

/** A de-identified text and how many of each identifier it replaced. */
export interface TextResult {
  readonly text: string;
  readonly counts: Readonly<Record<PlaceholderKind, number>>;
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MONTH_RE =
  '(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const ORD = '(?:st|nd|rd|th)?';
// Letters and digits on either side end a match: "\b" does not know non-ASCII letters.
const L = '(?<![\\p{L}\\p{N}])';
const R = '(?![\\p{L}\\p{N}])';

function monthIndex(name: string): number {
  const n = name.toLowerCase().slice(0, 3);
  return MONTHS.findIndex((m) => m.startsWith(n));
}

function formatMonth(index: number, like: string): string {
  const full = MONTHS[index]!;
  const word = like.replace(/\.$/, '').length > 3 && like.toLowerCase() !== 'sept' ? full : full.slice(0, 3);
  const cased = like === like.toUpperCase() ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1);
  return cased + (like.endsWith('.') ? '.' : '');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function expandYear(y: string): number {
  if (y.length === 4) return Number(y);
  const n = Number(y);
  return n < 50 ? 2000 + n : 1900 + n;
}

function formatYear(year: number, like: string): string {
  return like.length === 2 ? pad2(year % 100) : String(year);
}

interface Rule {
  readonly kind: PlaceholderKind;
  readonly re: RegExp;
  /** The replacement (shifted date), or null for the placeholder. Receives the match groups. */
  readonly shift?: (m: RegExpExecArray, days: number) => string | null;
  /** Checks a candidate before replacing it. */
  readonly accept?: (m: RegExpExecArray) => boolean;
  /** Group holding the part to replace (the label before it stays); whole match when absent. */
  readonly group?: number;
}

/** Month names count only capitalised: "may 5" is a verb and a number, "May 5" a date. */
const capitalised = (word: string) => /^\p{Lu}/u.test(word);

const digitsIn = (s: string) => s.replace(/\D/g, '').length;

const RULES: readonly Rule[] = [
  { kind: 'EMAIL', re: new RegExp(`${L}[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}.-]+\\.[\\p{L}]{2,}${R}`, 'gu') },
  {
    // ISO dates, optionally with a time: 2024-03-05, 2024/03/05, 2024-03-05T10:20.
    kind: 'DATE',
    re: new RegExp(`${L}(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})${R}`, 'gu'),
    shift: (m, days) => {
      const s = shiftYmd(Number(m[1]), Number(m[3]), Number(m[4]), days);
      return s && `${s[0]}${m[2]}${pad2(s[1])}${m[2]}${pad2(s[2])}`;
    },
  },
  {
    // Numeric day/month/year in either order: 3/5/2024, 05.03.24, 12-31-2023.
    kind: 'DATE',
    re: new RegExp(`${L}(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{4}|\\d{2})${R}`, 'gu'),
    shift: (m, days) => {
      let a = Number(m[1]);
      let b = Number(m[3]);
      const dayFirst = a > 12;
      const [month, day] = dayFirst ? [b, a] : [a, b];
      const s = shiftYmd(expandYear(m[4]!), month, day, days);
      if (s === null) return null;
      [a, b] = dayFirst ? [s[2], s[1]] : [s[1], s[2]];
      const w = (n: number, like: string) => (like.length === 2 ? pad2(n) : String(n));
      return `${w(a, m[1]!)}${m[2]}${w(b, m[3]!)}${m[2]}${formatYear(s[0], m[4]!)}`;
    },
  },
  {
    // Month name first: March 5, 2024 / Mar. 5th 2024 / March 5 (no year).
    kind: 'DATE',
    re: new RegExp(`${L}${MONTH_RE}(\\.?)\\s+(\\d{1,2})${ORD}(?:(,?\\s+)(\\d{4}))?${R}`, 'giu'),
    accept: (m) => capitalised(m[1]!),
    shift: (m, days) => {
      const month = monthIndex(m[1]!);
      const year = m[5] === undefined ? 2001 : Number(m[5]);
      const s = shiftYmd(year, month + 1, Number(m[3]), days);
      if (s === null) return null;
      const head = `${formatMonth(s[1] - 1, m[1]! + m[2]!)} ${s[2]}`;
      return m[5] === undefined ? head : `${head}${m[4]}${s[0]}`;
    },
  },
  {
    // Day first: 5 March 2024 / 5th Mar 2024.
    kind: 'DATE',
    re: new RegExp(`${L}(\\d{1,2})${ORD}\\s+${MONTH_RE}(\\.?),?\\s+(\\d{4})${R}`, 'giu'),
    accept: (m) => capitalised(m[2]!),
    shift: (m, days) => {
      const s = shiftYmd(Number(m[4]), monthIndex(m[2]!) + 1, Number(m[1]), days);
      return s && `${s[2]} ${formatMonth(s[1] - 1, m[2]! + m[3]!)} ${s[0]}`;
    },
  },
  {
    // Month and year: March 2024 (shifted through the middle of the month).
    kind: 'DATE',
    re: new RegExp(`${L}${MONTH_RE}(\\.?),?\\s+(\\d{4})${R}`, 'giu'),
    accept: (m) => capitalised(m[1]!),
    shift: (m, days) => {
      const s = shiftYmd(Number(m[3]), monthIndex(m[1]!) + 1, 15, days);
      return s && `${formatMonth(s[1] - 1, m[1]! + m[2]!)} ${s[0]}`;
    },
  },
  {
    // A number after a record-number label: MRN: 123456, Medical record number 12-345, SSN 123-45-6789.
    kind: 'ID',
    re: /\b(?:MRN|MR\s?#|Med(?:ical)?\.?\s+Rec(?:ord)?\.?(?:\s+(?:No\.?|Number|#))?|Record\s+(?:No\.?|Number|#)|Patient\s+(?:ID|No\.?|Number)|Acc(?:oun)?t\.?\s*(?:No\.?|Number|#)?|Accession(?:\s+(?:No\.?|Number|#))?|SSN|Social\s+Security(?:\s+(?:No\.?|Number))?|NHS\s+(?:No\.?|Number)|Hospital\s+(?:No\.?|Number)|Unit\s+(?:No\.?|Number)|ID(?=\s*[:#]))\s*[:#]?\s*(?:is\s+)?([A-Za-z]{0,4}[-#]?\d[\dA-Za-z-]{2,})/giu,
    group: 1,
  },
  { kind: 'ID', re: /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/gu },
  {
    // A number after a phone label, whatever its layout: Tel 0161 496 0000, ph: 555-0199, fax (020) 7946 0958.
    kind: 'PHONE',
    re: /\b(?:phone|telephone|tel|ph|fax|cell|mobile|pager|bleep|contact(?:\s+number)?)\.?\s*(?:no\.?|number|#)?\s*[:#]?\s*(\+?[\d(][\d\s().-]{5,}\d)/giu,
    group: 1,
  },
  {
    // Phone-shaped numbers: +1 (555) 123-4567, 555-123-4567, 555.123.4567, 020 7946 0958, 555-1234.
    kind: 'PHONE',
    re: /(?<![\w.+/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,3}(?![\w/]|[.-]\d)/gu,
    accept: (m) => {
      const s = m[0];
      const d = digitsIn(s);
      if (d >= 10 && d <= 15) return /[\s.()-]/.test(s);
      return d >= 7 && (/^\d{3}-\d{4}$/.test(s) || s.includes('('));
    },
  },
  // Long digit runs are record, account or device numbers far more often than clinical values.
  { kind: 'ID', re: /(?<![\d.,])\d{7,}(?![\d.,]\d)/gu },
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Name parts worth replacing on their own: letters, at least two, not an honorific. */
const HONORIFICS = new Set(['dr', 'mr', 'mrs', 'ms', 'miss', 'prof', 'md', 'jr', 'sr', 'ii', 'iii', 'phd', 'rn']);

function nameParts(names: readonly string[]): string[] {
  const parts = new Set<string>();
  for (const name of names) {
    const clean = name.replace(/\^/g, ' ').replace(/\s+/g, ' ').trim();
    if (clean === '') continue;
    parts.add(clean);
    for (const p of clean.split(/[\s,]+/)) {
      const w = p.replace(/\.$/, '');
      if (w.length >= 2 && /\p{L}/u.test(w) && !HONORIFICS.has(w.toLowerCase())) parts.add(w);
    }
  }
  return [...parts].sort((a, b) => b.length - a.length);
}

/**
 * Replaces identifiers in free text with typed placeholders: e-mail addresses `[EMAIL]`, dates
 * `[DATE]` (or the date shifted by `dateShiftDays`, in the same format, when retaining dates),
 * record numbers `[ID]`, phone numbers `[PHONE]`, and the names and identifiers known from the
 * record (`[NAME]`, `[ID]`). Replacements are protected from later rules, so a shifted date is
 * never re-read as a phone number. Years on their own are kept (as HIPAA Safe Harbor allows);
 * names the record does not know are not found (there is no name recogniser here).
 */
export function deidentifyText(text: string, ctx: TextContext): TextResult {
  const counts: Record<PlaceholderKind, number> = { DATE: 0, PHONE: 0, EMAIL: 0, ID: 0, NAME: 0 };
  const saved: string[] = [];
  // Private-use characters mark replaced spans; any already in the text are dropped first.
  // The index is written in private-use characters too, so no later rule sees digits in a marker.
  const protect = (s: string) =>
    `\uE000${[...(saved.push(s) - 1).toString(16)].map((c) => String.fromCharCode(0xe100 + parseInt(c, 16))).join('')}\uE001`;
  let out = text.replace(/[\uE000\uE001\uE100-\uE10F]/g, '');

  const ids = [...new Set(ctx.ids.map((i) => i.trim()).filter((i) => i.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  if (ids.length > 0)
    out = out.replace(new RegExp(`${L}(?:${ids.map(escapeRe).join('|')})${R}`, 'giu'), () => {
      counts.ID++;
      return protect('[ID]');
    });

  for (const rule of RULES) {
    out = out.replace(rule.re, (...args: unknown[]) => {
      const groupsEnd = args.findIndex((a) => typeof a === 'number');
      const m = Object.assign(args.slice(0, groupsEnd) as string[], {
        index: args[groupsEnd] as number,
        input: out,
      }) as unknown as RegExpExecArray;
      const whole = m[0];
      if (rule.accept !== undefined && !rule.accept(m)) return whole;
      let replacement: string | null = null;
      if (rule.shift !== undefined && ctx.dateShiftDays !== null) replacement = rule.shift(m, ctx.dateShiftDays);
      counts[rule.kind]++;
      const value = protect(replacement ?? `[${rule.kind}]`);
      if (rule.group === undefined) return value;
      const part = m[rule.group];
      if (part === undefined) return value;
      const at = whole.lastIndexOf(part);
      return whole.slice(0, at) + value + whole.slice(at + part.length);
    });
  }

  const names = nameParts(ctx.names);
  if (names.length > 0) {
    const nameMarkers: string[] = [];
    out = out.replace(new RegExp(`${L}(?:${names.map(escapeRe).join('|')})${R}`, 'giu'), () => {
      counts.NAME++;
      const marker = protect('[NAME]');
      nameMarkers.push(marker);
      return marker;
    });
    // A middle initial between two replaced names ("JANE Q. DOE") goes with them.
    const initials = new Set(
      ctx.names.flatMap((n) => n.split(/[\s^,]+/).map((p) => p.charAt(0).toUpperCase())).filter((c) => c !== ''),
    );
    for (const marker of nameMarkers)
      out = out.replace(
        new RegExp(`(${escapeRe(marker)}\\s+)(\\p{Lu})\\.?(?=\\s+\uE000)`, 'gu'),
        (whole, head: string, letter: string) => (initials.has(letter) ? head + protect('[NAME]') : whole),
      );
  }

  out = out.replace(/\uE000([\uE100-\uE10F]+)\uE001/g, (_, i: string) => {
    const index = parseInt([...i].map((c) => (c.charCodeAt(0) - 0xe100).toString(16)).join(''), 16);
    return saved[index]!;
  });
  return { text: out, counts };
}
