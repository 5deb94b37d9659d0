import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fsyncPath, writeDurably } from '../../../native/runtime/durable.js';
import { tempDir } from '../helpers.js';

describe('durable writes', () => {
  const dir = tempDir('osler-durable-');
  afterAll(() => dir.cleanup());

  it('fsyncs files and folders, and throws for a file it cannot fsync instead of passing it as durable', () => {
    const file = join(dir.path, 'a.bin');
    writeFileSync(file, 'x');
    expect(() => fsyncPath(file)).not.toThrow();
    expect(() => fsyncPath(dir.path)).not.toThrow();
    expect(() => fsyncPath(join(dir.path, 'gone.bin'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('replaces the target whole, and a write that fails leaves the target as it was and no temporary', () => {
    const folder = join(dir.path, 'w');
    mkdirSync(folder);
    const target = join(folder, 'metadata.json');
    writeDurably(target, '{"v":1}');
    writeDurably(target, '{"v":2}');
    expect(readFileSync(target, 'utf8')).toBe('{"v":2}');
    // The rename cannot land on a folder: the write fails after the temporary was written.
    const blocked = join(folder, 'blocked');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    expect(() => writeDurably(blocked, 'data')).toThrow();
    expect(readdirSync(folder).sort()).toEqual(['blocked', 'metadata.json']);
  });
});
