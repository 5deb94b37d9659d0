import { rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { defaultHome } from '../../app/paths.js';
import {
  announcePresence,
  describeCores,
  liveCores,
  PRESENCE_DIR,
  type OtherCore,
  type Presence,
} from '../../app/presence.js';
import { OslerError } from '../../contract/result.js';
import { backupDataFolder, restoreDataFolder, type BackupReport } from '../../store/backup.js';
import { parseCommand } from '../args.js';
import type { CommandIo } from './import.js';

/** Usage of the commands in this file, for `osler --help`. */
export const BACKUP_USAGE = `  backup DEST         copy the case store (SQLite online backup) and managed files into the new
                      folder DEST with a SHA-256 manifest, verified after writing
  restore SRC [--force]
                      restore a backup into the data folder (verified first); refuses a data
                      folder that is not empty unless --force, which moves the old one aside`;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function summary(report: BackupReport): Record<string, unknown> {
  return {
    folder: report.folder,
    files: report.manifest.files.length,
    totalBytes: report.totalBytes,
    schemaVersion: report.manifest.schemaVersion,
    createdAt: report.manifest.createdAt,
    previous: report.previous,
  };
}

/** `osler backup DEST` and `osler restore SRC [--force]`. */
export async function backupCommand(command: 'backup' | 'restore', argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, { force: { type: 'boolean', default: false } });
  if (positionals.length !== 1)
    throw new OslerError('invalid-input', `usage: osler ${command} ${command === 'backup' ? 'DEST' : 'SRC [--force]'}`);
  if (command === 'backup' && values.force) throw new OslerError('invalid-input', '--force applies to restore only');
  const home = resolve(values.home ?? defaultHome());
  const folder = resolve(positionals[0]!);
  const refuseIfOpen = (open: readonly OtherCore[]): void => {
    if (open.length > 0)
      throw new OslerError(
        'conflict',
        `${home} is open in ${describeCores(open)}; close Osler there before restoring into it`,
      );
  };
  let report: BackupReport;
  if (command === 'backup') report = await backupDataFolder(home, folder);
  else {
    // A forced restore moves the data folder from under an app that has it open. Checked first (so
    // an open folder is refused before minutes of verifying), then the restore holds its own
    // presence while it copies and checks again just before the swap, for a core started meanwhile.
    refuseIfOpen(liveCores(home));
    let presence: Presence | null = null;
    // A presence that cannot be removed is reported, never allowed to undo a finished restore:
    // whatever is left is unlocked, so the next check removes it.
    const release = (held: Presence): void => {
      try {
        held.release();
      } catch (error) {
        io.err(
          `osler: restore presence ${held.file} not removed (the next check removes it): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
    try {
      report = restoreDataFolder(folder, home, {
        force: values.force === true,
        // The restore's own presence folder does not make the data folder "not empty".
        ignore: [PRESENCE_DIR],
        onCopy: () => {
          presence = announcePresence(home, 'restore', (m) => io.err(m));
          presence.started();
          refuseIfOpen(presence.others);
        },
        beforeSwap: () => {
          refuseIfOpen(presence!.othersNow());
          // Held through the rename, so a core starting now sees it, except on Windows, which
          // cannot rename a folder holding an open file: released there, then checked once more.
          if (process.platform === 'win32') {
            release(presence!);
            refuseIfOpen(liveCores(home));
          }
        },
      });
    } finally {
      // Assigned in onCopy, which the compiler does not follow.
      const held = presence as Presence | null;
      if (held !== null) release(held);
    }
    const held = presence as Presence | null;
    if (held !== null && report.previous !== null)
      try {
        // Held through the rename, its files moved aside with the old folder: unlocked now, removed there too.
        for (const file of [held.file, held.file.replace(/\.lock$/, '.json')])
          rmSync(join(report.previous, PRESENCE_DIR, basename(file)), { force: true });
      } catch {
        // Unlocked, so any Osler opening that folder removes them.
      }
  }
  if (values.json) io.out(JSON.stringify(summary(report), null, 2));
  else if (command === 'backup') {
    io.out(
      `backup: ${report.manifest.files.length} file(s), ${megabytes(report.totalBytes)} written to ${report.folder}`,
    );
    io.out('  verified: store integrity_check ok, every SHA-256 matches the manifest');
  } else {
    io.out(`restore: ${report.manifest.files.length} file(s), ${megabytes(report.totalBytes)} into ${report.folder}`);
    io.out(`  backup taken ${report.manifest.createdAt} from ${report.manifest.source}; verified before switching`);
    if (report.previous !== null) io.out(`  the data folder it replaced was moved to ${report.previous}`);
  }
  return 0;
}
