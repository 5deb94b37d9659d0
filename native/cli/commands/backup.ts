import { resolve } from 'node:path';
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
          // Released before the rename: Windows cannot rename a folder holding an open file.
          presence!.release();
        },
      });
    } finally {
      try {
        (presence as Presence | null)?.release();
      } catch {
        // Unlocked whatever is left: the next check removes it.
      }
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
