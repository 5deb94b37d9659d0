/** General descriptors of a PhysioNet 2012 stay (recorded once, at 00:00). */
export interface StayDescriptors {
  readonly recordId: string;
  readonly ageYears: number | null;
  /** 0 female, 1 male, null unknown. */
  readonly gender: number | null;
  readonly heightCm: number | null;
  /** 1 coronary care, 2 cardiac surgery recovery, 3 medical, 4 surgical. */
  readonly icuType: number | null;
  readonly weightKg: number | null;
}

/** One measured variable of a stay: irregular samples. */
export interface StaySeries {
  readonly parameter: string;
  readonly unit: string | null;
  /** Minutes from ICU admission, as milliseconds. */
  readonly timesMs: Float64Array;
  readonly values: Float32Array;
}

/** A parsed stay file. */
export interface Stay {
  readonly descriptors: StayDescriptors;
  readonly series: readonly StaySeries[];
  /** Last measurement time, in ms from admission. */
  readonly lastMs: number;
  /** Lines that could not be read (line number and reason); the rest of the stay is kept. */
  readonly problems: ReadonlyArray<{ readonly line: number; readonly message: string }>;
}

/** Units of the challenge's variables (from the challenge description). */
export const PHYSIONET2012_UNITS: Readonly<Record<string, string>> = {
  Albumin: 'g/dL',
  ALP: 'IU/L',
  ALT: 'IU/L',
  AST: 'IU/L',
  Bilirubin: 'mg/dL',
  BUN: 'mg/dL',
  Cholesterol: 'mg/dL',
  Creatinine: 'mg/dL',
  DiasABP: 'mmHg',
  FiO2: '1',
  GCS: 'points',
  Glucose: 'mg/dL',
  HCO3: 'mmol/L',
  HCT: '%',
  HR: 'bpm',
  K: 'mEq/L',
  Lactate: 'mmol/L',
  Mg: 'mmol/L',
  MAP: 'mmHg',
  MechVent: 'on/off',
  Na: 'mEq/L',
  NIDiasABP: 'mmHg',
  NIMAP: 'mmHg',
  NISysABP: 'mmHg',
  PaCO2: 'mmHg',
  PaO2: 'mmHg',
  pH: '1',
  Platelets: 'cells/nL',
  RespRate: 'bpm',
  SaO2: '%',
  SysABP: 'mmHg',
  Temp: '°C',
  TroponinI: 'µg/L',
  TroponinT: 'µg/L',
  Urine: 'mL',
  WBC: 'cells/nL',
  Weight: 'kg',
};

const DESCRIPTORS = new Set(['RecordID', 'Age', 'Gender', 'Height', 'ICUType', 'Weight']);

/** Whether a text starts like a PhysioNet 2012 stay file. */
export function isStayFile(head: string): boolean {
  return /^Time,Parameter,Value\r?\n/.test(head);
}

/**
 * Parses one stay (`Time,Parameter,Value` rows, times `HH:MM` from admission). The leading
 * 00:00 block of general descriptors becomes {@link StayDescriptors} (-1 means unknown);
 * every later row is a measurement. `fallbackId` (the file name) is used when no RecordID row exists.
 */
export function parseStay(text: string, fallbackId: string): Stay {
  const lines = text.split(/\r?\n/);
  const problems: Array<{ line: number; message: string }> = [];
  const desc: Record<string, number> = {};
  let recordId = fallbackId;
  const series = new Map<string, { t: number[]; v: number[] }>();
  let inDescriptors = true;
  let lastMs = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const parts = line.split(',');
    if (parts.length !== 3) {
      problems.push({ line: i + 1, message: `expected Time,Parameter,Value, got ${parts.length} field(s)` });
      continue;
    }
    const [time, parameter, valueText] = parts as [string, string, string];
    const m = /^(\d+):(\d{2})$/.exec(time.trim());
    const value = Number(valueText);
    if (m === null || parameter.trim() === '' || valueText.trim() === '' || !Number.isFinite(value)) {
      problems.push({ line: i + 1, message: `unreadable row "${line.slice(0, 60)}"` });
      continue;
    }
    const tMs = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
    const name = parameter.trim();
    if (inDescriptors && tMs === 0 && DESCRIPTORS.has(name) && !(name in desc)) {
      if (name === 'RecordID') recordId = valueText.trim();
      else desc[name] = value;
      continue;
    }
    inDescriptors = false;
    let s = series.get(name);
    if (s === undefined) series.set(name, (s = { t: [], v: [] }));
    s.t.push(tMs);
    s.v.push(value);
    if (tMs > lastMs) lastMs = tMs;
  }
  const known = (x: number | undefined) => (x === undefined || x < 0 ? null : x);
  return {
    descriptors: {
      recordId,
      ageYears: known(desc.Age),
      gender: known(desc.Gender),
      heightCm: known(desc.Height),
      icuType: known(desc.ICUType),
      weightKg: known(desc.Weight),
    },
    series: [...series].map(([parameter, s]) => ({
      parameter,
      unit: PHYSIONET2012_UNITS[parameter] ?? null,
      timesMs: Float64Array.from(s.t),
      values: Float32Array.from(s.v),
    })),
    lastMs,
    problems,
  };
}

/** Outcome labels of one stay. */
export interface StayOutcome {
  readonly recordId: string;
  readonly line: number;
  /** Task -> value; columns holding -1 (unknown) are left out. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Task names of the Outcomes file's columns. */
export const OUTCOME_TASKS: Readonly<Record<string, string>> = {
  'In-hospital_death': 'in-hospital-death',
  'SAPS-I': 'saps-i',
  SOFA: 'sofa',
  Length_of_stay: 'length-of-stay',
  Survival: 'survival-days',
};

/** Whether a text starts like an Outcomes file. */
export function isOutcomesFile(head: string): boolean {
  return /^RecordID,/.test(head) && /In-hospital_death/.test(head.split('\n', 1)[0] ?? '');
}

/** Parses `Outcomes-*.txt`; unreadable rows are returned as problems with their line. */
export function parseOutcomes(text: string): {
  outcomes: StayOutcome[];
  problems: Array<{ line: number; message: string }>;
} {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const outcomes: StayOutcome[] = [];
  const problems: Array<{ line: number; message: string }> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length !== header.length || !/^\d+$/.test(parts[0]!)) {
      problems.push({ line: i + 1, message: `expected ${header.length} fields starting with a RecordID` });
      continue;
    }
    const labels: Record<string, string> = {};
    header.forEach((h, k) => {
      const task = OUTCOME_TASKS[h];
      const v = parts[k]!;
      if (task !== undefined && v !== '' && v !== '-1') labels[task] = v;
    });
    outcomes.push({ recordId: parts[0]!, line: i + 1, labels });
  }
  return { outcomes, problems };
}
