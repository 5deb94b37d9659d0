import { join } from 'node:path';
import type { BundleMetadata, InputSpec } from '../bundle.js';
import type { ModelSpec } from '../models/index.js';
import { loadImageFolder } from '../tasks/image.js';
import { subsetOf, type EncodedSet } from '../tasks/types.js';
import { classCounts, saveStarterBundle, STARTER_INTENDED_USE, trainClassifier } from './classifier.js';
import type { StarterContext, StarterRecipe } from './types.js';

const NAME = 'chest-xray-pneumonia';
const TITLE = 'Chest X-ray pneumonia (PneumoniaMNIST, 28x28)';
const DATA_PATH = 'images/pneumoniamnist';
const CLASSES = ['normal', 'pneumonia'] as const;
const SIZE = 28;

/** Training settings; `limit`/`epochs` shrink a run for tests. */
export interface ChestXrayOptions {
  /** Read at most this many images per split (first in sorted order per class). */
  limit?: number;
  epochs?: number;
  width?: number;
}

function shell(input: InputSpec): BundleMetadata {
  // Just enough metadata for the image pipeline to encode with `input`.
  return { name: NAME, outputs: [...CLASSES], input } as unknown as BundleMetadata;
}

/** Pixel mean and SD of a set's encoded values. */
function meanStd(values: Float32Array): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
  }
  const mean = s / values.length;
  return { mean, std: Math.sqrt(Math.max(s2 / values.length - mean * mean, 1e-12)) };
}

/** Every k-th item, so a small subset keeps both classes in their proportions (tests). */
function spread(set: EncodedSet, limit: number | undefined): EncodedSet {
  const n = set.ids.length;
  if (limit === undefined || limit >= n) return set;
  const keep = Array.from({ length: limit }, (_, i) => Math.floor((i * n) / limit));
  return subsetOf(set, keep);
}

/**
 * Trains the chest X-ray pneumonia model: a compact residual CNN on PneumoniaMNIST's official
 * train split, validated on its official val split (the test split is kept back for independent
 * checks). Pixel normalisation is fitted on the training split only.
 */
export async function trainChestXray(ctx: StarterContext, options: ChestXrayOptions = {}): Promise<BundleMetadata> {
  const root = join(ctx.dataRoot, DATA_PATH);
  const raw: InputSpec = { kind: 'image', width: SIZE, height: SIZE, channels: 1, scale: 255, mean: 0, std: 1 };
  ctx.log(`reading ${root}/train`);
  const probe = await loadImageFolder(join(root, 'train'), shell(raw));
  const { mean, std } = meanStd(probe.x.values as Float32Array);
  const input: InputSpec = {
    kind: 'image',
    width: SIZE,
    height: SIZE,
    channels: 1,
    scale: 255,
    mean: Math.round(mean * 1e4) / 1e4,
    std: Math.round(std * 1e4) / 1e4,
    modalities: ['CR', 'DX'],
  };
  const train = spread(await loadImageFolder(join(root, 'train'), shell(input)), options.limit);
  const validation = spread(await loadImageFolder(join(root, 'val'), shell(input)), options.limit);
  ctx.log(
    `train ${train.ids.length} images, validation ${validation.ids.length}; pixel mean ${input.mean}, SD ${input.std}`,
  );
  const spec: ModelSpec = {
    family: 'image-resnet',
    inputShape: [SIZE, SIZE, 1],
    classes: CLASSES.length,
    width: options.width ?? 16,
    stages: 3,
    seed: ctx.seed,
  };
  const hyper = {
    epochs: options.epochs ?? 10,
    batchSize: 64,
    learningRate: 0.003,
    lrDecay: 0.8,
    patience: 4,
    // No horizontal flip: laterality (heart on the left) is real anatomy on chest films.
    augment: { maxRotationDeg: 8, maxShiftFraction: 0.08, intensityJitter: 0.1 },
  };
  const trained = await trainClassifier({
    ctx,
    spec,
    train,
    validation,
    classes: CLASSES,
    options: hyper,
    positiveClass: 1,
  });
  const counts = classCounts(train, CLASSES);
  return saveStarterBundle(ctx, trained, {
    name: NAME,
    version: '1.0.1',
    title: TITLE,
    task: 'image',
    outputs: [...CLASSES],
    positiveClass: 'pneumonia',
    spec,
    input,
    camLayer: 'cam_features',
    trainingData: {
      source: `PneumoniaMNIST (MedMNIST v2), ${DATA_PATH}/train and /val`,
      trainSize: train.ids.length,
      validationSize: validation.ids.length,
      classCounts: counts,
      split:
        'official MedMNIST train split for training, official val split for validation and temperature; the official test split is not used',
    },
    hyperParameters: {
      ...hyper,
      optimizer: 'adam',
      loss: 'cross-entropy',
      epochsCompleted: trained.epochsCompleted,
      bestEpoch: trained.bestEpoch,
    },
    card: {
      intendedUse: `${STARTER_INTENDED_USE} Flags frontal paediatric chest radiographs that may show pneumonia, for research on triage and worklist ordering.`,
      dataSource:
        'PneumoniaMNIST from MedMNIST v2 (Yang et al., "MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical image classification", Scientific Data 2023), derived from Kermany et al., "Labeled Optical Coherence Tomography (OCT) and Chest X-Ray Images for Classification", Mendeley Data v2 (2018). Official split sizes restored from two public copies (see the data provenance notes).',
      licence: 'CC BY 4.0',
      attribution:
        'Jiancheng Yang, Rui Shi, Donglai Wei et al. (MedMNIST v2); Daniel Kermany, Kang Zhang, Michael Goldbaum (Guangzhou Women and Children’s Medical Center chest X-rays).',
      limitations: [
        'Inputs are 28x28 pixels: the source radiograph is resized to 28x28, so fine findings are invisible to the model.',
        'Trained on paediatric (1-5 years) anterior-posterior chest films from one centre in Guangzhou; adults, other centres, lateral views and other devices are outside the training distribution.',
        'Labels are normal vs pneumonia only (bacterial and viral merged); other abnormalities are not recognised and may be called either class.',
        'Validation figures come from the official val split, which is drawn from the same source as training; performance on the official test split and on other sites is typically lower (published ResNet-18 test AUC 0.944 at 28x28).',
        'Calibration (temperature) was fitted on the same validation split the metrics are reported on.',
      ],
      notes: {
        Preprocessing:
          'Grey levels (0-255; DICOM inputs are first windowed to display values) are resized bilinearly to 28x28, divided by 255 and normalised with the training-split pixel mean and SD. Training used random rotations (±8°), shifts (±8%) and intensity jitter (±10%), never horizontal flips.',
      },
    },
  });
}

/** The shipped chest X-ray pneumonia model. */
export const recipe: StarterRecipe = {
  name: NAME,
  title: TITLE,
  task: 'image',
  dataPath: DATA_PATH,
  train: (ctx) => trainChestXray(ctx),
};
