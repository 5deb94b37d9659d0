import { afterEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../../../native/cli/main.js';
import { tempDir } from '../helpers.js';

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (t) => out_.push(t), err: (t) => err_.push(t) };
}

describe('osler CLI', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  afterEach(() => tmps.splice(0).forEach((t) => t.cleanup()));

  it('prints its version', async () => {
    const io = capture();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out_[0]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('info --json prints valid JSON describing the data folder', async () => {
    const tmp = tempDir();
    tmps.push(tmp);
    const io = capture();
    expect(await main(['info', '--json', '--home', tmp.path], io)).toBe(0);
    const info = JSON.parse(io.out_.join('\n')) as { home: string; mode: string; backend: { name: string } };
    expect(info.home).toBe(tmp.path);
    expect(info.mode).toBe('cli');
    expect(info.backend.name).not.toBe('pending');
  });

  it('health exits 0 on a healthy store', async () => {
    const tmp = tempDir();
    tmps.push(tmp);
    const io = capture();
    expect(await main(['health', '--home', tmp.path], io)).toBe(0);
    expect(io.out_.join('\n')).toMatch(/ok\s+store/);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['info', '--bogus'], /Unknown option '--bogus'/],
    [['serve', '--port', 'abc'], /--port must be an integer/],
  ])('fails %j with one line on stderr and a non-zero code', async (argv, message) => {
    const io = capture();
    const code = await main(argv, io);
    expect(code).not.toBe(0);
    expect(io.err_).toHaveLength(1);
    expect(io.err_[0]).toMatch(message);
    expect(io.err_[0]).not.toMatch(/\n\s+at /);
  });
});
