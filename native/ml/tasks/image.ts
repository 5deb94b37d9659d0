import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OslerError } from '../../contract/result.js';
import type { BundleMetadata, InputSpec } from '../bundle.js';
import type { TensorData } from '../engine/protocol.js';
import { listImageFolder } from '../image/imageFolder.js';
import { decodePng, toGrayscale } from '../image/png.js';
import { resizeBilinear } from '../image/imageFolder.js';
import type { EncodedSet, LoadOptions, TaskPipeline } from './types.js';

type ImageInput = Extract<InputSpec, { kind: 'image' }>;

function imageInput(metadata: BundleMetadata): ImageInput {
  if (metadata.input.kind !== 'image')
    throw new OslerError(
      'invalid-input',
      `model ${metadata.name} does not take images (its input is ${metadata.input.kind})`,
    );
  return metadata.input;
}

/**
 * Writes one grey image, encoded as the model expects, into `out` at `offset`: resized
 * bilinearly (pixel centres aligned) to the model size, divided by `scale`, normalised with the
 * spec's mean/std, and repeated over the model's channels (row-major HWC).
 */
function encodeInto(
  input: ImageInput,
  grey: Float32Array,
  width: number,
  height: number,
  out: Float32Array,
  offset: number,
): void {
  const { width: w, height: h, channels, scale, mean, std } = input;
  const resized = width === w && height === h ? grey : resizeBilinear(grey, width, height, w, h);
  for (let p = 0; p < w * h; p++) {
    const v = (resized[p]! / scale - mean) / std;
    for (let c = 0; c < channels; c++) out[offset + p * channels + c] = v;
  }
}

/**
 * Encodes one grey image for an image model: `grey` holds `width` x `height` grey levels
 * row-major, on the scale the model's `input.scale` divides (0..255 for 8-bit PNGs and for
 * windowed DICOM display values). Returns the model input [1, height, width, channels].
 */
export function encodeImage(metadata: BundleMetadata, grey: Float32Array, width: number, height: number): TensorData {
  const input = imageInput(metadata);
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    grey.length !== width * height
  )
    throw new OslerError('invalid-input', `image of ${grey.length} values does not match ${width}x${height}`);
  const values = new Float32Array(input.width * input.height * input.channels);
  encodeInto(input, grey, width, height, values, 0);
  return { shape: [1, input.height, input.width, input.channels], dtype: 'float32', values };
}

/** Reads a PNG as grey levels 0..255 (16-bit and colour images mapped onto the same range). */
export function readPngGrey(path: string): { grey: Float32Array; width: number; height: number } {
  const image = decodePng(readFileSync(path));
  const grey = toGrayscale(image);
  for (let i = 0; i < grey.length; i++) grey[i] = grey[i]! * 255;
  return { grey, width: image.width, height: image.height };
}

/**
 * Reads an ImageFolder root (`<root>/<class>/*.png`, like one split folder of PneumoniaMNIST) and
 * encodes it with a model's input spec. Class indices follow `metadata.outputs`, so any folder
 * laid out like the training data gets the model's indices; sub-folders that are not one of the
 * model's classes and unreadable files are skipped with a reason. A folder with no class
 * sub-folders is read as unlabelled images.
 */
export async function loadImageFolder(
  root: string,
  metadata: BundleMetadata,
  options: LoadOptions = {},
): Promise<EncodedSet> {
  const input = imageInput(metadata);
  let entries: string[];
  try {
    if (!statSync(root).isDirectory()) throw new OslerError('invalid-input', `${root} is not a folder`);
    entries = readdirSync(root)
      .filter((d) => !d.startsWith('.'))
      .sort();
  } catch (error) {
    if (error instanceof OslerError) throw error;
    throw new OslerError('not-found', `cannot read the image folder ${root}`);
  }
  const skipped: { id: string; reason: string }[] = [];
  const subfolders = entries.filter((d) => statSync(join(root, d)).isDirectory());
  const labelled = subfolders.length > 0;
  let items: { path: string; classIndex: number }[];
  if (labelled) {
    for (const d of subfolders)
      if (!metadata.outputs.includes(d))
        skipped.push({
          id: d,
          reason: `folder ${d} is not one of the model's classes (${metadata.outputs.join(', ')})`,
        });
    items = [...listImageFolder(root, metadata.outputs).items];
  } else {
    items = entries.filter((f) => /\.png$/i.test(f)).map((f) => ({ path: join(root, f), classIndex: -1 }));
  }
  if (options.limit !== undefined) items = items.slice(0, options.limit);
  const size = input.width * input.height * input.channels;
  const values = new Float32Array(items.length * size);
  const labels: number[] = [];
  const ids: string[] = [];
  for (const item of items) {
    const id = relative(root, item.path).split('\\').join('/');
    let image: { grey: Float32Array; width: number; height: number };
    try {
      image = readPngGrey(item.path);
    } catch (error) {
      skipped.push({ id, reason: `unreadable PNG: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    encodeInto(input, image.grey, image.width, image.height, values, ids.length * size);
    ids.push(id);
    labels.push(item.classIndex);
  }
  const n = ids.length;
  const x: TensorData = {
    shape: [n, input.height, input.width, input.channels],
    dtype: 'float32',
    values: n === items.length ? values : values.slice(0, n * size),
  };
  if (!labelled) return { x, y: null, labels: null, ids, patientIds: ids, skipped };
  const k = metadata.outputs.length;
  const y = new Float32Array(n * k);
  labels.forEach((c, i) => (y[i * k + c] = 1));
  return {
    x,
    y: { shape: [n, k], dtype: 'float32', values: y },
    labels: Int32Array.from(labels),
    ids,
    patientIds: ids,
    skipped,
  };
}

/** The image task: ImageFolder roots in, encoded with the bundle's input spec. */
export const imagePipeline: TaskPipeline = { task: 'image', load: loadImageFolder };
