/** Display names of the metrics the registry and the evaluation report use. */
const METRIC_NAMES: Readonly<Record<string, string>> = {
  accuracy: 'Accuracy',
  auc: 'AUC',
  aucLow: 'AUC 95% low',
  aucHigh: 'AUC 95% high',
  macroF1: 'Macro F1',
  prAuc: 'PR AUC',
  ece: 'Calibration error (ECE)',
  logLoss: 'Log loss',
  brier: 'Brier score',
  mae: 'Mean absolute error',
  rmse: 'RMSE',
  coverage: 'Interval coverage',
  loss: 'Loss',
  valLoss: 'Validation loss',
  valAccuracy: 'Validation accuracy',
  n: 'Cases',
};

/** Metrics where a lower value is better (for the comparison arrows). */
const LOWER_IS_BETTER = new Set(['ece', 'logLoss', 'brier', 'mae', 'rmse', 'loss', 'valLoss']);

/** Headline metrics in the order a clinician reads them. */
export const HEADLINE_KEYS: readonly string[] = ['accuracy', 'auc', 'macroF1', 'ece', 'mae', 'coverage'];

/** A readable name for a metric key (the key itself when unknown). */
export function metricName(key: string): string {
  return METRIC_NAMES[key] ?? key;
}

/** Whether a larger value of this metric is better. */
export function higherIsBetter(key: string): boolean {
  return !LOWER_IS_BETTER.has(key);
}

/** A metric value for display: 3 decimals, counts as integers, a dash for missing or non-finite values. */
export function formatMetric(key: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (key === 'n' || Number.isInteger(value)) return String(value);
  return value.toFixed(3);
}

/** The headline metrics present in `metrics`, in reading order. */
export function headline(metrics: Readonly<Record<string, number>>): { key: string; value: number }[] {
  return HEADLINE_KEYS.filter((k) => typeof metrics[k] === 'number').map((k) => ({ key: k, value: metrics[k]! }));
}

/** A remaining time such as "2 min 05 s" or "40 s"; "–" when unknown. */
export function formatEta(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** An ISO timestamp as "YYYY-MM-DD HH:MM" (UTC, as stored). */
export function formatWhen(iso: string | null): string {
  if (iso === null) return '–';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** Plain-language name of a model task. */
export function taskName(task: string): string {
  switch (task) {
    case 'image':
      return 'Images';
    case 'text':
      return 'Notes';
    case 'vitals-risk':
      return 'Vital signs: risk';
    case 'vitals-forecast':
      return 'Vital signs: forecast';
    default:
      return task;
  }
}
