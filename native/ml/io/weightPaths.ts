import { basename, resolve, sep } from 'node:path';

/**
 * A weights path from a model.json manifest, resolved inside the model folder `root`; null when it
 * leaves the folder or names model.json itself. Shard names come from the file: nothing reads outside.
 */
export function weightFileIn(root: string, path: string): string | null {
  const base = resolve(root);
  const file = resolve(base, path);
  return file.startsWith(base + sep) && basename(file) !== 'model.json' ? file : null;
}
