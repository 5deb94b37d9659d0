import type { DcmDataset, DcmElement } from './dcmjs.js';
import { isSafePrivate } from './privateTags.js';
import { profileAction, type ProfileAction } from './profile.js';
import { shiftDicomDate } from './pseudonyms.js';

/** What one export knows while it cleans a dataset. */
export interface DeidContext {
  /** The replacement of a source UID (consistent across the export). */
  uid(source: string): string;
  /** Whole days to move dates by (Retain Longitudinal Temporal Information with Modified Dates), or null to remove them. */
  readonly dateShiftDays: number | null;
  /** Replacement Patient ID (the profile's `Z/D`: a pseudonym keeps instances of one patient together). */
  readonly patientPseudonym: string;
}

/** Counts of what cleaning did. */
export interface DeidStats {
  removed: number;
  emptied: number;
  replaced: number;
  uidsReplaced: number;
  datesShifted: number;
  privateKept: number;
  privateRemoved: number;
}

/** Dummy value for `D` on text VRs. */
export const DUMMY_TEXT = 'ANONYMIZED';
/** Dummy date for `D` when dates are not retained. */
export const DUMMY_DATE = '19000101';

/**
 * UIDs that name a class, syntax or coding scheme rather than an instance: never replaced.
 * Every other UID is replaced, listed in the profile or not, unless it is a DICOM-defined UID.
 */
const CLASS_UID_TAGS = new Set([
  '00020002', // MediaStorageSOPClassUID
  '00020010', // TransferSyntaxUID
  '00020012', // ImplementationClassUID (set by the writer)
  '00041510', // ReferencedSOPClassUIDInFile
  '00041512', // ReferencedTransferSyntaxUIDInFile
  '00080016', // SOPClassUID
  '0008001A', // RelatedGeneralSOPClassUID
  '0008001B', // OriginalSpecializedSOPClassUID
  '0008010C', // CodingSchemeUID
  '0008010D', // ContextGroupExtensionCreatorUID
  '00080117', // ContextUID
  '00081150', // ReferencedSOPClassUID
  '0008115A', // SOPClassesSupported
  '00400032', // UniversalEntityID (kept only when it is a UID of a scheme)
]);

/** Dates of birth are removed even under the retain-dates option (it does not cover them). */
const NEVER_SHIFTED = new Set(['00100030', '00100032']);

/**
 * Attributes a compound action (`Z/D`, `X/D`, `X/Z/D`) must keep with a dummy value because they
 * are Type 1 in the IODs exported here: Content Date/Time in multi-frame functional-group IODs
 * (SEG, enhanced CT/MR) and Device Serial Number in the Enhanced General Equipment module.
 */
const TYPE1_IN_ENHANCED = new Set(['00080023', '00080033', '00181000']);

/** `D` on these sequences cleans their items with the same table; other `D` sequences are emptied. */
const RECURSE_ON_D = new Set(['0040A730', '00700001']);

const STRING_VRS = new Set(['AE', 'AS', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
const NUMERIC_VRS = new Set(['FL', 'FD', 'SL', 'SS', 'UL', 'US', 'SV', 'UV']);

function isEnhanced(ds: DcmDataset): boolean {
  return ds['52009229'] !== undefined || ds['52009230'] !== undefined;
}

function element(vr: string, value: unknown[]): DcmElement {
  return { vr, Value: value };
}

function textValues(el: DcmElement): string[] {
  return (el.Value ?? []).map((v) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v)));
}

function dummy(vr: string, ctx: DeidContext): DcmElement | null {
  if (vr === 'PN') return element(vr, [{ Alphabetic: DUMMY_TEXT }]);
  if (STRING_VRS.has(vr)) return element(vr, [DUMMY_TEXT]);
  if (vr === 'DA') return element(vr, [DUMMY_DATE]);
  if (vr === 'DT') return element(vr, [`${DUMMY_DATE}000000`]);
  if (vr === 'TM') return element(vr, ['000000']);
  if (vr === 'DS' || vr === 'IS') return element(vr, [0]);
  if (NUMERIC_VRS.has(vr)) return element(vr, [0]);
  if (vr === 'UI') return element(vr, [ctx.uid(`dummy:${ctx.patientPseudonym}`)]);
  return null;
}

function empty(vr: string): DcmElement {
  return element(vr, []);
}

function shiftDates(el: DcmElement, days: number, stats: DeidStats): DcmElement {
  const out: string[] = [];
  for (const v of textValues(el)) {
    if (v.trim() === '') continue;
    const s = shiftDicomDate(v, days);
    // A value that is not a date cannot be shifted; it is dropped rather than kept.
    if (s !== null) out.push(s);
  }
  stats.datesShifted += out.length;
  return element(el.vr, out);
}

