import {
  closeSync,
  constants as fsConstants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import type {
  comparisonSchema,
  dataSourceSchema,
  evaluationSchema,
  explanationSchema,
  modelDetailSchema,
  modelRefSchema,
  modelSummarySchema,
  modelVersionSchema,
  predictionSchema,
  predictionTargetSchema,
  reviewItemSchema,
  trainInputSchema,
  trainingRunSchema,
} from '../../contract/models.js';
import { OslerError } from '../../contract/result.js';
import { BUNDLE_FILES, type BundleMetadata, type ModelTask } from '../../ml/bundle.js';
import {
  bundleChanges,
  bundleDigests,
  bundleDigestsWithMetadata,
  bundleStamp,
  parseBundleMetadata,
  readBundleIdentity,
  readBundleMetadata,
  readBundleMetadataBytes,
  writeBundleMetadata,
} from '../../ml/bundleIo.js';
import type { EngineClient } from '../../ml/engine/client.js';
import type { EngineProgress, TensorData } from '../../ml/engine/protocol.js';
import {
  applyTemperature,
  evaluateClassification,
  evaluateRegression,
  fitTemperature,
  inverseFrequencyWeights,
  rocCurve,
  summariseReport,
} from '../../ml/eval/index.js';
import { heatmapToSource } from '../../ml/image/imageFolder.js';
import { fsyncPath } from '../../runtime/durable.js';
import { sha256Bytes } from '../../runtime/sha256.js';
import { quantizeBundle } from '../../ml/io/quantize.js';
import { normalQuantile } from '../../ml/vitals/features.js';
import { splitByPatient } from '../../ml/train/split.js';
import {
  decodeForecast,
  encodeImage,
  encodeStay,
  encodeTexts,
  forecastEncoding,
  forecastInputsAtLastHour,
  forecastTrainingData,
  type ForecastSet,
  pipelineFor,
  subsetOf,
  type EncodedSet,
} from '../../ml/tasks/index.js';
import { buildEncoding, tokenize } from '../../ml/text/tokenizer.js';
import { classIndexOf } from '../../ml/tasks/text.js';
import { writeAudit } from '../../store/audit.js';
import { currentLabelsForTask, unlabelledTargets } from '../../store/labels.js';
import { getNote } from '../../store/notes.js';
import { getRecording } from '../../store/recordings.js';
import { getSeries } from '../../store/imaging.js';
import {
  activateModelVersion,
  activeModelVersion,
  addModelVersion,
  discardModelVersion,
  failInterruptedRuns,
  finishTrainingRun,
  getModelVersion,
  getTrainingRun,
  hasModelVersion,
  hasModelVersionAt,
  listModelVersions,
  slimModelMetadata,
  listTrainingRuns,
  modelVersionFiles,
  previousActiveVersion,
  recordModelVersionFiles,
  startTrainingRun,
  type ModelVersionRow,
  type TrainingRunRow,
} from '../../store/models.js';
import { patientsOf } from '../../store/patients.js';
import { addPredictions, listPredictions } from '../../store/predictions.js';
import type { StoreHandle } from '../../store/database.js';
import { OSLER_VERSION } from '../version.js';
import {
  batchOf,
  instanceById,
  instanceSlices,
  noteText,
  dicomFileSlices,
  recordingStay,
  seriesInstances,
  type GreySlice,
} from './modelData.js';
import { readPngGrey } from '../../ml/tasks/image.js';

type ModelRef = z.output<typeof modelRefSchema>;
type Target = z.output<typeof predictionTargetSchema>;
type DataSource = z.output<typeof dataSourceSchema>;
type TrainInput = z.output<typeof trainInputSchema>;
type ModelSummary = z.output<typeof modelSummarySchema>;
type ModelVersionOut = z.output<typeof modelVersionSchema>;
type PredictionOut = z.output<typeof predictionSchema>;
type Evaluation = z.output<typeof evaluationSchema>;
type Explanation = z.output<typeof explanationSchema>;
type TrainingRunOut = z.output<typeof trainingRunSchema>;

/** Folder (under the data folder) holding every registered model bundle. */
export const MODELS_DIR = 'models';
const MAX_LOADED = 6;
/** Words scored per note explanation (each costs one extra row in one batched prediction). */
const MAX_OCCLUDED_WORDS = 512;

/** What the model service needs from the composition root. */
export interface ModelServiceContext {
  readonly home: string;
  readonly store: StoreHandle;
  /** Engine for predictions and explanations (kept free of long training jobs). */
  inferenceEngine(): Promise<EngineClient>;
  /** Engine for training runs. */
  trainingEngine(): Promise<EngineClient>;
  emitProgress(payload: TrainingProgressPayload): void;
  log(message: string): void;
}

/** Payload of `models.trainingProgress`. */
export interface TrainingProgressPayload {
  runId: number;
  phase: 'preparing' | 'batch' | 'epoch' | 'evaluating' | 'saving' | 'done' | 'failed' | 'cancelled';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  metrics: Record<string, number>;
  samplesPerSec: number;
  etaMs: number;
  versionId: number | null;
  message: string | null;
}

/**
 * Copies a bundle folder's files durably into `target`, a folder freeFolder reserved (empty, this
 * caller's): each file fsynced, then the folder and its parent. Copied straight in rather than
 * renamed onto the reservation, which Windows refuses even for an empty folder; no file that is
 * there is ever replaced. A half-filled folder is never used: a registration commits its row only
 * after this returns, recover() sweeps model folders no row points at, and callers remove the
 * folder when this throws.
 */
function copyBundleDurably(source: string, target: string): void {
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const to = join(target, entry.name);
    copyFileSync(join(source, entry.name), to, fsConstants.COPYFILE_EXCL);
    fsyncPath(to);
  }
  fsyncPath(target);
  fsyncPath(resolve(target, '..'));
}

function folderSafe(version: string): string {
  return version.replace(/[^A-Za-z0-9._-]/g, '-');
}

/**
 * Reserves `<parent>/<base>`, or `<base>-2`, `-3`, ... when that name is on disk or in `taken`, by creating
 * it empty (mkdir fails on an existing name, so two writers never get the same folder). Versions whose
 * names differ only in characters a folder cannot hold ("2.0 beta", "2.0-beta") would otherwise share
 * one folder, and copying the second would delete the first; an export never replaces a folder either.
 */
