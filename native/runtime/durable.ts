import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

/** Writes `data` to `path` durably: a temporary sibling, fsync, rename over the target. */
export function writeDurably(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(temp, 'w');
  try {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    // A failed write (a full disk) leaves neither the target changed nor a stray temporary.
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Fsyncs a file or folder. A file's open or fsync error (EIO, a full or vanished disk) is thrown: the
 * caller's "written durably" would otherwise be a guess. A folder's is ignored, since folder fsync (after
 * a rename or a new file in it) is not supported everywhere (Windows cannot open a folder for it, some
 * file systems refuse it) and the files' own fsyncs still hold.
 */
export function fsyncPath(path: string): void {
  if (statSync(path).isDirectory()) {
    let fd: number | null = null;
    try {
      fd = openSync(path, 'r');
      fsyncSync(fd);
    } catch {
      // Unsupported folder fsync: see above.
    } finally {
      if (fd !== null) closeSync(fd);
    }
    return;
  }
  let fd: number;
  try {
    // Windows flushes a file only through a handle open for writing; POSIX fsyncs any descriptor
    // (a read-only copy of a shipped file included).
    fd = openSync(path, process.platform === 'win32' ? 'r+' : 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A read-only file on Windows cannot be opened for writing, so not flushed from here.
    if (process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES')) return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
