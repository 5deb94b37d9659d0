import type { ChannelOutput } from '../../../native/contract/channels.js';

/** Label state of one task, as `labels.list` returns it. */
export type TaskState = ChannelOutput<'labels.list'>['states'][number];

/** One outcome line for the header of a recording. */
export interface OutcomeRow {
  readonly task: string;
  readonly title: string;
  readonly value: string;
  /** Whether the value is an adverse outcome worth colouring (death, a true alarm). */
  readonly adverse: boolean;
  readonly disputed: boolean;
  /** `mm:ss`-style window when the label covers part of the recording. */
  readonly windowMs: readonly [number, number] | null;
}

const TITLES: Record<string, string> = {
  'in-hospital-death': 'In-hospital death',
  'saps-i': 'SAPS-I',
  sofa: 'SOFA',
  'length-of-stay': 'Length of stay',
  survival: 'Survival',
  'alarm-type': 'Alarm',
  'alarm-true': 'True alarm',
};

function show(task: string, value: string): { value: string; adverse: boolean } {
  if (task === 'in-hospital-death')
    return { value: value === '1' ? 'Yes' : value === '0' ? 'No' : value, adverse: value === '1' };
  if (task === 'length-of-stay') return { value: `${value} d`, adverse: false };
  if (task === 'alarm-true')
    return {
      value: value === 'true' ? 'Yes' : value === 'false' ? 'No (false alarm)' : value,
      adverse: value === 'true',
    };
  if (task === 'survival') return { value: `${value} d`, adverse: false };
  return { value: value.replace(/_/g, ' '), adverse: false };
}

/** Outcome rows, the in-hospital death first, in a stable order. */
export function outcomeRows(states: readonly TaskState[]): OutcomeRow[] {
  const rank = (t: string) => (t === 'in-hospital-death' ? 0 : t in TITLES ? 1 : 2);
  return [...states]
    .sort((a, b) => rank(a.task) - rank(b.task) || a.task.localeCompare(b.task))
    .map((s) => {
      const shown = s.values.map((v) => show(s.task, v));
      const title = TITLES[s.task] ?? s.task.replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase());
      return {
        task: s.task,
        title,
        value: shown.map((v) => v.value).join(' / ') || '—',
        adverse: shown.some((v) => v.adverse),
        disputed: s.state === 'disputed',
        windowMs: s.windowStartMs !== null && s.windowEndMs !== null ? [s.windowStartMs, s.windowEndMs] : null,
      };
    });
}
