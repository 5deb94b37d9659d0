import type { BundleMetadata, ModelTask } from '../bundle.js';
import type { TensorData } from '../engine/protocol.js';

/**
 * A data set read from disk in one task's layout and encoded for a model: what training, `osler
 * evaluate` and `osler predict` feed the engine. Runs on the main thread (plain Node, no tfjs);
 * only the encoded typed arrays cross to the engine worker.
 */
export interface EncodedSet {
  /** Model inputs, first dimension = items. */
  readonly x: TensorData;
  /**
   * Targets when the source carries them: one-hot [n, classes] for classifiers; for forecasters
   * [n, outputs] with NaN where a target is missing.
   */
  readonly y: TensorData | null;
  /** Class index per item (classifiers with labels), else null. */
  readonly labels: Int32Array | null;
  /** Stable item ids (file path relative to the root, note id, record id). */
  readonly ids: readonly string[];
  /** Patient (or subject) per item, for patient-level splits; the item id when unknown. */
  readonly patientIds: readonly string[];
  /** Items skipped while reading, with the reason (unreadable file, unknown class, ...). */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

/**
 * The items of `set` at `indices`, in that order: inputs, targets, labels, ids and patients, and
 * for a forecasting set its per-item last values (the baseline the model predicts a change from).
 * `skipped` is carried over: it describes what reading the source left out.
 */
export function subsetOf<T extends EncodedSet>(set: T, indices: readonly number[]): T {
  const rows = (t: TensorData): TensorData => {
    const n = t.shape[0] ?? 0;
    const size = n === 0 ? 0 : t.values.length / n;
    const out = t.dtype === 'int32' ? new Int32Array(indices.length * size) : new Float32Array(indices.length * size);
    indices.forEach((i, j) => out.set(t.values.subarray(i * size, (i + 1) * size), j * size));
    return { shape: [indices.length, ...t.shape.slice(1)], dtype: t.dtype, values: out } as TensorData;
  };
  const last = (set as { lastValues?: Float32Array }).lastValues;
  const k = last === undefined || set.ids.length === 0 ? 0 : last.length / set.ids.length;
  return {
    ...set,
    x: rows(set.x),
    y: set.y === null ? null : rows(set.y),
    labels: set.labels === null ? null : Int32Array.from(indices, (i) => set.labels![i]!),
    ids: indices.map((i) => set.ids[i]!),
    patientIds: indices.map((i) => set.patientIds[i]!),
    ...(last === undefined
      ? {}
      : {
          lastValues: Float32Array.from(
            { length: indices.length * k },
            (_, r) => last[indices[Math.floor(r / k)]! * k + (r % k)]!,
          ),
        }),
  };
}

/** Options of reading a data set. */
export interface LoadOptions {
  /** Notes CSV/TSV: column holding the text / the label / the item id / the patient. */
  readonly textCol?: string;
  readonly labelCol?: string;
  readonly idCol?: string;
  readonly patientCol?: string;
  /** Read at most this many items (deterministic: the first in sorted order). */
  readonly limit?: number;
}

/**
 * One task's data pipeline. `fit` learns the preprocessing from training data only (vocabulary,
 * normalisation); `load` reads any folder/file in the task's layout and encodes it with a given
 * input spec, so evaluating on a folder laid out like the training data always works.
 */
export interface TaskPipeline {
  readonly task: ModelTask;
  /** Reads PATH (ImageFolder root, notes CSV/TSV, PhysioNet-2012-layout folder) and encodes it. */
  load(path: string, metadata: BundleMetadata, options?: LoadOptions): Promise<EncodedSet>;
}
