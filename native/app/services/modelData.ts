import type Database from 'better-sqlite3';
import { readFile } from 'node:fs/promises';
import { OslerError } from '../../contract/result.js';
import { decodeFrame, displayFrame, parseDicom, windowPresets, type DicomDataset } from '../../dicom/index.js';
import type { BundleMetadata } from '../../ml/bundle.js';
import type { TensorData } from '../../ml/engine/protocol.js';
import type { VitalsStay } from '../../ml/vitals/summary.js';
import { resolveManaged } from '../../store/managedFiles.js';
import { getInstanceSeries, listInstances, type InstanceSummary } from '../../store/imaging.js';
import { getNote } from '../../store/notes.js';
import { getRecording, readSamples } from '../../store/recordings.js';

/**
 * Reads case-store items (notes, DICOM slices, recordings) as the raw inputs the task encoders
 * take. Every read goes through the store's repositories and the DICOM engine; nothing here knows
 * about tensors beyond the encoders' typed arrays.
 */

/** The text of a note; `not-found` when absent. */
export function noteText(db: Database.Database, noteId: number): string {
  const note = getNote(db, noteId);
  if (note === null) throw new OslerError('not-found', `no note with id ${noteId}`);
  return note.text;
}

/** One DICOM slice as grey levels 0..255, windowed for an image model. */
export interface GreySlice {
  readonly instanceId: number;
  readonly grey: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

type ImageInput = Extract<BundleMetadata['input'], { kind: 'image' }>;

function imageInput(metadata: BundleMetadata): ImageInput {
  if (metadata.input.kind !== 'image')
    throw new OslerError('invalid-input', `model ${metadata.name} does not take images`);
  return metadata.input;
}

/**
 * Windows a decoded frame to grey levels 0..255: the model's first DICOM window when it names one
 * (e.g. a brain window for head CT), else the file's own first preset, else min..max. Colour
 * frames become luminance. MONOCHROME1 is inverted by the display pipeline, so the model always
 * sees bright = dense.
 */
async function greyOf(ds: DicomDataset, input: ImageInput, frameIndex: number): Promise<Omit<GreySlice, 'instanceId'>> {
  const frame = await decodeFrame(ds, frameIndex);
  const window = input.dicomWindows?.[0] ?? windowPresets(ds, frameIndex)[0];
  const image = displayFrame(ds, frame, frameIndex, window === undefined ? {} : { window });
  const n = image.rows * image.columns;
  const grey = new Float32Array(n);
  if (image.channels === 1) for (let i = 0; i < n; i++) grey[i] = image.data[i]!;
  else
    for (let i = 0; i < n; i++)
      grey[i] = 0.299 * image.data[i * 4]! + 0.587 * image.data[i * 4 + 1]! + 0.114 * image.data[i * 4 + 2]!;
  return { grey, rows: image.rows, columns: image.columns };
}

/** Modality of a dataset, checked against the model's intended modalities. */
function checkModality(ds: DicomDataset, input: ImageInput, metadata: BundleMetadata): void {
  const modality = ds.string('Modality') ?? '';
  if (input.modalities !== undefined && input.modalities.length > 0 && !input.modalities.includes(modality))
    throw new OslerError(
      'invalid-input',
      `model ${metadata.name} is for ${input.modalities.join('/')} images, not ${modality || 'unknown modality'}`,
    );
}

/** The slices of a stored instance (one per frame; multi-frame instances give several). */
export async function instanceSlices(
  db: Database.Database,
  home: string,
  instance: Pick<InstanceSummary, 'id' | 'path' | 'frames'>,
  metadata: BundleMetadata,
): Promise<GreySlice[]> {
  const input = imageInput(metadata);
  const bytes = await readFile(resolveManaged(home, instance.path));
  const ds = parseDicom(bytes);
  checkModality(ds, input, metadata);
  const out: GreySlice[] = [];
  for (let f = 0; f < Math.max(1, instance.frames); f++)
    out.push({ instanceId: instance.id, ...(await greyOf(ds, input, f)) });
  return out;
}

/** The slices of a DICOM file outside the store (`osler predict --input DICOM`). */
export async function dicomFileSlices(
  file: string,
  metadata: BundleMetadata,
): Promise<(Omit<GreySlice, 'instanceId'> & { frames: number })[]> {
  const input = imageInput(metadata);
  const ds = parseDicom(await readFile(file));
  checkModality(ds, input, metadata);
  const frames = Math.max(1, ds.number('NumberOfFrames') ?? 1);
  const out: (Omit<GreySlice, 'instanceId'> & { frames: number })[] = [];
  for (let f = 0; f < frames; f++) out.push({ ...(await greyOf(ds, input, f)), frames });
  return out;
}

/** The instances of a series in slice order (the order the viewer shows). */
export function seriesInstances(db: Database.Database, seriesId: number): InstanceSummary[] {
  const instances = listInstances(db, seriesId);
  if (instances.length === 0) throw new OslerError('not-found', `no series with id ${seriesId} (or it has no images)`);
  return instances;
}

/** The instance row of one instance id (with its series), `not-found` when absent. */
export function instanceById(db: Database.Database, instanceId: number): InstanceSummary {
  const seriesId = getInstanceSeries(db, instanceId);
  if (seriesId === null) throw new OslerError('not-found', `no instance with id ${instanceId}`);
  const found = listInstances(db, seriesId).find((i) => i.id === instanceId);
  if (found === undefined) throw new OslerError('not-found', `no instance with id ${instanceId}`);
  return found;
}

/** Concatenates single-item tensors ([1, ...]) into one batch. */
export function batchOf(items: readonly TensorData[]): TensorData {
  if (items.length === 0) throw new OslerError('invalid-input', 'nothing to predict on');
  const inner = items[0]!.shape.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  const values = new Float32Array(items.length * size);
  items.forEach((t, i) => values.set(t.values as Float32Array, i * size));
  return { shape: [items.length, ...inner], dtype: 'float32', values };
}

/** A stored recording as a vital-sign stay (irregular series per parameter plus descriptors). */
export function recordingStay(db: Database.Database, recordingId: number): VitalsStay & { lastMs: number } {
  const recording = getRecording(db, recordingId);
  if (recording === null) throw new OslerError('not-found', `no recording with id ${recordingId}`);
  let lastMs = 0;
  const series = recording.signals.map((s) => {
    const { values, timesMs } = readSamples(db, s.id, 0, s.sampleCount);
    const times =
      timesMs ??
      Float64Array.from({ length: s.sampleCount }, (_, i) => s.firstTimeMs + (i * 1000) / (s.samplingHz ?? 1));
    if (times.length > 0) lastMs = Math.max(lastMs, times[times.length - 1]!);
    return { parameter: s.name, timesMs: times, values };
  });
  const d = (recording.metadata as { descriptors?: Record<string, number | null> }).descriptors;
  return {
    series,
    lastMs,
    ...(d === undefined
      ? {}
      : {
          descriptors: {
            ageYears: d.ageYears ?? null,
            gender: d.gender ?? null,
            heightCm: d.heightCm ?? null,
            weightKg: d.weightKg ?? null,
            icuType: d.icuType ?? null,
          },
        }),
  };
}
