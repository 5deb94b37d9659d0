import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../../native/runtime/sha256.js';
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
});
