import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, createDispatcher, OslerError, type Handlers } from '../../../native/contract/index.js';

const info = {
  version: '1.2.3',
  home: '/data',
  mode: 'cli' as const,
  backend: { name: 'cpu' as const, simd: false, threads: 1, notes: [] },
  counts: {
    patients: 0,
    studies: 0,
    series: 0,
    instances: 0,
    notes: 0,
    recordings: 0,
    labels: 0,
    models: 0,
    predictions: 0,
  },
  schemaVersion: 10,
  versions: { node: '20', electron: null, chrome: null, tfjs: '4', sqlite: '3' },
  platform: 'linux-x64',
};

function setup(overrides: Partial<Handlers> = {}) {
  // Channels this test does not exercise answer with an error if ever reached.
  const unused = Object.fromEntries(
    CHANNEL_NAMES.map((name) => [name, vi.fn(() => Promise.reject(new Error(`${name} not expected`)))]),
  );
  const handlers = {
    ...unused,
    'app.info': vi.fn(() => info),
    'app.health': vi.fn(() => ({ ok: true, checks: [], uptimeMs: 1 })),
    ...overrides,
  } as Handlers;
  const internal = vi.fn();
  const dispatch = createDispatcher(handlers, { onInternalError: internal });
  return { handlers, dispatch, internal };
}

const ctx = { via: 'cli' as const };

describe('contract dispatcher', () => {
  it('round-trips a valid call', async () => {
    const { dispatch, handlers } = setup();
    await expect(dispatch('app.info', {}, ctx)).resolves.toEqual({ ok: true, value: info });
    expect(handlers['app.info']).toHaveBeenCalledOnce();
  });

  it.each([
    ['wrong type', 'x'],
    ['array', []],
    ['null', null],
    ['missing', undefined],
    ['extra field', { extra: 1 }],
    ['prototype key', JSON.parse('{"__proto__": {"polluted": true}}')],
  ])('refuses %s input without calling the handler', async (_name, input) => {
    const { dispatch, handlers } = setup();
    const result = await dispatch('app.info', input, ctx);
    expect(result).toMatchObject({ ok: false, code: 'invalid-input' });
    expect(handlers['app.info']).not.toHaveBeenCalled();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a huge string and deep nesting as too-large', async () => {
    const { dispatch, handlers } = setup();
    const huge = await dispatch('app.info', { x: 'a'.repeat(10 * 1024 * 1024) }, ctx);
    expect(huge).toMatchObject({ ok: false, code: 'too-large' });
    let deep: unknown = {};
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(await dispatch('app.info', deep, ctx)).toMatchObject({ ok: false, code: 'too-large' });
    expect(handlers['app.info']).not.toHaveBeenCalled();
  });

  it.each([['nope.nothing'], [42], [null], ['constructor'], ['__proto__'], ['toString']])(
    'answers unknown-channel for %s',
    async (channel) => {
      const { dispatch } = setup();
      expect(await dispatch(channel, {}, ctx)).toMatchObject({ ok: false, code: 'unknown-channel' });
    },
  );

  it('passes OslerError codes through and hides other errors', async () => {
    const { dispatch, internal } = setup({
      'app.info': () => {
        throw new OslerError('not-found', 'no such thing');
      },
      'app.health': () => {
        throw new Error('secret /home/user/path stack');
      },
    });
    expect(await dispatch('app.info', {}, ctx)).toEqual({ ok: false, code: 'not-found', message: 'no such thing' });
    const hidden = await dispatch('app.health', {}, ctx);
    expect(hidden).toMatchObject({ ok: false, code: 'internal' });
    expect(JSON.stringify(hidden)).not.toContain('/home/user');
    expect(internal).toHaveBeenCalledOnce();
  });

  it('reports an invalid handler answer as internal', async () => {
    const { dispatch } = setup({ 'app.health': () => ({ ok: 'yes' }) as never });
    expect(await dispatch('app.health', {}, ctx)).toMatchObject({ ok: false, code: 'internal' });
  });
});
