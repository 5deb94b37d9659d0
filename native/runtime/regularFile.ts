import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * A read descriptor of `path` when it is a regular file; null when it is absent or anything else
 * (a folder, a FIFO, a device), which a plain read would refuse or never finish. The file is opened
 * without blocking (a FIFO's open would otherwise wait for a writer) and checked on the opened
 * descriptor, so nothing swapped in between a check and the read is read. The caller closes it.
 */
export function openRegularFile(path: string): number | null {
  let fd: number;
  try {
    // O_NONBLOCK is POSIX only (undefined on Windows, where FIFOs do not live in the file system).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw error;
  }
  try {
    if (fstatSync(fd).isFile()) return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  closeSync(fd);
  return null;
}

/** The whole contents of `path` when it is a regular file, else null (see {@link openRegularFile}). */
export function readRegularFile(path: string): Buffer | null {
  const fd = openRegularFile(path);
  if (fd === null) return null;
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
