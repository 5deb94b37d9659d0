import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { openRegularFile } from './regularFile.js';

function hashDescriptor(fd: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest('hex');
}

/** SHA-256 (hex) of a file's bytes, read in 1 MiB chunks (backups hold files of any size). */
export function sha256File(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return hashDescriptor(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * SHA-256 (hex) of `path` when it is a regular file, streamed as sha256File; null when it is absent
 * or not a regular file (a FIFO or device would never finish hashing), checked on the opened file.
 */
export function sha256RegularFile(path: string): string | null {
  const fd = openRegularFile(path);
  if (fd === null) return null;
  try {
    return hashDescriptor(fd);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 (hex) of bytes already in memory (a file read once, to be hashed and parsed alike). */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
