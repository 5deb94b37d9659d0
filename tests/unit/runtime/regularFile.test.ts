import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRegularFile } from '../../../native/runtime/regularFile.js';
import { tempDir } from '../helpers.js';

describe('readRegularFile', () => {
  const dir = tempDir('osler-regular-');
  afterAll(() => dir.cleanup());

  it('reads a regular file whole', () => {
    const path = join(dir.path, 'plain.json');
    writeFileSync(path, '{"a":1}');
    expect(readRegularFile(path)?.toString('utf8')).toBe('{"a":1}');
    const empty = join(dir.path, 'empty');
    writeFileSync(empty, '');
    expect(readRegularFile(empty)?.length).toBe(0);
  });

  it('gives null for what is absent or not a regular file, without blocking on a FIFO that has no writer', () => {
    expect(readRegularFile(join(dir.path, 'absent'))).toBeNull();
    const folder = join(dir.path, 'folder');
    mkdirSync(folder);
    expect(readRegularFile(folder)).toBeNull();
    const file = join(dir.path, 'file');
    writeFileSync(file, 'x');
    expect(readRegularFile(join(file, 'below-a-file'))).toBeNull();
    // No writer ever opens this FIFO: a blocking open or read would hang the test run.
    const fifo = join(dir.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(readRegularFile(fifo)).toBeNull();
  });
});
