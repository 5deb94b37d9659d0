import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The shared real-data folder (env OSLER_DATA, default ../shared/data), or null when absent. */
export function dataDir(): string | null {
  const dir = resolve(process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
  return existsSync(dir) ? dir : null;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'osler-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
