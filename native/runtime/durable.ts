import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Writes `data` to `path` durably: a temporary sibling, fsync, rename over the target. */
export function writeDurably(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(temp, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Fsyncs a file or folder (a folder after a rename in it); unsupported folder fsync is ignored. */
export function fsyncPath(path: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the file fsyncs still hold.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