function remapUids(el: DcmElement, ctx: DeidContext, stats: DeidStats): DcmElement {
  const values = textValues(el).map((v) => {
    const uid = v.replace(/\0/g, '').trim();
    if (uid === '' || uid.startsWith('1.2.840.10008.')) return uid;
    stats.uidsReplaced++;
    return ctx.uid(uid);
  });
  return element(el.vr, values);
}

/** Resolves a compound action to the single action this attribute needs here. */
function resolve(action: ProfileAction, tag: string, enhanced: boolean): 'D' | 'Z' | 'X' | 'U' | 'K' {
  const type1 = enhanced && TYPE1_IN_ENHANCED.has(tag);
  switch (action) {
    case 'Z/D':
      return type1 || tag === '00100020' ? 'D' : 'Z';
    case 'X/Z':
      // Emptying keeps a Type 2 attribute conformant and is as private as removing it.
      return 'Z';
    case 'X/D':
      return type1 ? 'D' : 'X';
    case 'X/Z/D':
      return type1 ? 'D' : 'X';
    case 'X/Z/U*':
      // Reference sequences hold only class and instance UIDs: replacing the instance UIDs keeps
      // the references (a SEG's source images) working.
      return 'K';
    default:
      return action;
  }
}

function isPrivateGroup(tag: string): boolean {
  return parseInt(tag.slice(0, 4), 16) % 2 === 1;
}

/** True when an unknown-VR private value is plainly a number list (so it can be safe). */
function numericBytes(el: DcmElement): boolean {
  const v = el.Value?.[0];
  if (!(v instanceof ArrayBuffer)) return false;
  return /^[0-9+\-.eE \\\0]*$/.test(Buffer.from(v).toString('latin1'));
}

function cleanPrivate(ds: DcmDataset, out: DcmDataset, stats: DeidStats): void {
  const keptBlocks = new Set<string>();
  for (const [tag, el] of Object.entries(ds)) {
    if (!isPrivateGroup(tag)) continue;
    const group = parseInt(tag.slice(0, 4), 16);
    const elem = parseInt(tag.slice(4), 16);
    if (elem < 0x1000) continue; // creators are decided below, group lengths go
    const block = elem >> 8;
    const creatorTag = `${tag.slice(0, 4)}00${block.toString(16).toUpperCase().padStart(2, '0')}`;
    const creator = creatorOf(ds[creatorTag]);
    const valueOk = NUMERIC_VRS.has(el.vr) || el.vr === 'DS' || el.vr === 'IS' || (el.vr === 'UN' && numericBytes(el));
    if (creator !== '' && valueOk && isSafePrivate(creator, group, elem & 0xff)) {
      out[tag] = el;
      keptBlocks.add(creatorTag);
      stats.privateKept++;
    } else stats.privateRemoved++;
  }
  for (const tag of keptBlocks) out[tag] = { vr: 'LO', Value: [creatorOf(ds[tag])] };
}

