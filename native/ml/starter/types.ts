import type { BundleMetadata, ModelTask } from '../bundle.js';
import type { EngineClient } from '../engine/client.js';

/** What a starter recipe runs with: where the public data is, where the bundle goes, the engine. */
export interface StarterContext {
  /** The shared data folder (e.g. `../shared/data`); recipes read `dataRoot/<dataPath>`. */
  dataRoot: string;
  /** Bundle folder to write (model.json, weights.bin, metadata.json, CARD.md). */
  outDir: string;
  engine: EngineClient;
  seed: number;
  log(line: string): void;
}

/**
 * A shipped starter model: how to reproduce it from public data with Osler's own engine. `train`
 * reads the data, fits preprocessing on the training split only, trains with a fixed seed,
 * evaluates and calibrates on its validation split, and writes a complete bundle into `outDir`.
 */
export interface StarterRecipe {
  /** Registry name (bundle `name`). */
  name: string;
  title: string;
  task: ModelTask;
  /** Data the recipe reads, relative to `dataRoot`. */
  dataPath: string;
  train(ctx: StarterContext): Promise<BundleMetadata>;
}
