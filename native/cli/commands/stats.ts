import { resolve } from 'node:path';
import { createCore } from '../../app/core.js';
import { defaultHome } from '../../app/paths.js';
import { OslerError } from '../../contract/result.js';
import { parseCommand } from '../args.js';
import type { CommandIo } from './import.js';

/** Usage of `osler stats`, for `osler --help`. */
export const STATS_USAGE = `  stats               row counts per store table, schema version and store size`;

/** `osler stats [--json]`: row counts of every table of the case store. */
export async function statsCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {});
  if (positionals.length > 0) throw new OslerError('invalid-input', 'usage: osler stats [--json]');
  const core = createCore({ home: resolve(values.home ?? defaultHome()), mode: 'cli' });
  try {
    const result = await core.dispatch('store.stats', {}, { via: 'cli' });
    if (!result.ok) throw new OslerError(result.code, result.message);
    const s = result.value as { schemaVersion: number; bytes: number; tables: Record<string, number> };
    if (values.json) io.out(JSON.stringify(s, null, 2));
    else {
      io.out(`store: schema ${s.schemaVersion}, ${(s.bytes / 1e6).toFixed(1)} MB`);
      const width = Math.max(...Object.keys(s.tables).map((t) => t.length));
      for (const [table, n] of Object.entries(s.tables)) io.out(`  ${table.padEnd(width)}  ${n}`);
    }
    return 0;
  } finally {
    await core.close();
  }
}