/** A private creator's name; implicit-VR files give it as unknown bytes (UN). */
function creatorOf(el: DcmElement | undefined): string {
  const v = el?.Value?.[0];
  if (v instanceof ArrayBuffer)
    return Buffer.from(v)
      .toString('latin1')
      .replace(/[\0 ]+$/, '');
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * Cleans one dataset (recursively through its sequences) by the Basic Application Level
 * Confidentiality Profile: every attribute of Table E.1-1 gets its action, every non-DICOM UID
 * is replaced consistently, dates are shifted (retain-dates) or emptied, private attributes go
 * unless on the safe list, group lengths go (the writer recomputes what it needs). Returns a new
 * dataset; the input is not modified.
 */
export function cleanDataset(ds: DcmDataset, ctx: DeidContext, stats: DeidStats): DcmDataset {
  const out: DcmDataset = {};
  const enhanced = isEnhanced(ds);
  for (const [tag, el] of Object.entries(ds)) {
    if (isPrivateGroup(tag)) continue;
    if (tag.endsWith('0000')) continue;
    const vr = el.vr;
    const listed = profileAction(tag);
    const isDate = vr === 'DA' || vr === 'DT';
    if (ctx.dateShiftDays !== null && (vr === 'DA' || vr === 'DT' || vr === 'TM') && !NEVER_SHIFTED.has(tag)) {
      // Retain Longitudinal Temporal Information with Modified Dates: dates move by whole days,
      // so times of day stay as they are.
      out[tag] = vr === 'TM' ? el : shiftDates(el, ctx.dateShiftDays, stats);
      continue;
    }
    if (listed === null) {
      if (isDate) {
        // A date the table does not name is still a date: emptied like the table's dates.
        if ((el.Value ?? []).length > 0) stats.emptied++;
        out[tag] = empty(vr);
      } else if (vr === 'UI' && !CLASS_UID_TAGS.has(tag)) out[tag] = remapUids(el, ctx, stats);
      else if (vr === 'SQ') out[tag] = element('SQ', cleanItems(el, ctx, stats));
      else out[tag] = el;
      continue;
    }
    const action = resolve(listed, tag, enhanced);
    switch (action) {
      case 'X':
        stats.removed++;
        break;
      case 'Z':
        stats.emptied++;
        out[tag] = empty(vr);
        break;
      case 'U':
        out[tag] = remapUids(el, ctx, stats);
        break;
      case 'K':
        out[tag] = vr === 'SQ' ? element('SQ', cleanItems(el, ctx, stats)) : el;
        break;
      case 'D': {
        stats.replaced++;
        if (tag === '00100020') out[tag] = element(vr, [ctx.patientPseudonym]);
        else if (vr === 'SQ') out[tag] = element('SQ', RECURSE_ON_D.has(tag) ? cleanItems(el, ctx, stats) : []);
        else if (vr === 'UI') out[tag] = remapUids(el, ctx, stats);
        else {
          const d = dummy(vr, ctx);
          if (d !== null) out[tag] = d;
          else stats.removed++;
        }
        break;
      }
    }
  }
  cleanPrivate(ds, out, stats);
  return out;
}

function cleanItems(el: DcmElement, ctx: DeidContext, stats: DeidStats): DcmDataset[] {
  return ((el.Value ?? []) as DcmDataset[]).map((item) => cleanDataset(item, ctx, stats));
}

const TEXT_VRS = new Set(['LO', 'LT', 'SH', 'ST', 'UC', 'UR', 'UT']);

/**
 * Removes every text element (Retrieve URL, comments, labels) that still spells one of the source
 * UIDs the export replaced: a UID the table does not reach through its UI elements must not
 * survive inside text. Works in place, through sequences; returns how many elements went.
 */
export function scrubEmbeddedUids(ds: DcmDataset, sourceUids: ReadonlySet<string>): number {
  let removed = 0;
  for (const [tag, el] of Object.entries(ds)) {
    if (el.vr === 'SQ') {
      for (const item of (el.Value ?? []) as DcmDataset[]) removed += scrubEmbeddedUids(item, sourceUids);
      continue;
    }
    if (!TEXT_VRS.has(el.vr)) continue;
    const text = textValues(el).join('\\');
    if (!/\d\.\d/.test(text)) continue;
    for (const uid of sourceUids)
      if (text.includes(uid)) {
        delete ds[tag];
        removed++;
        break;
      }
  }
  return removed;
}

/** A zeroed {@link DeidStats}. */
export function newStats(): DeidStats {
  return { removed: 0, emptied: 0, replaced: 0, uidsReplaced: 0, datesShifted: 0, privateKept: 0, privateRemoved: 0 };
}

/** DICOM code of the Basic Application Confidentiality Profile and its options (PS3.16 CID 7050). */
export const DEID_CODES = {
  basic: ['113100', 'Basic Application Confidentiality Profile'],
  retainDates: ['113107', 'Retain Longitudinal Temporal Information Modified Dates Option'],
  safePrivate: ['113111', 'Retain Safe Private Option'],
} as const;

/**
 * Adds the attributes that say how the dataset was de-identified: Patient Identity Removed YES,
 * De-identification Method (text) and Code Sequence, Longitudinal Temporal Information Modified.
 */
export function markDeidentified(out: DcmDataset, options: { retainDates: boolean; safePrivateKept: boolean }): void {
  const codes: Array<readonly [string, string]> = [DEID_CODES.basic];
  if (options.retainDates) codes.push(DEID_CODES.retainDates);
  if (options.safePrivateKept) codes.push(DEID_CODES.safePrivate);
  out['00120062'] = element('CS', ['YES']);
  out['00120063'] = element(
    'LO',
    codes.map(([, meaning]) => meaning.slice(0, 64)),
  );
  out['00120064'] = element(
    'SQ',
    codes.map(([value, meaning]) => ({
      '00080100': element('SH', [value]),
      '00080102': element('SH', ['DCM']),
      '00080104': element('LO', [meaning]),
    })),
  );
  out['00280303'] = element('CS', [options.retainDates ? 'MODIFIED' : 'REMOVED']);
}