function freeFolder(parent: string, base: string, taken: ReadonlySet<string> = new Set()): string {
  mkdirSync(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (taken.has(name)) continue;
    try {
      mkdirSync(join(parent, name));
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function headline(metrics: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (v !== null && typeof v === 'object' && 'value' in v && typeof v.value === 'number') out[k] = v.value;
  }
  return out;
}

function argmax(values: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[offset + j]! > values[offset + best]!) best = j;
  return best;
}

/** Index of the class whose probability is the item's score (worklist priority), or null. */
function positiveIndex(metadata: BundleMetadata): number | null {
  if (metadata.positiveClass !== undefined) {
    const i = metadata.outputs.indexOf(metadata.positiveClass);
    return i >= 0 ? i : null;
  }
  return metadata.outputs.length === 2 ? 1 : null;
}

function nowVersion(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** A model's probabilities after its calibration: offsets and temperature (classifiers only). */
function calibrated(meta: BundleMetadata, raw: Float32Array): Float32Array {
  if (meta.task === 'vitals-forecast' || (meta.temperature === 1 && meta.classOffsets === undefined)) return raw;
  return applyTemperature(raw, meta.outputs.length, meta.temperature, meta.classOffsets);
}

/**
 * The model registry and everything that runs models: installs the shipped starter bundles,
 * lists versions with their cards, promotes / discards / rolls back (audited), imports and
 * exports bundles, runs predictions and explanations on case-store items, evaluates on labelled
 * data, and runs training / fine-tuning in the engine worker with progress events.
 */
export class ModelService {
  readonly #ctx: ModelServiceContext;
  readonly #metadata = new Map<number, BundleMetadata>();
  readonly #loaded = new Map<EngineClient, Map<number, string>>();
  readonly #running = new Map<number, { cancel(): void; cancelled: boolean }>();
  readonly #detachedIds = new Map<string, number>();
  /**
   * Per version, the stamp of its files when their digests last matched (see bundleStamp), and the
   * digest its metadata.json had then.
   */
  readonly #verifiedStamps = new Map<number, { stamp: string; metadataDigest: string | undefined }>();
  /**
   * Per version refused since it last verified clean: the stamp of its files when their digests last
   * differed, the refusal, and the changes audited. A tampered folder left as it is is refused again
   * without hashing its weights on every call; the same changes are audited once, a further, different
   * change anew (a clean verification forgets the entry, so a change after a restore is audited too).
   */
  readonly #refusedStamps = new Map<number, { stamp: string; message: string; audited: string }>();

  constructor(ctx: ModelServiceContext) {
    this.#ctx = ctx;
  }

  get #db() {
    return this.#ctx.store.db;
  }

  /**
   * Start-up housekeeping: runs a crash interrupted are marked failed, and bundle folders no
   * registry row points at (half-copied or half-trained ones) are removed. `othersAppeared` is
   * asked before each removal: the referenced folders are listed once, so a core that opened the
   * folder since (its start gave up waiting for this one's) could have its new version folder
   * taken for a leftover; once it says so, the sweep stops (`stopped`) and a later start finishes it.
   */
  recover(othersAppeared: () => boolean = () => false): {
    interruptedRuns: number;
    removedFolders: string[];
    stopped: boolean;
  } {
    const interruptedRuns = failInterruptedRuns(this.#db);
    const removed: string[] = [];
    const root = join(this.#ctx.home, MODELS_DIR);
    if (existsSync(root)) {
      const referenced = new Set(listModelVersions(this.#db).map((v) => resolve(this.#ctx.home, v.path)));
      for (const name of readdirSync(root)) {
        const dir = join(root, name);
        if (!statSync(dir).isDirectory()) continue;
        for (const version of readdirSync(dir)) {
          const path = join(dir, version);
          if (!referenced.has(resolve(path))) {
            if (othersAppeared()) return { interruptedRuns, removedFolders: removed, stopped: true };
            rmSync(path, { recursive: true, force: true });
            removed.push(relative(this.#ctx.home, path));
          }
        }
      }
    }
    return { interruptedRuns, removedFolders: removed, stopped: false };
  }

  /**
   * Registers every bundle in `dir` (the shipped `resources/models`) that the registry does not
   * hold yet: copied durably into the data folder, then the row committed; a model without an
   * active version gets it as active, otherwise it arrives as a candidate for the site to evaluate.
   */
  installBundles(dir: string, actor = 'system'): string[] {
    if (!existsSync(dir)) return [];
    const installed: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const source = join(dir, entry.name);
      if (!existsSync(join(source, BUNDLE_FILES.metadata))) continue;
      try {
        // Installed bundles are recognised by name and version alone; only new ones are validated.
        const identity = readBundleIdentity(source);
        if (identity !== null && hasModelVersion(this.#db, identity.name, identity.version)) continue;
        // Null identity (unreadable JSON): readBundleMetadata reports the real error.
        const meta = readBundleMetadata(source);
        const hasActive = listModelVersions(this.#db).some((v) => v.name === meta.name && v.state === 'active');
        this.#register(source, meta, hasActive ? 'candidate' : 'active', actor, null, null, 'shipped starter model');
        installed.push(`${meta.name} ${meta.version}`);
      } catch (error) {
        this.#ctx.log(
          `osler: model bundle ${entry.name} not installed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return installed;
  }

  /**
   * Registers a bundle: copied durably into a free folder of its model's, hashed, then the row
   * committed. `trainedIn` is the folder (relative to the data folder) that a training run reserved
   * with #versionFolder and saved its output into: that bundle is registered where it lies, never
   * copied. Only the training path says so; anything else (a shipped or imported bundle, even one
   * inside the data folder) is copied. The row takes the metadata parsed from the bytes that were
   * hashed, which must name the model, version and task `expected` (read before) did.
   */
  #register(
    source: string,
    expected: BundleMetadata,
    state: 'active' | 'candidate',
    actor: string,
    trainingRunId: number | null,
    parentVersionId: number | null,
    reason: string,
    trainedIn?: string,
  ): ModelVersionRow {
    const inPlace = trainedIn !== undefined;
    const rel = trainedIn ?? this.#versionFolder(expected.name, expected.version);
    const target = join(this.#ctx.home, rel);
    if (inPlace && resolve(source) !== resolve(target))
      throw new OslerError('internal', "a training run's bundle is registered only in the folder it was saved to");
    let row: ModelVersionRow;
    let stamp: string;
    let files: Record<string, string>;
    try {
      if (!inPlace) copyBundleDurably(source, target);
      // Stamped before hashing: the first use in this run need not hash the files again.
      stamp = bundleStamp(target);
      const hashed = bundleDigestsWithMetadata(target);
      files = hashed.digests;
      // What is registered is what was hashed: a metadata.json changed since `expected` was read (or
      // during the copy) either still names the same version, or the registration is refused.
      if (hashed.metadata === null)
        throw new OslerError('not-found', `the model folder has no ${BUNDLE_FILES.metadata}`);
      const meta = parseBundleMetadata(hashed.metadata);
      if (meta.name !== expected.name || meta.version !== expected.version || meta.task !== expected.task)
        throw new OslerError(
          'conflict',
          `model ${expected.name} ${expected.version} was not registered: its ${BUNDLE_FILES.metadata} changed while it was registered`,
        );
      row = addModelVersion(
        this.#db,
        {
          name: meta.name,
          task: meta.task,
          family: meta.spec?.family ?? 'imported',
          version: meta.version,
          state,
          path: rel,
          metadata: meta as unknown as Record<string, unknown>,
          metrics: headline(meta.metrics),
          trainingRunId,
          parentVersionId,
          reason,
          files,
        },
        actor,
      );
    } catch (error) {
      // The folder this registration reserved and filled goes now, not at the next start, unless a
      // row points at it: addModelVersion can throw after its commit (restoring the synchronous
      // setting, reading the row back), and a committed row, maybe the active one, must keep its files.
      // A training run's own folder, registered in place, is not this code's to remove.
      if (!inPlace) this.#removeUnregistered(rel);
      throw error;
    }
    this.#verifiedStamps.set(row.id, { stamp, metadataDigest: files[BUNDLE_FILES.metadata] });
    return row;
  }

  /**
   * Removes a version folder (relative to the data folder) that a failed registration reserved and
   * filled, unless a registry row points at it. Whatever stops the removal is logged; recover() sweeps
   * a folder no row points at at the next start.
   */
  #removeUnregistered(rel: string): void {
    try {
      if (hasModelVersionAt(this.#db, rel)) {
        this.#ctx.log(`osler: model folder ${rel} kept: its version was registered before the registration failed`);
        return;
      }
      rmSync(join(this.#ctx.home, rel), { recursive: true, force: true });
    } catch (error) {
      this.#ctx.log(
        `osler: model folder ${rel} of a failed registration was not removed (the next start removes it if no version points at it): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** A new version's folder under its model's folder, relative to the data folder: never another version's. */
  #versionFolder(name: string, version: string): string {
    const taken = new Set(
      listModelVersions(this.#db)
        .filter((v) => v.name === name)
        .map((v) => basename(v.path)),
    );
    return join(MODELS_DIR, name, freeFolder(join(this.#ctx.home, MODELS_DIR, name), folderSafe(version), taken));
  }

  /**
   * Metadata of a version (validated once, then cached: versions never change). The first use of a
   * registered version in a run checks its folder against the digests taken at registration.
   */
  metadataOf(version: ModelVersionRow): BundleMetadata {
    let meta = this.#metadata.get(version.id);
    if (meta === undefined) {
      if (version.id < 0)
        meta = readBundleMetadata(this.dirOf(version)); // detached: nothing to check against
      else {
        // Parsed from the bytes whose digest was checked: a second read could see another file.
        const bytes = this.#verifyFiles(version, true);
        if (bytes === null)
          throw new OslerError('not-found', `the model folder ${version.path} has no ${BUNDLE_FILES.metadata}`);
        meta = parseBundleMetadata(bytes);
      }
      this.#metadata.set(version.id, meta);
    }
    return meta;
  }

  /**
   * Refuses a registered version whose bundle files changed since registration (a `conflict` naming
   * the files, audited once per change; `not-found` when its folder is gone): the weights and
   * calibration in use must be the ones that were evaluated and promoted. A version registered
   * before digests were kept gets them recorded now, trusting what is on disk.
   *
   * With `withMetadata`, returns the bytes of metadata.json whose digest matched (null when the
   * version has none), to be parsed as they are: never read again after the check.
   */
  #verifyFiles(version: ModelVersionRow, withMetadata = false): Buffer | null {
    if (version.id < 0) return null; // detached bundle folder: not registered, nothing to compare with
    const dir = this.dirOf(version);
    if (!existsSync(dir)) throw new OslerError('not-found', `the model folder ${version.path} is missing`);
    // Hashed once per run, and again only when a file's size, time or inode moved since: a restore
    // (or a further change) of a refused folder moves its stamp, and is hashed again.
    const stamp = bundleStamp(dir);
    const verified = this.#verifiedStamps.get(version.id);
    if (verified?.stamp === stamp) {
      if (!withMetadata) return null;
      // The stamp cannot see every change (one within a clock tick, same size): the metadata read now
      // must still have the digest that was checked, or everything is hashed again.
      const bytes = readBundleMetadataBytes(dir);
      const digest = bytes === null ? undefined : sha256Bytes(bytes);
      if (digest === verified.metadataDigest) return bytes;
    } else {
      const refused = this.#refusedStamps.get(version.id);
      if (refused?.stamp === stamp) throw new OslerError('conflict', refused.message);
    }
    const { digests: now, metadata } = bundleDigestsWithMetadata(dir);
    const registered = modelVersionFiles(this.#db, version.id);
    if (registered === null) recordModelVersionFiles(this.#db, version.id, now);
    const changes = registered === null ? [] : bundleChanges(registered, now);
    if (changes.length === 0) {
      this.#verifiedStamps.set(version.id, { stamp, metadataDigest: now[BUNDLE_FILES.metadata] });
      this.#refusedStamps.delete(version.id);
      return metadata;
    }
    const message = `model ${version.name} ${version.version} will not be used: since it was registered, ${changes.join(', ')} (folder ${version.path}). Restore its files, or import a copy under a new version.`;
    this.#verifiedStamps.delete(version.id);
    const audited = changes.join(', ');
    const before = this.#refusedStamps.get(version.id);
    this.#refusedStamps.set(version.id, { stamp, message, audited });
    if (before?.audited !== audited) {
      writeAudit(this.#db, {
        actor: 'system',
        action: 'models.integrity-failed',
        targetKind: 'model-version',
        targetId: version.id,
        detail: { name: version.name, version: version.version, changes },
      });
      this.#ctx.log(`osler: ${message}`);
    }
    throw new OslerError('conflict', message);
  }

  /** The bundle folder of a version (registered: inside the data folder; detached: where it is). */
  dirOf(version: ModelVersionRow): string {
    return isAbsolute(version.path) ? version.path : join(this.#ctx.home, version.path);
  }

  /**
   * A bundle folder outside the registry (`osler predict/evaluate --model PATH`), usable wherever a
   * registered version is; it gets a negative id and is never stored.
   */
  detached(dir: string): ModelVersionRow {
    const path = resolve(dir);
    const meta = readBundleMetadata(path);
    let id = this.#detachedIds.get(path);
    if (id === undefined) this.#detachedIds.set(path, (id = -(this.#detachedIds.size + 1)));
    this.#metadata.set(id, meta);
    return {
      id,
      modelId: 0,
      name: meta.name,
      task: meta.task,
      version: meta.version,
      state: 'candidate',
      path,
      metadata: meta as unknown as Record<string, unknown>,
      metrics: headline(meta.metrics),
      trainingRunId: null,
      parentVersionId: null,
      createdAt: meta.createdAt,
      createdBy: meta.createdBy,
      activatedAt: null,
      stateReason: null,
    };
  }

  /** A model named on the command line: a version id, a registered name, or a bundle folder. */
  resolveCli(spec: string): ModelVersionRow {
    if (/^\d+$/.test(spec)) return getModelVersion(this.#db, Number(spec));
    if (/^[a-z0-9][a-z0-9-]{0,63}$/.test(spec) && !existsSync(spec)) return activeModelVersion(this.#db, spec);
    return this.detached(spec);
  }

  /**
   * Predictions for every item of a file or folder in the model's layout (PNG file or ImageFolder,
   * DICOM file or folder, notes CSV/TSV, PhysioNet-layout folder); nothing is stored.
   */
  async predictPath(
    version: ModelVersionRow,
    input: string,
    options: { textCol?: string },
  ): Promise<
    {
      id: string;
      predicted: string | null;
      probabilities: number[] | null;
      values: { mean: number; low: number; high: number }[] | null;
    }[]
  > {
    const meta = this.metadataOf(version);
    const path = resolve(input);
    if (!existsSync(path)) throw new OslerError('not-found', `no file or folder at ${basename(path)}`);
    let set: Pick<EncodedSet, 'x' | 'ids'>;
    if (meta.task === 'image' && statSync(path).isFile() && path.toLowerCase().endsWith('.png')) {
      const { grey, width, height } = readPngGrey(path);
      set = { x: encodeImage(meta, grey, width, height), ids: [basename(path)] };
    } else if (meta.task === 'image' && isDicomInput(path)) {
      const files = statSync(path).isFile() ? [path] : listFiles(path);
      const xs: TensorData[] = [];
      const ids: string[] = [];
      for (const file of files) {
        try {
          for (const [i, slice] of (await dicomFileSlices(file, meta)).entries()) {
            xs.push(encodeImage(meta, slice.grey, slice.columns, slice.rows));
            ids.push(
              slice.frames > 1
                ? `${relative(path, file) || basename(file)}#${i + 1}`
                : relative(path, file) || basename(file),
            );
          }
        } catch {
          // Not DICOM, or not an image this model reads: skipped.
        }
      }
      if (xs.length === 0) throw new OslerError('invalid-input', 'no DICOM images this model can read under that path');
      set = { x: batchOf(xs), ids };
    } else {
      set = await pipelineFor(meta.task).load(
        path,
        meta,
        options.textCol === undefined ? {} : { textCol: options.textCol },
      );
    }
    const out = await this.#probabilities(version, set.x);
    const n = set.ids.length;
    if (meta.task === 'vitals-forecast') {
      const z = normalQuantile(0.5 + (meta.intervalLevel ?? 0.9) / 2);
      const encoding = forecastEncoding(meta);
      const last = (set as Partial<ForecastSet>).lastValues;
      return set.ids.map((id, i) => {
        const f = decodeForecast(encoding, out, i, z, last);
        return {
          id,
          predicted: null,
          probabilities: null,
          values: f.mean.map((m, j) => ({ mean: m, low: f.lower[j]!, high: f.upper[j]! })),
        };
      });
    }
    const k = meta.outputs.length;
    return Array.from({ length: n }, (_, i) => {
      const probabilities = Array.from(out.subarray(i * k, i * k + k));
      return { id: set.ids[i]!, predicted: meta.outputs[argmax(probabilities, 0, k)]!, probabilities, values: null };
    });
  }

  /** Resolves a model reference to a version row. */
  resolve(ref: ModelRef): ModelVersionRow {
    return 'versionId' in ref ? getModelVersion(this.#db, ref.versionId) : activeModelVersion(this.#db, ref.name);
  }

  #versionOut(v: ModelVersionRow): ModelVersionOut {
    const parent = v.parentVersionId === null ? null : getModelVersion(this.#db, v.parentVersionId).version;
    return {
      id: v.id,
      name: v.name,
      version: v.version,
      state: v.state,
      createdAt: v.createdAt,
      createdBy: v.createdBy,
      metrics: v.metrics,
      parentVersion: parent,
      trainingRunId: v.trainingRunId,
    };
  }

  /** Every model with its versions (newest first). */
  list(task?: ModelTask): ModelSummary[] {
    const byName = new Map<string, ModelVersionRow[]>();
    for (const v of listModelVersions(this.#db, task)) {
      const list = byName.get(v.name);
      if (list === undefined) byName.set(v.name, [v]);
      else list.push(v);
    }
    return [...byName.values()].map((versions) => this.#summary(versions));
  }

  #summary(versions: ModelVersionRow[]): ModelSummary {
    const active = versions.find((v) => v.state === 'active') ?? null;
    const newest = versions[0]!;
    const meta = (active ?? newest).metadata as Partial<BundleMetadata>;
    return {
      name: newest.name,
      title: meta.title ?? newest.name,
      task: newest.task as ModelTask,
      outputs: meta.outputs ?? [],
      positiveClass: meta.positiveClass ?? null,
      activeVersionId: active?.id ?? null,
      versions: versions.map((v) => this.#versionOut(v)),
    };
  }

  /** Summary of one named model. */
  summaryOf(name: string): ModelSummary {
    const versions = listModelVersions(this.#db).filter((v) => v.name === name);
    if (versions.length === 0) throw new OslerError('not-found', `no model named ${name}`);
    return this.#summary(versions);
  }

  /** One version with metadata and card. */
  detail(ref: ModelRef): z.output<typeof modelDetailSchema> {
    const version = this.resolve(ref);
    const cardPath = join(this.dirOf(version), BUNDLE_FILES.card);
    return {
      summary: this.summaryOf(version.name),
      version: this.#versionOut(version),
      metadata: slimModelMetadata(this.metadataOf(version)),
      card: existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : '',
    };
  }

  /** Promotes a version to active (audited with the reason). */
  promote(versionId: number, reason: string, actor: string): ModelSummary {
    const v = activateModelVersion(this.#db, versionId, actor, reason, 'models.promote');
    return this.summaryOf(v.name);
  }

  /** Discards a candidate (audited with the reason). */
  discard(versionId: number, reason: string, actor: string): ModelSummary {
    const v = discardModelVersion(this.#db, versionId, actor, reason);
    return this.summaryOf(v.name);
  }

  /** Re-activates an earlier version (default: the most recently active retired one). */
  rollback(name: string, toVersionId: number | undefined, reason: string, actor: string): ModelSummary {
    const target =
      toVersionId === undefined ? previousActiveVersion(this.#db, name) : getModelVersion(this.#db, toVersionId);
    if (target.name !== name)
      throw new OslerError('invalid-input', `version ${target.id} belongs to ${target.name}, not ${name}`);
    activateModelVersion(this.#db, target.id, actor, reason, 'models.rollback');
    return this.summaryOf(name);
  }

  /** Imports a bundle folder as a candidate; the model must load in the engine first. */
  async importBundle(path: string, actor: string): Promise<ModelVersionOut> {
    const source = resolve(path);
    if (!existsSync(source) || !statSync(source).isDirectory())
      throw new OslerError('not-found', `no model folder at ${basename(source)}`);
    const meta = readBundleMetadata(source);
    if (hasModelVersion(this.#db, meta.name, meta.version))
      throw new OslerError('conflict', `model ${meta.name} already has a version ${meta.version}`);
    const engine = await this.#ctx.inferenceEngine();
    const probeId = `import-${Date.now()}`;
    await engine.load({ modelId: probeId, dir: source });
    await engine.dispose(probeId);
    const v = this.#register(source, meta, 'candidate', actor, null, null, `imported from ${basename(source)}`);
    return this.#versionOut(v);
  }

  /**
   * Exports a version's bundle (model, weights, metadata, card) into `dest/<name>-<version>` (`-2`, ... if taken),
   * optionally with float16 or uint8 weight quantization (tfjs's manifest `quantization` format,
   * which every tfjs loader dequantizes). With validation data, both the original and the exported
   * model are evaluated on it and the metric change is reported.
   */
  async exportBundle(
    versionId: number,
    dest: string,
    quantize: 'none' | 'float16' | 'uint8',
    actor: string,
    validation?: DataSource,
  ): Promise<{ path: string; bytes: number; originalBytes: number; metricChange: Record<string, number> | null }> {
    const version = getModelVersion(this.#db, versionId);
    // An export carries the version's name, so it must be the registered files: checked before copying
    // (refused and audited like any use) and again on the copy, which is what leaves.
    this.#verifyFiles(version);
    const meta = this.metadataOf(version);
    const source = this.dirOf(version);
    const suffix = quantize === 'none' ? '' : `-${quantize}`;
    const target = join(
      resolve(dest),
      freeFolder(resolve(dest), `${version.name}-${folderSafe(version.version)}${suffix}`),
    );
    try {
      copyBundleDurably(source, target);
    } catch (error) {
      rmSync(target, { recursive: true, force: true });
      throw error;
    }
    const registered = modelVersionFiles(this.#db, version.id);
    const changed = registered === null ? [] : bundleChanges(registered, bundleDigests(target));
    if (changed.length > 0) {
      rmSync(target, { recursive: true, force: true });
      throw new OslerError(
        'conflict',
        `model ${version.name} ${version.version} was not exported: while copying, ${changed.join(', ')}`,
      );
    }
    const originalBytes = statSync(join(source, BUNDLE_FILES.weights)).size;
    if (quantize !== 'none') quantizeBundle(target, quantize);
    const bytes = statSync(join(target, BUNDLE_FILES.weights)).size;
    let metricChange: Record<string, number> | null = null;
    if (validation !== undefined) {
      const set = await this.loadData(meta, validation);
      const engine = await this.#ctx.inferenceEngine();
      const before = await this.evaluateSet(version, set, engine);
      const probeId = `export-${Date.now()}`;
      await engine.load({ modelId: probeId, dir: target });
      try {
        const raw = (await engine.predict({ modelId: probeId, x: set.x }).result).y.values as Float32Array;
        const outputs = calibrated(meta, raw);
        const after = this.#report(version.id, meta, outputs, set);
        metricChange = {};
        for (const [k, v] of Object.entries(after.summary))
          if (k !== 'n' && before.summary[k] !== undefined) metricChange[k] = v - before.summary[k]!;
      } finally {
        await engine.dispose(probeId);
      }
    }
    this.#audit(actor, 'models.export', version.id, { dest: basename(resolve(dest)), quantize, bytes });
    return { path: target, bytes, originalBytes, metricChange };
  }

  #audit(actor: string, action: string, versionId: number, detail: Record<string, unknown>): void {
    writeAudit(this.#db, { actor, action, targetKind: 'model-version', targetId: versionId, detail });
  }

  async #modelIdIn(engine: EngineClient, version: ModelVersionRow): Promise<string> {
    let cache = this.#loaded.get(engine);
    if (cache === undefined) this.#loaded.set(engine, (cache = new Map()));
    const hit = cache.get(version.id);
    if (hit !== undefined) {
      cache.delete(version.id);
      cache.set(version.id, hit);
      return hit;
    }
    const modelId = `v${version.id}`;
    // Every load reads the weights from disk again (first use, after eviction, in a restarted or
    // the training engine), so each one is checked against the registered digests: here (cheaply,
    // by stamp, once hashed) and by the engine on the very bytes it loads.
    this.#verifyFiles(version);
    const digests = version.id < 0 ? null : modelVersionFiles(this.#db, version.id);
    try {
      await engine.load({ modelId, dir: this.dirOf(version), ...(digests !== null ? { digests } : {}) });
    } catch (error) {
      // An EngineError (the client module is loaded lazily, so matched by name): code 'conflict' is a digest miss.
      if (!(
        error instanceof Error &&
        error.name === 'EngineError' &&
        (error as { code?: unknown }).code === 'conflict'
      ))
        throw error;
      // A file changed between the check and the load: checked again, it is refused, named and audited.
      this.#verifyFiles(version);
      throw new OslerError('conflict', `model ${version.name} ${version.version} will not be used: ${error.message}`);
    }
    cache.set(version.id, modelId);
    while (cache.size > MAX_LOADED) {
      const [oldestVersion, oldestId] = cache.entries().next().value as [number, string];
      cache.delete(oldestVersion);
      await engine.dispose(oldestId).catch(() => undefined);
    }
    return modelId;
  }

  /** Calibrated class probabilities for a batch. */
  async #probabilities(version: ModelVersionRow, x: TensorData, engine?: EngineClient): Promise<Float32Array> {
    const meta = this.metadataOf(version);
    const e = engine ?? (await this.#ctx.inferenceEngine());
    const modelId = await this.#modelIdIn(e, version);
    const y = (await e.predict({ modelId, x }).result).y;
    return calibrated(meta, y.values as Float32Array);
  }

  /** Runs a model on an item, stores the prediction (audited) and returns it. */
  async predict(ref: ModelRef, target: Target, actor: string): Promise<PredictionOut> {
    const version = this.resolve(ref);
    const meta = this.metadataOf(version);
    const k = meta.outputs.length;
    const pos = positiveIndex(meta);
    let output: Record<string, unknown>;
    let score: number | null;
    let targetKind: PredictionOut['targetKind'] = target.kind;
    if (meta.task === 'text') {
      if (target.kind !== 'note')
        throw new OslerError('invalid-input', `${meta.name} reads notes, not a ${target.kind}`);
      const probs = await this.#probabilities(version, encodeTexts(meta, [noteText(this.#db, target.id)]));
      const best = argmax(probs, 0, k);
      output = { probabilities: Array.from(probs), predicted: meta.outputs[best] };
      score = pos === null ? probs[best]! : probs[pos]!;
    } else if (meta.task === 'image') {
      if (target.kind !== 'series' && target.kind !== 'instance')
        throw new OslerError('invalid-input', `${meta.name} reads images, not a ${target.kind}`);
      const instances =
        target.kind === 'series' ? seriesInstances(this.#db, target.id) : [instanceById(this.#db, target.id)];
      const slices: GreySlice[] = [];
      for (const instance of instances)
        slices.push(...(await instanceSlices(this.#db, this.#ctx.home, instance, meta)));
      const probs = await this.#probabilities(
        version,
        batchOf(slices.map((s) => encodeImage(meta, s.grey, s.columns, s.rows))),
      );
      const scores = slices.map((_, i) =>
        pos === null ? probs[i * k + argmax(probs, i * k, k)]! : probs[i * k + pos]!,
      );
      let top = 0;
      scores.forEach((s, i) => (s > scores[top]! ? (top = i) : undefined));
      const topProbs = Array.from(probs.subarray(top * k, top * k + k));
      output = {
        probabilities: topProbs,
        predicted: meta.outputs[argmax(topProbs, 0, k)],
        slices: slices.map((s, i) => ({ instanceId: s.instanceId, score: scores[i]! })),
      };
      score = scores[top]!;
      targetKind = target.kind;
    } else {
      if (target.kind !== 'recording')
        throw new OslerError('invalid-input', `${meta.name} reads vital-sign recordings, not a ${target.kind}`);
      const stay = recordingStay(this.#db, target.id);
      if (meta.task === 'vitals-risk') {
        const probs = await this.#probabilities(version, encodeStay(meta, stay));
        const best = argmax(probs, 0, k);
        output = { probabilities: Array.from(probs), predicted: meta.outputs[best] };
        score = pos === null ? probs[best]! : probs[pos]!;
      } else {
        const inputs = forecastInputsAtLastHour(meta, stay);
        const raw = await this.#probabilities(version, inputs.x);
        const f = decodeForecast(
          forecastEncoding(meta),
          raw,
          0,
          normalQuantile(0.5 + (meta.intervalLevel ?? 0.9) / 2),
          inputs.lastValues,
        );
        output = {
          values: f.mean.map((m, j) => ({ mean: m, low: f.lower[j]!, high: f.upper[j]! })),
          forecastAtMs: inputs.endMs + 3_600_000,
          lastValues: inputs.lastValues,
        };
        score = null;
      }
    }
    const [id] = addPredictions(
      this.#db,
      [{ modelVersionId: version.id, targetKind, targetId: target.id, output, score }],
      actor,
    );
    return this.#predictionOut({
      id: id!,
      modelVersionId: version.id,
      targetKind,
      targetId: target.id,
      output,
      score,
      createdAt: new Date().toISOString(),
    });
  }

  #predictionOut(p: {
    id: number;
    modelVersionId: number;
    targetKind: PredictionOut['targetKind'];
    targetId: number;
    output: unknown;
    score: number | null;
    createdAt: string;
  }): PredictionOut {
    const version = getModelVersion(this.#db, p.modelVersionId);
    const out = (p.output ?? {}) as {
      probabilities?: number[];
      predicted?: string;
      values?: { mean: number; low: number; high: number }[];
      slices?: { instanceId: number; score: number }[];
    };
    const outputs = (version.metadata as Partial<BundleMetadata>).outputs ?? [];
    return {
      id: p.id,
      modelVersionId: version.id,
      modelName: version.name,
      modelVersion: version.version,
      targetKind: p.targetKind,
      targetId: p.targetId,
      outputs,
      probabilities: out.probabilities ?? null,
      predicted: out.predicted ?? null,
      values: out.values ?? null,
      slices: out.slices ?? null,
      score: p.score,
      createdAt: p.createdAt,
    };
  }

  /** Stored predictions of an item, newest first; a read through the contract is audited. */
  predictionsFor(target: Target, actor?: string): PredictionOut[] {
    if (actor !== undefined)
      writeAudit(this.#db, { actor, action: 'predictions.list', targetKind: target.kind, targetId: target.id });
    return listPredictions(this.#db, target.kind, target.id).map((p) => this.#predictionOut(p));
  }

  /** Explains a model's output on an item; audited once the explanation exists. */
  async explain(ref: ModelRef, target: Target, outputName: string | undefined, actor: string): Promise<Explanation> {
    const explanation = await this.#explain(ref, target, outputName);
    writeAudit(this.#db, {
      actor,
      action: 'explain.run',
      targetKind: target.kind,
      targetId: target.id,
      detail: { modelVersion: explanation.modelVersionId, method: explanation.method },
    });
    return explanation;
  }

  async #explain(ref: ModelRef, target: Target, outputName: string | undefined): Promise<Explanation> {
    const version = this.resolve(ref);
    const meta = this.metadataOf(version);
    const engine = await this.#ctx.inferenceEngine();
    const modelId = await this.#modelIdIn(engine, version);
    let outputIndex: number | undefined;
    if (outputName !== undefined) {
      outputIndex = meta.outputs.indexOf(outputName);
      if (outputIndex < 0) throw new OslerError('invalid-input', `${meta.name} has no output ${outputName}`);
    }
    const explainWith = async (x: TensorData, methods: ('integrated-gradients' | 'grad-cam' | 'occlusion')[]) => {
      let lastError: unknown;
      for (const method of methods) {
        try {
          return await engine.explain({
            modelId,
            x,
            method,
            ...(outputIndex === undefined ? {} : { target: outputIndex }),
          }).result;
        } catch (error) {
          lastError = error;
        }
      }
      throw new OslerError(
        'unavailable',
        `cannot explain ${meta.name}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      );
    };
    if (meta.task === 'text') {
      if (target.kind !== 'note')
        throw new OslerError('invalid-input', `${meta.name} reads notes, not a ${target.kind}`);
      const text = noteText(this.#db, target.id);
      const input = meta.input.kind === 'text' ? meta.input : null;
      // Integrated gradients on the embeddings where the model starts with an Embedding layer
      // (recurrent models). N-gram bags take feature ids that have no gradient, so they (and any
      // model where IG fails or yields all zeros) are explained by word occlusion instead.
      const ig =
        meta.spec?.family === 'text-bag'
          ? null
          : await engine
              .explain({
                modelId,
                x: encodeTexts(meta, [text]),
                method: 'integrated-gradients',
                ...(outputIndex === undefined ? {} : { target: outputIndex }),
              })
              .result.catch((error: unknown) => {
                this.#ctx.log(
                  `osler: integrated gradients failed for ${meta.name} ${meta.version}, explaining by word occlusion: ${error instanceof Error ? error.message : String(error)}`,
                );
                return null;
              });
      if (ig !== null && (ig.attribution.values as Float32Array).some((v) => v !== 0)) {
        const scores = Array.from(ig.attribution.values as Float32Array);
        const spans = tokenSpans(text).slice(0, input?.sequenceLength ?? scores.length);
        const offset = input?.padding === 'pre' ? scores.length - spans.length : 0;
        return {
          modelVersionId: version.id,
          method: ig.method,
          output: meta.outputs[ig.target] ?? String(ig.target),
          attribution: { kind: 'tokens', tokens: spans.map((w, i) => ({ ...w, score: scores[offset + i] ?? 0 })) },
        };
      }
      // Word occlusion: each word in turn is removed from the note and the drop of the explained
      // class's (calibrated) log-odds is its score. Model-agnostic (recurrent models and
      // n-gram bags alike) and scored on the note's own words, so highlights land on real text.
      const spans = tokenSpans(text).slice(
        0,
        Math.min(MAX_OCCLUDED_WORDS, input?.sequenceLength ?? MAX_OCCLUDED_WORDS),
      );
      const variants = [text, ...spans.map((w) => `${text.slice(0, w.start)} ${text.slice(w.end)}`)];
      const probs = await this.#probabilities(version, encodeTexts(meta, variants));
      const k = meta.outputs.length;
      const explained = outputIndex ?? argmax(probs, 0, k);
      // Log-odds, not probability: a confident model's probability barely moves when one of
      // several telling words goes, its log-odds still do.
      // From the other classes' mass rather than 1 - p: float32 rounds a confident p to exactly 1.
      const logOdds = (row: number) => {
        let others = 0;
        for (let j = 0; j < k; j++) if (j !== explained) others += probs[row * k + j]!;
        return Math.log(Math.max(probs[row * k + explained]!, 1e-30)) - Math.log(Math.max(others, 1e-30));
      };
      const base = logOdds(0);
      return {
        modelVersionId: version.id,
        method: 'word-occlusion',
        output: meta.outputs[explained] ?? String(explained),
        attribution: {
          kind: 'tokens',
          tokens: spans.map((w, i) => ({ ...w, score: base - logOdds(i + 1) })),
        },
      };
    }
    if (meta.task === 'image') {
      let instance;
      if (target.kind === 'instance') instance = instanceById(this.#db, target.id);
      else if (target.kind === 'series') {
        const latest = this.predictionsFor(target).find((p) => p.modelVersionId === version.id && p.slices !== null);
        const top = latest?.slices?.reduce((a, b) => (b.score > a.score ? b : a));
        const instances = seriesInstances(this.#db, target.id);
        instance = instances.find((i) => i.id === top?.instanceId) ?? instances[Math.floor(instances.length / 2)]!;
      } else throw new OslerError('invalid-input', `${meta.name} reads images, not a ${target.kind}`);
      const [slice] = await instanceSlices(this.#db, this.#ctx.home, instance, meta);
      const x = encodeImage(meta, slice!.grey, slice!.columns, slice!.rows);
      const result = await explainWith(x, ['grad-cam', 'occlusion']);
      const [, h, w] = result.attribution.shape as [number, number, number];
      const map = result.attribution.values as Float32Array;
      let max = 0;
      for (const v of map) max = Math.max(max, v);
      const norm = Float32Array.from(map, (v) => (max > 0 ? Math.max(0, v) / max : 0));
      const values = heatmapToSource(norm, w, h, {
        sourceWidth: slice!.columns,
        sourceHeight: slice!.rows,
        crop: { x: 0, y: 0, width: slice!.columns, height: slice!.rows },
      });
      return {
        modelVersionId: version.id,
        method: result.method,
        output: meta.outputs[result.target] ?? String(result.target),
        attribution: { kind: 'heatmap', instanceId: instance.id, rows: slice!.rows, columns: slice!.columns, values },
      };
    }
    if (target.kind !== 'recording')
      throw new OslerError('invalid-input', `${meta.name} reads vital-sign recordings, not a ${target.kind}`);
    if (meta.input.kind !== 'vitals') throw new OslerError('internal', 'vitals model without a vitals input');
    const stay = recordingStay(this.#db, target.id);
    if (meta.task === 'vitals-risk') return this.#explainRisk(version, meta, stay, outputIndex);
    const x = encodeStay(meta, stay);
    const result = await explainWith(x, ['integrated-gradients', 'occlusion']);
    const input = meta.input;
    const values = result.attribution.values as Float32Array;
    const dims = result.attribution.shape;
    const steps = input.timeSteps;
    const features = dims.length >= 3 ? dims[2]! : 1;
    const stepScores: number[] = [];
    const variableScores = new Array<number>(input.variables.length).fill(0);
    for (let t = 0; t < steps; t++) {
      let sum = 0;
      for (let f = 0; f < features; f++) {
        const v = values[t * features + f] ?? 0;
        sum += v;
        const variable = f % input.variables.length;
        if (f < features) variableScores[variable] = variableScores[variable]! + Math.abs(v);
      }
      stepScores.push(sum);
    }
    const stepMs = input.stepHours * 3_600_000;
    const endMs = meta.task === 'vitals-forecast' ? forecastInputsAtLastHour(meta, stay).endMs : steps * stepMs;
    return {
      modelVersionId: version.id,
      method: result.method,
      output: meta.outputs[result.target] ?? String(result.target),
      attribution: {
        kind: 'steps',
        stepStartsMs: stepScores.map((_, t) => endMs - (steps - t) * stepMs),
        stepHours: input.stepHours,
        scores: stepScores,
        variables: input.variables
          .map((name, i) => ({ name, score: variableScores[i]! }))
          .sort((a, b) => b.score - a.score),
      },
    };
  }

  /**
   * Risk explanation by occlusion on the stay itself, so it holds for any architecture (the shipped
   * model reads whole-stay summaries, which gradients over hourly bins cannot see): each time step's
   * measurements are removed in turn and the drop in the explained class's probability is that
   * step's score (positive: the hour raised the risk); each variable is removed whole for the
   * variable ranking. All variants are scored in one batch.
   */
  async #explainRisk(
    version: ModelVersionRow,
    meta: BundleMetadata,
    stay: ReturnType<typeof recordingStay>,
    outputIndex: number | undefined,
  ): Promise<Explanation> {
    if (meta.input.kind !== 'vitals') throw new OslerError('internal', 'vitals model without a vitals input');
    const input = meta.input;
    const stepMs = input.stepHours * 3_600_000;
    const steps = input.timeSteps;
    const withoutStep = (t: number) => ({
      ...stay,
      series: stay.series.map((s) => {
        const keep: number[] = [];
        for (let i = 0; i < s.timesMs.length; i++) if (Math.floor(s.timesMs[i]! / stepMs) !== t) keep.push(i);
        return {
          parameter: s.parameter,
          timesMs: Float64Array.from(keep, (i) => s.timesMs[i]!),
          values: Float32Array.from(keep, (i) => s.values[i]!),
        };
      }),
    });
    const variables = input.variables.filter((v) => stay.series.some((s) => s.parameter === v && s.values.length > 0));
    const variants = [
      stay,
      ...Array.from({ length: steps }, (_, t) => withoutStep(t)),
      ...variables.map((v) => ({ ...stay, series: stay.series.filter((s) => s.parameter !== v) })),
    ];
    const probs = await this.#probabilities(version, batchOf(variants.map((v) => encodeStay(meta, v))));
    const k = meta.outputs.length;
    const explained = outputIndex ?? positiveIndex(meta) ?? argmax(probs, 0, k);
    const base = probs[explained]!;
    const scores = Array.from({ length: steps }, (_, t) => base - probs[(1 + t) * k + explained]!);
    return {
      modelVersionId: version.id,
      method: 'time-occlusion',
      output: meta.outputs[explained] ?? String(explained),
      attribution: {
        kind: 'steps',
        stepStartsMs: scores.map((_, t) => t * stepMs),
        stepHours: input.stepHours,
        scores,
        variables: variables
          .map((name, i) => ({ name, score: base - probs[(1 + steps + i) * k + explained]! }))
          .sort((a, b) => Math.abs(b.score) - Math.abs(a.score)),
      },
    };
  }

  /**
   * Active learning: unlabelled items (for `labelTask`) ranked by the model's uncertainty, most
   * uncertain first. Series are scored from their stored predictions where the version has one,
   * else predicted (at most 20 series per call: each is a whole stack).
   */
  async reviewQueue(
    ref: ModelRef,
    labelTask: string,
    limit: number,
    scan: number,
    actor: string,
  ): Promise<z.output<typeof reviewItemSchema>[]> {
    const version = this.resolve(ref);
    const meta = this.metadataOf(version);
    if (meta.task === 'vitals-forecast') throw new OslerError('invalid-input', 'a forecaster has no classes to review');
    const k = meta.outputs.length;
    const items: z.output<typeof reviewItemSchema>[] = [];
    const push = (target: Target, title: string, patientKey: string | null, probs: ArrayLike<number>) => {
      const sorted = Array.from(probs).sort((a, b) => b - a);
      const p = Array.from(probs);
      items.push({
        target,
        title,
        patientKey,
        predicted: meta.outputs[argmax(p, 0, k)]!,
        probabilities: p,
        uncertainty: 1 - (sorted[0]! - (sorted[1] ?? 0)),
      });
    };
    if (meta.task === 'text') {
      const ids = unlabelledTargets(this.#db, labelTask, 'note', scan);
      if (ids.length > 0) {
        const notes = ids.map((id) => getNote(this.#db, id)!);
        const probs = await this.#probabilities(
          version,
          encodeTexts(
            meta,
            notes.map((n) => n.text),
          ),
        );
        notes.forEach((n, i) =>
          push({ kind: 'note', id: n.id }, n.title ?? `Note ${n.id}`, n.patientKey, probs.subarray(i * k, i * k + k)),
        );
      }
    } else if (meta.task === 'vitals-risk') {
      const ids = unlabelledTargets(this.#db, labelTask, 'recording', scan);
      if (ids.length > 0) {
        const probs = await this.#probabilities(
          version,
          batchOf(ids.map((id) => encodeStay(meta, recordingStay(this.#db, id)))),
        );
        ids.forEach((id, i) => {
          const r = getRecording(this.#db, id);
          const title = (r?.metadata as { title?: string } | undefined)?.title ?? `Recording ${id}`;
          push({ kind: 'recording', id }, title, r?.patientKey ?? null, probs.subarray(i * k, i * k + k));
        });
      }
    } else {
      for (const id of unlabelledTargets(this.#db, labelTask, 'series', Math.min(scan, 20))) {
        const stored = this.predictionsFor({ kind: 'series', id }).find(
          (p) => p.modelVersionId === version.id && p.probabilities !== null,
        );
        let probabilities = stored?.probabilities ?? null;
        if (probabilities === null) {
          try {
            probabilities = (await this.predict({ versionId: version.id }, { kind: 'series', id }, actor))
              .probabilities;
          } catch {
            continue; // A series this model cannot read (other modality) is not reviewable by it.
          }
        }
        const series = getSeries(this.#db, id);
        push({ kind: 'series', id }, series?.description ?? `Series ${id}`, null, probabilities ?? []);
      }
    }
    writeAudit(this.#db, {
      actor,
      action: 'models.reviewQueue',
      targetKind: 'model-version',
      targetId: version.id,
      detail: { labelTask, scanned: items.length },
    });
    return items.sort((a, b) => b.uncertainty - a.uncertainty).slice(0, limit);
  }

  /** Reads labelled data for a model from the store or a path, encoded with its input spec. */
  async loadData(meta: BundleMetadata, data: DataSource): Promise<EncodedSet> {
    if (data.source === 'path') {
      const path = resolve(data.path);
      if (!existsSync(path)) throw new OslerError('not-found', `no file or folder at ${basename(path)}`);
      if (meta.task === 'image' && existsSync(join(path, 'labels.csv')))
        return labelsCsvImages(path, meta, data.labelCol);
      return pipelineFor(meta.task).load(path, meta, {
        ...(data.textCol === undefined ? {} : { textCol: data.textCol }),
        ...(data.labelCol === undefined ? {} : { labelCol: data.labelCol }),
      });
    }
    return this.#storeSet(meta, data.labelTask);
  }

  async #storeSet(meta: BundleMetadata, labelTask: string): Promise<EncodedSet> {
    const k = meta.outputs.length;
    const xs: TensorData[] = [];
    const labels: number[] = [];
    const ids: string[] = [];
    const patients: string[] = [];
    const skipped: { id: string; reason: string }[] = [];
    const classIndex = (value: string, id: string): number | null => {
      // Label codes recorded by the model (e.g. the abstracts' 1..5) or class names, any case.
      const i = classIndexOf(meta, value);
      if (i < 0) skipped.push({ id, reason: `label ${value} is not one of ${meta.outputs.join(', ')}` });
      return i < 0 ? null : i;
    };
    if (meta.task === 'text') {
      const rows = currentLabelsForTask(this.#db, labelTask, 'note');
      const owners = patientsOf(
        this.#db,
        'note',
        rows.map((r) => r.targetId),
      );
      const texts: string[] = [];
      for (const row of rows) {
        const c = classIndex(row.value, `note ${row.targetId}`);
        if (c === null) continue;
        texts.push(noteText(this.#db, row.targetId));
        labels.push(c);
        ids.push(`note:${row.targetId}`);
        patients.push(String(owners.get(row.targetId) ?? `note:${row.targetId}`));
      }
      if (texts.length > 0) xs.push(encodeTexts(meta, texts));
    } else if (meta.task === 'image') {
      const rows = [
        ...currentLabelsForTask(this.#db, labelTask, 'instance'),
        ...currentLabelsForTask(this.#db, labelTask, 'series'),
      ];
      for (const row of rows) {
        const c = classIndex(row.value, `${row.targetKind} ${row.targetId}`);
        if (c === null) continue;
        const instances =
          row.targetKind === 'instance'
            ? [instanceById(this.#db, row.targetId)]
            : seriesInstances(this.#db, row.targetId);
        const owners = patientsOf(
          this.#db,
          'instance',
          instances.map((i) => i.id),
        );
        for (const instance of instances) {
          try {
            for (const s of await instanceSlices(this.#db, this.#ctx.home, instance, meta)) {
              xs.push(encodeImage(meta, s.grey, s.columns, s.rows));
              labels.push(c);
              ids.push(`instance:${instance.id}`);
              patients.push(String(owners.get(instance.id) ?? `instance:${instance.id}`));
            }
          } catch (error) {
            skipped.push({
              id: `instance ${instance.id}`,
              reason: error instanceof Error ? error.message : String(error),
            });
          }
        }
      }
    } else if (meta.task === 'vitals-risk') {
      const rows = currentLabelsForTask(this.#db, labelTask, 'recording');
      const owners = patientsOf(
        this.#db,
        'recording',
        rows.map((r) => r.targetId),
      );
      for (const row of rows) {
        const c = classIndex(row.value, `recording ${row.targetId}`);
        if (c === null) continue;
        xs.push(encodeStay(meta, recordingStay(this.#db, row.targetId)));
        labels.push(c);
        ids.push(`recording:${row.targetId}`);
        patients.push(String(owners.get(row.targetId) ?? `recording:${row.targetId}`));
      }
    } else {
      throw new OslerError(
        'invalid-input',
        'forecasters learn from the recordings themselves, not from labels: train them from a PhysioNet-layout folder',
      );
    }
    if (labels.length === 0)
      throw new OslerError(
        'invalid-input',
        `no items labelled for task ${labelTask} with classes ${meta.outputs.join(', ')}`,
      );
    const x = xs.length === 1 ? xs[0]! : batchOf(xs);
    const y = new Float32Array(labels.length * k);
    labels.forEach((c, i) => (y[i * k + c] = 1));
    return {
      x,
      y: { shape: [labels.length, k], dtype: 'float32', values: y },
      labels: Int32Array.from(labels),
      ids,
      patientIds: patients,
      skipped,
    };
  }

  /** Evaluates a version on a data set (all items, or the given subset by index). */
  async evaluateSet(version: ModelVersionRow, set: EncodedSet, engine?: EngineClient): Promise<Evaluation> {
    const meta = this.metadataOf(version);
    const outputs = await this.#probabilities(version, set.x, engine);
    return this.#report(version.id, meta, outputs, set);
  }

  #report(versionId: number, meta: BundleMetadata, outputs: Float32Array, set: EncodedSet): Evaluation {
    const n = set.x.shape[0]!;
    if (meta.task === 'vitals-forecast') {
      if (set.y === null) throw new OslerError('invalid-input', 'the data has no forecast targets to evaluate against');
      const k = meta.outputs.length;
      const z = normalQuantile(0.5 + (meta.intervalLevel ?? 0.9) / 2);
      const summary: Record<string, number> = { n };
      const report: Record<string, unknown> = {};
      const encoding = forecastEncoding(meta);
      const target = set.y.values as Float32Array;
      const last = (set as Partial<ForecastSet>).lastValues;
      const perOutput = meta.outputs.map((name, j) => {
        const pred = new Float32Array(n);
        const lower = new Float32Array(n);
        const upper = new Float32Array(n);
        const truth = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const f = decodeForecast(encoding, outputs, i, z, last);
          pred[i] = f.mean[j]!;
          lower[i] = f.lower[j]!;
          upper[i] = f.upper[j]!;
          truth[i] = target[i * k + j]!;
        }
        const r = evaluateRegression(pred, truth, { lower, upper });
        report[name] = r;
        return r;
      });
      summary.mae = perOutput.reduce((a, r) => a + r.mae, 0) / perOutput.length;
      summary.rmse = perOutput.reduce((a, r) => a + r.rmse, 0) / perOutput.length;
      summary.coverage = perOutput.reduce((a, r) => a + (r.coverage ?? 0), 0) / perOutput.length;
      meta.outputs.forEach((name, j) => {
        summary[`${name}Mae`] = perOutput[j]!.mae;
        summary[`${name}Rmse`] = perOutput[j]!.rmse;
        summary[`${name}Coverage`] = perOutput[j]!.coverage ?? 0;
      });
      return { modelVersionId: versionId, n, summary: finiteOnly(summary), report };
    }
    if (set.labels === null) throw new OslerError('invalid-input', 'the data has no labels to evaluate against');
    const k = meta.outputs.length;
    const pos = positiveIndex(meta);
    const report = evaluateClassification(outputs, set.labels, meta.outputs, {
      bootstrap: 500,
      seed: 1,
      ...(pos === null ? {} : { positiveClass: pos }),
    });
    const curves = meta.outputs.map((name, c) => {
      const truth = Array.from(set.labels!, (l) => (l === c ? 1 : 0));
      const scores = Array.from({ length: n }, (_, i) => outputs[i * k + c]!);
      const curve = rocCurve(truth, scores);
      return { className: name, ...thinCurve(curve.fpr, curve.tpr) };
    });
    return {
      modelVersionId: versionId,
      n,
      summary: finiteOnly(summariseReport(report)),
      report: { ...report, rocCurves: pos === null ? curves : [curves[pos]!] } as unknown as Record<string, unknown>,
    };
  }

  /** `evaluate.run`: a version on labelled store data or a path in its layout. Audited. */
  async evaluate(ref: ModelRef, data: DataSource, actor: string): Promise<Evaluation> {
    const version = this.resolve(ref);
    const set = await this.loadData(this.metadataOf(version), data);
    const evaluation = await this.evaluateSet(version, set);
    this.#audit(actor, 'evaluate.run', version.id, { source: data.source, n: evaluation.n });
    return evaluation;
  }

  /** Training runs, newest first. */
  runs(name: string | undefined, limit: number): TrainingRunOut[] {
    return listTrainingRuns(this.#db, name, limit).map(runOut);
  }

  /** Cancels a running training run. */
  cancel(runId: number): TrainingRunOut {
    const run = getTrainingRun(this.#db, runId);
    const handle = this.#running.get(runId);
    if (run.status !== 'running' || handle === undefined)
      throw new OslerError('conflict', `training run ${runId} is not running (${run.status})`);
    handle.cancelled = true;
    handle.cancel();
    return runOut(run);
  }

  /**
   * Starts a training or fine-tuning run and returns its row at once; the run continues in the
   * training engine and reports through `models.trainingProgress`. `done` resolves when it ends.
   */
  async train(input: TrainInput, actor: string): Promise<{ run: TrainingRunOut; done: Promise<TrainingRunOut> }> {
    const existing = listModelVersions(this.#db).filter((v) => v.name === input.name);
    let parent: ModelVersionRow | null = null;
    if (existing.length > 0) {
      if (input.task !== undefined && existing[0]!.task !== input.task)
        throw new OslerError('conflict', `model ${input.name} is a ${existing[0]!.task} model, not ${input.task}`);
      parent = existing.find((v) => v.state === 'active') ?? existing[0]!;
    } else if (input.task === undefined)
      throw new OslerError('invalid-input', `model ${input.name} does not exist yet: say which task it is for`);
    const task = (parent?.task ?? input.task) as ModelTask;
    const parentMeta = parent === null ? null : this.metadataOf(parent);
    const settings = input.settings;
    const fineTune = parent !== null && input.fineTune !== false;
    const params = { task, data: input.data, settings, fineTune, parent: parent?.version ?? null };
    const run = startTrainingRun(
      this.#db,
      { name: input.name, task, family: parentMeta?.spec?.family ?? templateFamily(task), params },
      actor,
    );
    let cancelJob: () => void = () => undefined;
    // The version folder this run reserved, removed if the run fails or is cancelled before its
    // version is registered: recover() no longer runs at every start (not beside another core).
    let reserved: string | null = null;
    const handle = { cancel: () => cancelJob(), cancelled: false };
    this.#running.set(run.id, handle);
    const progress = (p: Partial<TrainingProgressPayload> & Pick<TrainingProgressPayload, 'phase'>) =>
      this.#ctx.emitProgress({
        runId: run.id,
        epoch: 0,
        epochs: 0,
        batch: 0,
        batches: 0,
        loss: 0,
        metrics: {},
        samplesPerSec: 0,
        etaMs: 0,
        versionId: null,
        message: null,
        ...p,
      });
    const done = (async (): Promise<TrainingRunOut> => {
      const started = performance.now();
      try {
        progress({ phase: 'preparing', message: 'reading labelled data' });
        const baseMeta = parentMeta ?? (await this.#template(input.name, task, input.data, settings));
        const set = await this.loadData(baseMeta, input.data);
        if (set.labels === null && task !== 'vitals-forecast')
          throw new OslerError('invalid-input', 'the training data has no labels');
        const n = set.x.shape[0]!;
        if (n < 4) throw new OslerError('invalid-input', `only ${n} labelled items: at least 4 are needed to train`);
        const seed = settings.seed ?? 1;
        let train: EncodedSet;
        let validation: EncodedSet;
        if (input.validation !== undefined) {
          train = set;
          validation = await this.loadData(baseMeta, input.validation);
        } else {
          const split = splitByPatient(set.patientIds, set.labels, settings.validationFraction ?? 0.2, seed);
          if (split.validation.length === 0 || split.train.length === 0)
            throw new OslerError('invalid-input', 'too few patients to hold any out for validation');
          train = { ...subsetOf(set, split.train), skipped: [] };
          validation = { ...subsetOf(set, split.validation), skipped: [] };
        }
        const engine = await this.#ctx.trainingEngine();
        const spec = baseMeta.spec;
        if (spec === null)
          throw new OslerError('invalid-input', `${baseMeta.name} has no architecture Osler can retrain`);
        const initFrom = fineTune && parent !== null ? await this.#modelIdIn(engine, parent) : undefined;
        const k = baseMeta.outputs.length;
        const modelId = `run${run.id}`;
        const epochs = settings.epochs ?? (fineTune ? 8 : 20);
        const job = engine.train(
          {
            modelId,
            spec,
            ...(initFrom === undefined ? {} : { initFrom }),
            // Forecasters learn on windows where every target was measured, on the model's scale.
            train:
              task === 'vitals-forecast'
                ? forecastTrainingData(forecastEncoding(baseMeta), train as ForecastSet)
                : { x: train.x, y: train.y! },
            validation:
              task === 'vitals-forecast'
                ? forecastTrainingData(forecastEncoding(baseMeta), validation as ForecastSet)
                : { x: validation.x, y: validation.y! },
            options: {
              epochs,
              batchSize: settings.batchSize ?? 32,
              learningRate: settings.learningRate ?? (fineTune ? 3e-4 : 1e-3),
              seed,
              patience: settings.patience ?? 4,
              lrDecay: 0.95,
              ...(train.labels !== null && task !== 'vitals-forecast'
                ? { classWeights: inverseFrequencyWeights(train.labels, k) }
                : {}),
              ...(task === 'image'
                ? { augment: { flipHorizontal: true, maxShiftFraction: 0.05, intensityJitter: 0.1 } }
                : {}),
            },
          },
          (p: EngineProgress) => progress({ ...p, phase: p.phase, metrics: p.metrics, versionId: null, message: null }),
        );
        cancelJob = () => job.cancel();
        if (handle.cancelled) job.cancel();
        const result = await job.result;
        progress({ phase: 'evaluating', epochs, epoch: result.epochsCompleted });
        const raw = (await engine.predict({ modelId, x: validation.x }).result).y.values as Float32Array;
        let temperature = 1;
        let metrics: Record<string, unknown>;
        if (task === 'vitals-forecast') {
          metrics = this.#report(0, baseMeta, raw, validation).summary;
        } else {
          const before = evaluateClassification(raw, validation.labels!, baseMeta.outputs, { bootstrap: 0 });
          temperature = fitTemperature(raw, validation.labels!, k);
          const scaled = applyTemperature(raw, k, temperature);
          const pos = positiveIndex(baseMeta);
          const after = evaluateClassification(scaled, validation.labels!, baseMeta.outputs, {
            bootstrap: 500,
            seed,
            ...(pos === null ? {} : { positiveClass: pos }),
          });
          metrics = {
            ...summariseReport(after),
            auc: { value: after.auc, ci95: after.aucCi95 },
            eceBeforeScaling: before.ece,
          };
        }
        progress({ phase: 'saving', epochs, epoch: result.epochsCompleted });
        const version = nowVersion();
        const rel = this.#versionFolder(input.name, version);
        reserved = rel;
        const dir = join(this.#ctx.home, rel);
        // Saved straight into the folder reserved for it (Windows refuses a rename onto a folder, even
        // an empty one): it is registered only once complete, and recover() sweeps it if it never is.
        await engine.save({ modelId, dir });
        await engine.dispose(modelId);
        const classCounts: Record<string, number> = {};
        if (train.labels !== null)
          for (const l of train.labels)
            classCounts[baseMeta.outputs[l]!] = (classCounts[baseMeta.outputs[l]!] ?? 0) + 1;
        // The parent's decision offsets belong to the parent's weights: the new version has its own
        // temperature and none.
        const { classOffsets: _parentOffsets, ...inherited } = baseMeta;
        const meta: BundleMetadata = {
          ...inherited,
          name: input.name,
          version,
          temperature,
          metrics,
          trainingData: {
            source:
              input.data.source === 'store'
                ? `case store, label task ${input.data.labelTask}`
                : basename(input.data.path),
            trainSize: train.x.shape[0]!,
            validationSize: validation.x.shape[0]!,
            ...(train.labels !== null ? { classCounts } : {}),
            split:
              input.validation !== undefined
                ? 'separate validation data'
                : `by patient, stratified, ${Math.round((settings.validationFraction ?? 0.2) * 100)}% of patients held out, seed ${seed}`,
          },
          hyperParameters: { ...settings, epochs, fineTune, bestEpoch: result.bestEpoch },
          parent: parent === null ? null : { name: parent.name, version: parent.version },
          createdBy: actor,
          createdAt: new Date().toISOString(),
          oslerVersion: OSLER_VERSION,
          seed,
          trainingSeconds: (performance.now() - started) / 1000,
        };
        writeBundleMetadata(dir, meta);
        fsyncPath(join(this.#ctx.home, MODELS_DIR, input.name));
        const state = parent === null ? 'active' : 'candidate';
        const registered = this.#register(
          dir,
          meta,
          state,
          actor,
          run.id,
          parent?.id ?? null,
          parent === null ? 'first version of a new model' : `fine-tuned from ${parent.version}`,
          rel,
        );
        const finished = finishTrainingRun(
          this.#db,
          run.id,
          {
            status: 'succeeded',
            metrics: {
              final: metrics,
              history: result.history,
              heldOut: { data: input.validation ?? input.data, ids: validation.ids },
              epochsCompleted: result.epochsCompleted,
              bestEpoch: result.bestEpoch,
              samplesPerSec: result.samplesPerSec,
            },
          },
          actor,
        );
        progress({
          phase: 'done',
          epochs,
          epoch: result.epochsCompleted,
          versionId: registered.id,
          metrics: headline(metrics),
        });
        return runOut(finished);
      } catch (error) {
        const cancelled = handle.cancelled || (error as { code?: string }).code === 'cancelled';
        const message = error instanceof Error ? error.message : String(error);
        // Kept if a row points at it (the registration committed before the error).
        if (reserved !== null) this.#removeUnregistered(reserved);
        const finished = finishTrainingRun(
          this.#db,
          run.id,
          { status: cancelled ? 'cancelled' : 'failed', error: cancelled ? 'cancelled by the user' : message },
          actor,
        );
        progress({ phase: cancelled ? 'cancelled' : 'failed', message: cancelled ? 'cancelled' : message });
        return runOut(finished);
      } finally {
        this.#running.delete(run.id);
      }
    })();
    return { run: runOut(run), done };
  }

  /** Metadata template for the first version of a new model (architecture and preprocessing). */
  async #template(
    name: string,
    task: ModelTask,
    data: DataSource,
    settings: TrainInput['settings'],
  ): Promise<BundleMetadata> {
    const common = {
      format: 'osler-model/1' as const,
      name,
      version: '0',
      title: name,
      temperature: 1,
      metrics: {},
      trainingData: { source: '', trainSize: 0, validationSize: 0, split: '' },
      hyperParameters: {},
      card: {
        intendedUse: 'Decision support research on site data, not a medical device.',
        dataSource: 'Site data labelled in Osler',
        licence: 'Site data; stays on this machine',
        attribution: 'Labels by the site team',
        limitations: ['Trained on a small local data set; validate before relying on it.'],
      },
      parent: null,
      createdBy: 'system',
      createdAt: new Date().toISOString(),
      oslerVersion: OSLER_VERSION,
    };
    const classes = await this.#classesOf(task, data);
    if (classes.length < 2)
      throw new OslerError('invalid-input', `training needs at least two classes, found ${classes.length}`);
    if (task === 'image') {
      const size = settings.imageSize ?? 64;
      return {
        ...common,
        task,
        outputs: classes,
        ...(classes.length === 2 ? { positiveClass: classes[1]! } : {}),
        spec: {
          family: 'image-resnet',
          inputShape: [size, size, 1],
          classes: classes.length,
          width: 16,
          stages: 3,
          seed: settings.seed ?? 1,
        },
        input: {
          kind: 'image',
          width: size,
          height: size,
          channels: 1,
          scale: 255,
          mean: 0.5,
          std: 0.25,
          ...(settings.dicomWindow === undefined ? {} : { dicomWindows: [settings.dicomWindow] }),
        },
        camLayer: 'cam_features',
      };
    }
    if (task === 'text') {
      const texts = await this.#textsOf(data);
      // Long enough for 95% of the training notes (in steps of 16, at most 256): recurrent cost
      // grows with every padded step.
      const lengths = texts.map((t) => tokenize(t).length).sort((a, b) => a - b);
      const p95 = lengths[Math.min(lengths.length - 1, Math.floor(lengths.length * 0.95))] ?? 16;
      const sequenceLength = Math.min(256, Math.max(16, Math.ceil(p95 / 16) * 16));
      const encoding = buildEncoding(texts, { sequenceLength, maxSize: 20_000, minCount: 2 });
      return {
        ...common,
        task,
        outputs: classes,
        ...(classes.length === 2 ? { positiveClass: classes[1]! } : {}),
        spec: {
          family: 'text-bilstm',
          vocabSize: encoding.vocabulary.length,
          sequenceLength,
          classes: classes.length,
          embeddingDim: 64,
          units: 64,
          bidirectional: true,
          seed: settings.seed ?? 1,
        },
        input: {
          kind: 'text',
          sequenceLength,
          truncation: 'head',
          padding: 'pre',
          vocabulary: [...encoding.vocabulary],
          lowercase: true,
        },
      };
    }
    throw new OslerError(
      'invalid-input',
      `a new ${task} model starts from a starter model: fine-tune icu-mortality or vitals-forecast, or run osler train-starter`,
    );
  }

  async #classesOf(task: ModelTask, data: DataSource): Promise<string[]> {
    if (data.source === 'store') {
      const kind = task === 'text' ? 'note' : task === 'image' ? undefined : 'recording';
      const values = new Set(currentLabelsForTask(this.#db, data.labelTask, kind).map((l) => l.value));
      return [...values].sort();
    }
    const path = resolve(data.path);
    if (task === 'image') {
      if (existsSync(join(path, 'labels.csv')))
        return [...new Set(readLabelsCsv(join(path, 'labels.csv'), data.labelCol).map((r) => r.label))].sort();
      return readdirSync(path, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    }
    throw new OslerError(
      'invalid-input',
      `a new ${task} model from a file needs its classes: fine-tune an existing model`,
    );
  }

  async #textsOf(data: DataSource): Promise<string[]> {
    if (data.source === 'store')
      return currentLabelsForTask(this.#db, data.labelTask, 'note').map((l) => noteText(this.#db, l.targetId));
    throw new OslerError(
      'invalid-input',
      'a new text model from a file: fine-tune abstract-condition or import the notes first',
    );
  }

  /**
   * Evaluates a candidate and a reference version on the same held-out cases: the cases the
   * candidate's training run held out (never seen by the candidate in training).
   */
  async compare(
    candidateId: number,
    referenceId: number | undefined,
    actor: string,
  ): Promise<z.output<typeof comparisonSchema>> {
    const candidate = getModelVersion(this.#db, candidateId);
    const reference =
      referenceId === undefined
        ? (() => {
            const active = activeModelVersion(this.#db, candidate.name);
            if (active.id === candidate.id) {
              if (candidate.parentVersionId === null)
                throw new OslerError(
                  'invalid-input',
                  `${candidate.name} ${candidate.version} has nothing to compare with`,
                );
              return getModelVersion(this.#db, candidate.parentVersionId);
            }
            return active;
          })()
        : getModelVersion(this.#db, referenceId);
    if (candidate.trainingRunId === null)
      throw new OslerError(
        'invalid-input',
        `${candidate.name} ${candidate.version} was not trained here: no held-out cases recorded`,
      );
    const run = getTrainingRun(this.#db, candidate.trainingRunId);
    const heldOut = (run.metrics as { heldOut?: { data: DataSource; ids: string[] } } | null)?.heldOut;
    if (heldOut === undefined) throw new OslerError('invalid-input', 'the training run recorded no held-out cases');
    const candMeta = this.metadataOf(candidate);
    const full = await this.loadData(candMeta, heldOut.data);
    const wanted = new Set(heldOut.ids);
    const indices = full.ids.flatMap((id, i) => (wanted.has(id) ? [i] : []));
    if (indices.length === 0) throw new OslerError('not-found', 'none of the held-out cases are still available');
    const set = { ...subsetOf(full, indices), skipped: [] };
    const refMeta = this.metadataOf(reference);
    const sameInput = JSON.stringify(refMeta.input) === JSON.stringify(candMeta.input);
    const refSet = sameInput ? set : { ...subsetOf(await this.loadData(refMeta, heldOut.data), indices), skipped: [] };
    const cand = await this.evaluateSet(candidate, set);
    const ref = await this.evaluateSet(reference, refSet);
    this.#audit(actor, 'models.compare', candidate.id, { reference: reference.id, n: indices.length });
    const { verdict, better } = verdictOf(
      candMeta.task,
      cand.summary,
      ref.summary,
      candidate.version,
      reference.version,
    );
    return { heldOut: indices.length, candidate: cand, reference: ref, verdict, better };
  }
}

function verdictOf(
  task: ModelTask,
  cand: Record<string, number>,
  ref: Record<string, number>,
  candName: string,
  refName: string,
): { verdict: string; better: boolean } {
  const f = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
  if (task === 'vitals-forecast') {
    const better = (cand.mae ?? Infinity) < (ref.mae ?? Infinity);
    return {
      better,
      verdict: `${better ? 'The candidate forecasts better' : 'The candidate does not forecast better'}: mean absolute error ${f(cand.mae)} vs ${f(ref.mae)} (${candName} vs ${refName}), interval coverage ${f(cand.coverage)} vs ${f(ref.coverage)}.`,
    };
  }
  const dAuc = (cand.auc ?? 0) - (ref.auc ?? 0);
  const dF1 = (cand.macroF1 ?? 0) - (ref.macroF1 ?? 0);
  const better = dAuc > 0.005 || (Math.abs(dAuc) <= 0.005 && dF1 > 0.01);
  const overlap = (cand.aucLow ?? 0) <= (ref.auc ?? 0) && (ref.auc ?? 0) <= (cand.aucHigh ?? 1);
  const verdict =
    `${better ? 'The candidate is better' : dAuc < -0.005 ? 'The candidate is worse' : 'No clear difference'} on these ${cand.n ?? 0} held-out cases: ` +
    `AUC ${f(cand.auc)} vs ${f(ref.auc)}, macro-F1 ${f(cand.macroF1)} vs ${f(ref.macroF1)}, accuracy ${f(cand.accuracy)} vs ${f(ref.accuracy)}, ` +
    `calibration error ${f(cand.ece)} vs ${f(ref.ece)}.` +
    (overlap ? ' The reference AUC lies inside the candidate’s 95% interval, so the difference may be chance.' : '');
  return { verdict, better };
}

/** Drops NaN/infinite figures (e.g. an AUC interval when a class is absent): the contract carries finite numbers only. */
function finiteOnly(summary: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => Number.isFinite(v)));
}

function thinCurve(fpr: number[], tpr: number[], max = 200): { fpr: number[]; tpr: number[] } {
  if (fpr.length <= max) return { fpr, tpr };
  const step = (fpr.length - 1) / (max - 1);
  const idx = Array.from({ length: max }, (_, i) => Math.round(i * step));
  return { fpr: idx.map((i) => fpr[i]!), tpr: idx.map((i) => tpr[i]!) };
}

function templateFamily(task: ModelTask): string {
  return task === 'image' ? 'image-resnet' : task === 'text' ? 'text-bilstm' : 'vitals-gru';
}

function runOut(run: TrainingRunRow): TrainingRunOut {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error,
    params: run.params,
    metrics: run.metrics,
    versionId: run.versionId,
  };
}

/** Token spans of a note in its own characters, in the tokenizer's order. */
export function tokenSpans(text: string): { text: string; start: number; end: number }[] {
  const re = /\p{N}+(?:[.,:/]\p{N}+)*|[\p{L}\p{M}]+(?:['’][\p{L}]+)?/gu;
  const out: { text: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(re)) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  // The tokenizer works on NFKC text; when normalisation changes the token count, trust its count.
  const expected = tokenize(text).length;
  return out.length === expected ? out : out.slice(0, expected);
}

function readLabelsCsv(file: string, labelCol: string | undefined): { id: string; label: string }[] {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = lines[0]!.split(',').map((h) => h.trim());
  const labelIndex = labelCol === undefined ? 1 : header.indexOf(labelCol);
  if (labelIndex < 0 || header.length < 2)
    throw new OslerError(
      'invalid-input',
      `labels.csv has no column ${labelCol ?? '(second)'}; columns: ${header.join(', ')}`,
    );
  return lines.slice(1).map((line) => {
    const cells = line.split(',').map((c) => c.trim());
    return { id: cells[0]!, label: cells[labelIndex] ?? '' };
  });
}

/**
 * A folder of images with a `labels.csv` (`id,<label>` rows; image `<id>.png`), the layout of
 * site exports such as `head-ct-hemorrhage`. Each image is its own patient unless the file says
 * otherwise.
 */
function labelsCsvImages(root: string, meta: BundleMetadata, labelCol: string | undefined): EncodedSet {
  const rows = readLabelsCsv(join(root, 'labels.csv'), labelCol);
  const k = meta.outputs.length;
  const xs: TensorData[] = [];
  const labels: number[] = [];
  const ids: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const row of rows) {
    const c = meta.outputs.indexOf(row.label);
    if (c < 0) {
      skipped.push({ id: row.id, reason: `label ${row.label} is not one of ${meta.outputs.join(', ')}` });
      continue;
    }
    const file = [`${row.id}.png`, `${row.id.padStart(3, '0')}.png`]
      .map((f) => join(root, f))
      .find((f) => existsSync(f));
    if (file === undefined) {
      skipped.push({ id: row.id, reason: 'no image file for this id' });
      continue;
    }
    try {
      const { grey, width, height } = readPngGrey(file);
      xs.push(encodeImage(meta, grey, width, height));
      labels.push(c);
      ids.push(basename(file));
    } catch (error) {
      skipped.push({ id: row.id, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (xs.length === 0) throw new OslerError('invalid-input', 'no readable labelled images in the folder');
  const y = new Float32Array(labels.length * k);
  labels.forEach((c, i) => (y[i * k + c] = 1));
  return {
    x: batchOf(xs),
    y: { shape: [labels.length, k], dtype: 'float32', values: y },
    labels: Int32Array.from(labels),
    ids,
    patientIds: ids,
    skipped,
  };
}

function listFiles(root: string, limit = 100_000): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (out.length >= limit) return;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  walk(root);
  return out;
}

/** Whether a path is a DICOM file, or a folder whose first files include one (by content: "DICM" at 128). */
function isDicomInput(path: string): boolean {
  const files = statSync(path).isFile() ? [path] : listFiles(path, 20);
  return files.some((f) => {
    try {
      const fd = openSync(f, 'r');
      try {
        const head = Buffer.alloc(132);
        const read = readSync(fd, head, 0, 132, 0);
        return read === 132 && head.toString('latin1', 128, 132) === 'DICM';
      } finally {
        closeSync(fd);
      }
    } catch {
      return false;
    }
  });
}
