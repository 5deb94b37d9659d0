import { createHmac, randomBytes } from 'node:crypto';

/** Bytes of a fresh per-export secret. */
export const SECRET_BYTES = 32;

/** A new random secret: UIDs, pseudonyms and date offsets of one export derive from it. */
export function newExportSecret(): Uint8Array {
  return randomBytes(SECRET_BYTES);
}

function hmac(secret: Uint8Array, purpose: string, value: string): Buffer {
  return createHmac('sha256', secret).update(`${purpose}\u0000${value}`).digest();
}

/**
 * A replacement UID for `source` under the `2.25` root (ITU-T X.667: the decimal form of a UUID).
 * The UUID is the first 128 bits of HMAC-SHA256(secret, source) with the RFC 9562 version 8
 * (custom) and variant bits set: the same source UID maps to the same new UID within an export,
 * and nobody without the secret (which is never stored) can map it back or link two exports.
 */
export function remapUid(secret: Uint8Array, source: string): string {
  const b = hmac(secret, 'uid', source).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${b.toString('hex')}`).toString(10)}`;
}

/** A stable pseudonym (prefix + 10 hex digits) for a patient key within an export. */
export function pseudonym(secret: Uint8Array, prefix: string, key: string): string {
  return `${prefix}${hmac(secret, 'pseudonym', key).toString('hex').slice(0, 10).toUpperCase()}`;
}

/** Days every date of one patient moves by: between 365 and 1825 days into the past. */
export function dateOffsetDays(secret: Uint8Array, patientKey: string): number {
  return -(365 + (hmac(secret, 'date-offset', patientKey).readUInt32BE(0) % (4 * 365 + 1)));
}

const DAY_MS = 86_400_000;

/** Moves a calendar date by whole days; null when the date does not exist. */
export function shiftYmd(year: number, month: number, day: number, days: number): [number, number, number] | null {
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const t = Date.UTC(year, month - 1, day);
  const d = new Date(t);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  const s = new Date(t + days * DAY_MS);
  return [s.getUTCFullYear(), s.getUTCMonth() + 1, s.getUTCDate()];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/**
 * Shifts a DICOM DA (YYYYMMDD) or the date part of a DT (YYYY[MM[DD[...]]]) by `days`, keeping
 * the time of day, fraction and UTC offset as they are. A DT of year or year-month precision is
 * shifted through its middle day and keeps its precision. Null when the value is not a date.
 */
export function shiftDicomDate(value: string, days: number): string | null {
  const m = /^(\d{4})(\d{2})?(\d{2})?(.*)$/s.exec(value.trim());
  if (m === null) return null;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 7 : Number(m[2]);
  const day = m[3] === undefined ? (m[2] === undefined ? 2 : 15) : Number(m[3]);
  if (m[3] === undefined && m[4] !== '') return null;
  const shifted = shiftYmd(year, month, day, days);
  if (shifted === null) return null;
  const [y, mo, d] = shifted;
  if (m[2] === undefined) return pad(y, 4);
  if (m[3] === undefined) return `${pad(y, 4)}${pad(mo, 2)}`;
  return `${pad(y, 4)}${pad(mo, 2)}${pad(d, 2)}${m[4]}`;
}
