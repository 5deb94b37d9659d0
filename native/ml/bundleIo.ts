import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OslerError } from '../contract/result.js';
import { readRegularFile } from '../runtime/regularFile.js';
import { sha256Bytes, sha256RegularFile } from '../runtime/sha256.js';
import { fsyncPath, writeDurably } from '../runtime/durable.js';
import { weightFileIn } from './io/weightPaths.js';
import { BUNDLE_FILES, bundleMetadataSchema, type BundleMetadata } from './bundle.js';

function metricText(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (value !== null && typeof value === 'object' && 'value' in value && 'ci95' in value) {
    const v = value as { value: number; ci95: [number, number] };
    return `${v.value.toFixed(3)} (95% CI ${v.ci95[0].toFixed(3)}–${v.ci95[1].toFixed(3)})`;
  }
  return JSON.stringify(value);
}

function inputText(metadata: BundleMetadata): string[] {
  const input = metadata.input;
  switch (input.kind) {
    case 'image':
      return [
        `- Image: ${input.width}x${input.height} pixels, ${input.channels} channel(s), resized bilinearly from the source.`,
        `- Scaling: grey level / ${input.scale}, then (x - ${input.mean}) / ${input.std}.`,
        ...(input.dicomWindows !== undefined
          ? [
              `- DICOM: windows ${input.dicomWindows.map((w) => `${w.width}/${w.center}`).join(', ')} (W/L) on modality values.`,
            ]
          : []),
        ...(input.modalities !== undefined ? [`- Modalities: ${input.modalities.join(', ')}.`] : []),
      ];
    case 'text':
      return [
        `- Text: word tokens (${input.lowercase ? 'lower-cased' : 'case kept'}), vocabulary of ${input.vocabulary.length} entries including padding/unknown/number tokens.`,
        `- Sequence length ${input.sequenceLength}; longer notes keep the ${input.truncation === 'head' ? 'beginning' : 'end'}; padding ${input.padding}.`,
      ];
    case 'vitals':
      return [
        `- Series: ${input.timeSteps} steps of ${input.stepHours} h over ${input.variables.length} variables (${input.variables.join(', ')}).`,
        `- Per-step channels: ${input.channels.join(', ')}; values normalised with training-split means and SDs.`,
        ...(input.statics !== undefined ? [`- Static inputs: ${input.statics.join(', ')}.`] : []),
      ];
  }
}

/** Renders a model card (markdown) from a bundle's metadata. */
export function renderCard(metadata: BundleMetadata): string {
  const lines: string[] = [
    `# ${metadata.title} (\`${metadata.name}\` ${metadata.version})`,
    '',
    `**Intended use:** ${metadata.card.intendedUse}`,
    '',
    '## Task',
    `- ${metadata.task}; outputs: ${metadata.outputs.join(', ')}${metadata.positiveClass !== undefined ? ` (score = probability of ${metadata.positiveClass})` : ''}.`,
    '',
    '## Input specification and preprocessing',
    ...inputText(metadata),
    '',
    '## Training data',
    `- Source: ${metadata.card.dataSource}`,
    `- Licence: ${metadata.card.licence}`,
    `- Attribution: ${metadata.card.attribution}`,
    `- ${metadata.trainingData.trainSize} training and ${metadata.trainingData.validationSize} validation items; split: ${metadata.trainingData.split}.`,
    ...(metadata.trainingData.classCounts !== undefined
      ? [
          `- Class counts: ${Object.entries(metadata.trainingData.classCounts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}.`,
        ]
      : []),
    '',
    '## Validation metrics',
    ...Object.entries(metadata.metrics).map(([k, v]) => `- ${k}: ${metricText(v)}`),
    `- Softmax temperature: ${metadata.temperature.toFixed(3)}${metadata.temperature === 1 ? ' (none)' : ''}`,
    ...(metadata.classOffsets !== undefined
      ? [
          `- Class offsets on the log-probabilities, before the temperature: ${metadata.outputs
            .map((o, i) => `${o} ${metadata.classOffsets![i]!.toFixed(3)}`)
            .join(', ')}`,
        ]
      : []),
    '',
    '## Known limitations',
    ...metadata.card.limitations.map((l) => `- ${l}`),
    '',
    ...Object.entries(metadata.card.notes ?? {}).flatMap(([title, body]) => [`## ${title}`, body, '']),
    '## Provenance',
    `- Architecture: ${metadata.spec === null ? 'imported' : metadata.spec.family}; hyper-parameters: \`${JSON.stringify(metadata.hyperParameters)}\`.`,
    `- Created ${metadata.createdAt} by ${metadata.createdBy} with Osler ${metadata.oslerVersion}${metadata.seed !== undefined ? `, seed ${metadata.seed}` : ''}${metadata.trainingSeconds !== undefined ? `, ${Math.round(metadata.trainingSeconds)} s of training` : ''}.`,
    ...(metadata.parent !== null ? [`- Fine-tuned from ${metadata.parent.name} ${metadata.parent.version}.`] : []),
    '',
  ];
  return lines.join('\n');
}

