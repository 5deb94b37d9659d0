import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fsyncPath, writeDurably } from '../../runtime/durable.js';
import { readRegularFile } from '../../runtime/regularFile.js';
import { sha256Bytes } from '../../runtime/sha256.js';
import { weightFileIn } from './weightPaths.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** Model JSON as stored by the folder handler (the tfjs Layers `model.json` format). */
interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
}

/** A file of a model folder whose bytes, as read for loading, are not the ones it was verified with. */
export class BundleDigestError extends Error {
  constructor(
    readonly file: string,
    root: string,
  ) {
    super(`${file} in ${root} is not the file that was verified (it changed, or is not listed)`);
    this.name = 'BundleDigestError';
  }
}

/**
 * A tfjs IOHandler over a folder holding `model.json` + `weights.bin` (the Layers format, so models
 * converted with tensorflowjs_converter load too, including sharded weights). Saving writes the
 * weights first and `model.json` last, each through temp + fsync + rename, so a crash leaves either
 * the previous model or the complete new one, never a model.json pointing at partial weights.
 */
export function folderIOHandler(
  dir: string,
  options: { digests?: Readonly<Record<string, string>> } = {},
): tf.io.IOHandler {
  const root = resolve(dir);
  const { digests } = options;
  // What is read is what was verified: each file's bytes against the digest it was registered with.
  const check = (name: string, bytes: Uint8Array): void => {
    if (digests !== undefined && digests[name] !== sha256Bytes(bytes)) throw new BundleDigestError(name, root);
  };
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer)
        throw new Error('folderIOHandler saves Layers models (JSON topology) only');
      mkdirSync(root, { recursive: true });
      const weights = new Uint8Array(
        artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData),
      );
      writeDurably(join(root, WEIGHTS_FILE), weights);
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.trainingConfig !== undefined ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata !== undefined ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const text = new TextEncoder().encode(JSON.stringify(json));
      writeDurably(join(root, MODEL_FILE), text);
      fsyncPath(root);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      // Regular files only, here and for the shards: a FIFO or device would block the engine for good.
      const topology = readRegularFile(join(root, MODEL_FILE));
      if (topology === null) throw new Error(`${MODEL_FILE} in ${root} is missing or not a regular file`);
      check(MODEL_FILE, topology);
      const json = JSON.parse(topology.toString('utf8')) as ModelJson;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const path of group.paths) {
          const file = weightFileIn(root, path);
          if (file === null) throw new Error(`weights path outside the model folder: ${path}`);
          const bytes = readRegularFile(file);
          if (bytes === null) throw new Error(`weights file ${path} in ${root} is missing or not a regular file`);
          check(path, bytes);
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        ...(json.trainingConfig !== undefined ? { trainingConfig: json.trainingConfig as tf.io.TrainingConfig } : {}),
        ...(json.userDefinedMetadata !== undefined
          ? { userDefinedMetadata: json.userDefinedMetadata as Record<string, never> }
          : {}),
      };
    },
  };
}
