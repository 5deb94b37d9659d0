import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_FILES, type BundleMetadata } from '../bundle.js';
import { writeBundleMetadata } from '../bundleIo.js';
import { writeDurably } from '../../runtime/durable.js';
import type { StarterContext } from './types.js';

/** Writes a starter's split record (which items were trained and validated on) into its bundle folder, durably (the baselines read it). */
export function writeSplitFile(dir: string, split: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeDurably(join(dir, BUNDLE_FILES.split), `${JSON.stringify(split)}\n`);
}

/**
 * Completes a recipe's bundle: saves the trained model from the engine into `ctx.outDir`, writes
 * the split record and then the metadata and card (last, so a folder with metadata is whole), and
 * frees the model in the engine. Returns the validated metadata.
 */
export async function writeRecipeBundle(
  ctx: StarterContext,
  modelId: string,
  metadata: BundleMetadata,
  split: unknown,
): Promise<BundleMetadata> {
  mkdirSync(ctx.outDir, { recursive: true });
  await ctx.engine.save({ modelId, dir: ctx.outDir });
  writeSplitFile(ctx.outDir, split);
  const written = writeBundleMetadata(ctx.outDir, metadata);
  await ctx.engine.dispose(modelId);
  return written;
}