/**
 * Completes a bundle whose model files (`model.json` + `weights.bin`) are already in `dir`: writes
 * `metadata.json` and `CARD.md` durably. The metadata is validated first, so an invalid bundle is
 * never written. Returns the validated metadata.
 */
export function writeBundleMetadata(dir: string, metadata: BundleMetadata): BundleMetadata {
  const parsed = bundleMetadataSchema.safeParse(metadata);
  if (!parsed.success)
    throw new OslerError('invalid-input', `model metadata is invalid: ${parsed.error.issues[0]?.message ?? ''}`);
  const root = resolve(dir);
  if (!existsSync(join(root, BUNDLE_FILES.model)))
    throw new OslerError('invalid-input', `no ${BUNDLE_FILES.model} in the model folder; save the model first`);
  mkdirSync(root, { recursive: true });
  writeDurably(join(root, BUNDLE_FILES.card), renderCard(parsed.data));
  writeDurably(join(root, BUNDLE_FILES.metadata), `${JSON.stringify(parsed.data, null, 2)}\n`);
  fsyncPath(root);
  return parsed.data;
}

/**
 * The name and version a bundle's metadata declares, without validating the rest: enough to tell
 * an installed bundle at start-up, where full validation of a large text model's vocabulary costs
 * tens of milliseconds. Null when the file is missing, not JSON, or lacks them.
 */
export function readBundleIdentity(dir: string): { name: string; version: string } | null {
  try {
    const bytes = readBundleMetadataBytes(dir);
    if (bytes === null) return null;
    const raw = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    return typeof raw.name === 'string' && typeof raw.version === 'string'
      ? { name: raw.name, version: raw.version }
      : null;
  } catch {
    return null;
  }
}

/**
 * Reads and validates a bundle's metadata; a clear `invalid-input` error names what is wrong, and
 * `not-found` a missing model.json or a metadata.json that is missing or not a regular file (a FIFO
 * there would never finish reading).
 */
export function readBundleMetadata(dir: string): BundleMetadata {
  const root = resolve(dir);
  if (!existsSync(join(root, BUNDLE_FILES.model)))
    throw new OslerError('not-found', `the model folder has no ${BUNDLE_FILES.model}`);
  const bytes = readBundleMetadataBytes(root);
  if (bytes === null) throw new OslerError('not-found', `the model folder has no ${BUNDLE_FILES.metadata}`);
  return parseBundleMetadata(bytes);
}

/**
 * Validates a bundle's metadata from the bytes of its `metadata.json` (those whose digest was
 * checked, see bundleDigestsWithMetadata); a clear `invalid-input` error names what is wrong.
 */
export function parseBundleMetadata(bytes: Uint8Array): BundleMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new OslerError(
      'invalid-input',
      `${BUNDLE_FILES.metadata} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = bundleMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OslerError(
      'invalid-input',
      `${BUNDLE_FILES.metadata} is invalid at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}

