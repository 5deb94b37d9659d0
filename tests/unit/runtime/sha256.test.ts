import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File, sha256RegularFile } from '../../../native/runtime/sha256.js';
import { tempDir } from '../helpers.js';

describe('sha256File', () => {
  const dir = tempDir('osler-sha256-');
  afterAll(() => dir.cleanup());

  it('hashes files across chunk boundaries as one digest of all their bytes', () => {
    for (const size of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) * 2 + 17]) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
      const path = join(dir.path, `f${size}`);
      writeFileSync(path, bytes);
      expect(sha256File(path), `size ${size}`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('throws for a missing file', () => {
    expect(() => sha256File(join(dir.path, 'missing'))).toThrow(/ENOENT/);
  });

  it('hashes a regular file as sha256File does, and gives null for what is absent or not a regular file', () => {
    const path = join(dir.path, 'regular');
    writeFileSync(path, Buffer.alloc((1 << 20) + 5, 7));
    expect(sha256RegularFile(path)).toBe(sha256File(path));
    expect(sha256RegularFile(join(dir.path, 'missing'))).toBeNull();
    expect(sha256RegularFile(dir.path)).toBeNull();
    // No writer ever opens this FIFO: hashing it would block the test run.
    const fifo = join(dir.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(sha256RegularFile(fifo)).toBeNull();
  });
});
