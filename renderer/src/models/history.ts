/** Per-epoch training curves, from live progress events or a finished run's `metrics.history`. */

/** The figures of one finished epoch. */
export interface EpochPoint {
  epoch: number;
  loss: number;
  valLoss: number | null;
  accuracy: number | null;
  valAccuracy: number | null;
}

/** uPlot's aligned data: x values then one array per series (null = gap). */
export type Aligned = [number[], ...(number | null)[][]];

const at = (values: unknown, i: number): number | null => {
  const v = Array.isArray(values) ? (values as unknown[])[i] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/** Epoch points from a run's stored history (`{ loss: [...], valLoss: [...], ... }`). */
export function pointsFromHistory(history: unknown): EpochPoint[] {
  if (typeof history !== 'object' || history === null) return [];
  const h = history as Record<string, unknown>;
  const n = Array.isArray(h.loss) ? h.loss.length : 0;
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    loss: at(h.loss, i) ?? Number.NaN,
    valLoss: at(h.valLoss, i),
    accuracy: at(h.accuracy, i),
    valAccuracy: at(h.valAccuracy, i),
  }));
}

/** Adds or replaces the point of an epoch (progress can repeat an epoch's report). */
export function withPoint(points: readonly EpochPoint[], point: EpochPoint): EpochPoint[] {
  return [...points.filter((p) => p.epoch !== point.epoch), point].sort((a, b) => a.epoch - b.epoch);
}

/** Loss curves: [epochs, training loss, validation loss]. */
export function lossSeries(points: readonly EpochPoint[]): Aligned {
  return [points.map((p) => p.epoch), points.map((p) => p.loss), points.map((p) => p.valLoss)];
}

/** Accuracy curves: [epochs, training accuracy, validation accuracy]. */
export function accuracySeries(points: readonly EpochPoint[]): Aligned {
  return [points.map((p) => p.epoch), points.map((p) => p.accuracy), points.map((p) => p.valAccuracy)];
}