/**
 * The files that make a bundle what it is: model.json, the weight files its manifest names,
 * metadata.json, CARD.md and split.json when present. Anything else in the folder (an OS's
 * .DS_Store or Thumbs.db, an editor's swap file) is not part of it.
 */
function bundleFileNames(root: string): string[] {
  // Absent ones (split.json outside starters) are simply not hashed.
  const names = new Set([BUNDLE_FILES.model, BUNDLE_FILES.metadata, BUNDLE_FILES.card, BUNDLE_FILES.split]);
  try {
    const bytes = readRegularFile(join(root, BUNDLE_FILES.model));
    if (bytes === null) return [...names].sort();
    const model = JSON.parse(bytes.toString('utf8')) as {
      weightsManifest?: { paths?: unknown[] }[];
    };
    // Only shards inside the folder belong to it (the loader refuses others; a model.json naming one
    // has itself changed).
    for (const group of model.weightsManifest ?? [])
      for (const path of group.paths ?? []) if (typeof path === 'string' && weightFileIn(root, path)) names.add(path);
  } catch {
    // An unreadable model.json is itself what its digest will show.
  }
  return [...names].sort();
}

/**
 * SHA-256 (hex) of each of a bundle's own files (see bundleFileNames) by name; a file that is
 * absent is left out.
 */
export function bundleDigests(dir: string): Record<string, string> {
  return bundleDigestsWithMetadata(dir).digests;
}

/**
 * The bytes of a bundle's `metadata.json` when it is a regular file (null when absent): read
 * whole (it is small), so that what is hashed is what is parsed.
 */
export function readBundleMetadataBytes(dir: string): Buffer | null {
  // Regular files only: a device or FIFO under a bundle file's name would never finish reading.
  return readRegularFile(join(resolve(dir), BUNDLE_FILES.metadata));
}

/**
 * bundleDigests, and the very bytes of `metadata.json` whose digest it holds (null when absent):
 * metadata parsed from them is the metadata that was checked, whatever happens to the file after.
 * Weight shards, which can be large, are hashed as they stream.
 */
export function bundleDigestsWithMetadata(dir: string): { digests: Record<string, string>; metadata: Buffer | null } {
  const root = resolve(dir);
  const digests: Record<string, string> = {};
  let metadata: Buffer | null = null;
  for (const name of bundleFileNames(root)) {
    const path = join(root, name);
    if (name === BUNDLE_FILES.metadata) {
      metadata = readBundleMetadataBytes(root);
      if (metadata !== null) digests[name] = sha256Bytes(metadata);
    }
    // Regular files only: a device or FIFO under a bundle file's name would never finish hashing.
    else {
      const digest = sha256RegularFile(path);
      if (digest !== null) digests[name] = digest;
    }
  }
  return { digests, metadata };
}

/**
 * A cheap stamp of a bundle's own files (name, size, modification and change times, inode, device):
 * equal stamps mean files not rewritten since, so digests taken then still hold without hashing
 * again. The change time is what makes it hold against a rewrite that puts the modification time
 * back (touch -r, utimes): the kernel sets it on every write and every utimes, and no user can set
 * it back.
 */
export function bundleStamp(dir: string): string {
  const root = resolve(dir);
  return bundleFileNames(root)
    .map((name) => {
      const s = statSync(join(root, name), { throwIfNoEntry: false });
      return s === undefined ? `${name}:-` : `${name}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}:${s.dev}`;
    })
    .join('|');
}

/**
 * How a bundle's files differ from the digests it was registered with, in words (`weights.bin has
 * changed`, `CARD.md was removed`, `weights2.bin was added` when model.json now names it); empty
 * when they are unchanged.
 */
export function bundleChanges(
  registered: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
): string[] {
  const changes: string[] = [];
  for (const [name, digest] of Object.entries(registered)) {
    if (now[name] === undefined) changes.push(`${name} was removed`);
    else if (now[name] !== digest) changes.push(`${name} has changed`);
  }
  for (const name of Object.keys(now)) if (registered[name] === undefined) changes.push(`${name} was added`);
  return changes;
}
