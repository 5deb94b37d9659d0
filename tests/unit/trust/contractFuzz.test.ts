// Property-based fuzzing of every contract channel against a real core in a temporary data folder:
// random and adversarial payloads must each get a typed error or a valid result, never crash the
// process, never pollute Object.prototype, and never write a file outside the data folder.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import { CHANNEL_NAMES, channels, type ChannelName } from '../../../native/contract/channels.js';
import { ERROR_CODES } from '../../../native/contract/result.js';
import { dataDir, tempDir } from '../helpers.js';
import { buildSandbox, snapshotTree, treeChanges, type Sandbox } from './sandbox.js';

/** Runs per channel: OSLER_FUZZ_RUNS raises it; imports get a quarter (each may start a worker). */
const RUNS = Math.max(1, Number(process.env.OSLER_FUZZ_RUNS ?? 160));
const IMPORT_CHANNELS = new Set(['dicom.import', 'notes.import', 'vitals.import']);
const runsFor = (name: string) => (IMPORT_CHANNELS.has(name) ? Math.ceil(RUNS / 4) : RUNS);

/** The subset of JSON Schema that z.toJSONSchema emits for the contract's inputs. */
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

const TEN_MB = 'A'.repeat(10 * 1024 * 1024);
const JUST_UNDER_GUARD = 'b'.repeat(999_999);

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function deepObject(depth: number): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function wideObject(keys: number): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < keys; i++) o[`k${i}`] = i;
  return o;
}

/** Objects carrying prototype-pollution keys as own properties, exactly as JSON.parse builds them. */
const PROTO_OBJECTS: unknown[] = [
  JSON.parse('{"__proto__":{"polluted":"yes"}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}'),
  JSON.parse('{"prototype":{"polluted":"yes"}}'),
  JSON.parse('{"__proto__":{"__proto__":{"polluted":"yes"}},"a":1}'),
  JSON.parse('[{"__proto__":{"polluted":"yes"}}]'),
];

/** A copy of `value` with `key` as an own property, exactly as JSON.parse('{"__proto__": ...}') builds it. */
function withProtoKey(value: unknown, key: '__proto__' | 'constructor' | 'prototype'): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const poison = key === 'constructor' ? { prototype: { polluted: 'yes' } } : { polluted: 'yes' };
  const out: Record<string, unknown> = {};
  Object.defineProperty(out, key, { value: poison, enumerable: true, writable: true, configurable: true });
  for (const [k, v] of Object.entries(value)) out[k] = v;
  return out;
}

function pathStrings(home: string, box: Sandbox): string[] {
  return [
    '../../etc/passwd',
    '../../../../../../../../etc/passwd',
    '..\\..\\..\\windows\\win.ini',
    '/etc/passwd',
    '/etc/hostname',
    '/etc/shadow',
    '/proc/self/status',
    '/proc/self/environ',
    '/dev/null',
    '/dev/zero',
    '/dev/urandom',
    '/nonexistent/osler/x',
    'file:///etc/passwd',
    '~/.ssh/id_rsa',
    '$HOME/.bashrc',
    'C:\\Windows\\System32\\config\\SAM',
    '\\\\server\\share\\x',
    'a\u0000b',
    '.',
    'x'.repeat(4096),
    `${home}/../escape.txt`,
    `${home}/files/../../sandbox-escape`,
    `${home}/osler.sqlite`,
    home,
    box.root,
    box.notesCsv,
    box.textFile,
    box.wfdbHeader,
    box.dicomDir,
  ];
}

const ODD_STRINGS = [
  '',
  ' ',
  '"',
  '"unbalanced',
  "'; DROP TABLE notes; --",
  'NEAR(a b',
  'a OR',
  '*',
  'col:val',
  '^',
  '\u0000',
  '\ud800',
  '🫀'.repeat(50),
  '%s%n%x',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
];

const HOSTILE_NUMBERS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  -1,
  0,
  0.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 63,
  Number.MIN_VALUE,
  Number.EPSILON,
];

interface Pools {
  readonly strings: fc.Arbitrary<string>;
  readonly hostile: fc.Arbitrary<unknown>;
}

function makePools(home: string, box: Sandbox): Pools {
  const paths = pathStrings(home, box);
  const strings = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...paths) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constantFrom(TEN_MB, JUST_UNDER_GUARD, 'c'.repeat(4097), 'd'.repeat(501)) },
  );
  const hostile = fc.oneof(
    fc.constantFrom(...HOSTILE_NUMBERS),
    fc.constantFrom(...PROTO_OBJECTS),
    fc.constantFrom<unknown>(null, undefined, true, false, [], {}, [[]], 10n, Symbol('s')),
    fc.constantFrom(() => 1, new Date(0), new Map([[1, 2]]), new Uint8Array(4), new ArrayBuffer(8)),
    fc.constantFrom(deepArray(100_000), deepObject(40), deepObject(5_000), wideObject(120_000)),
    strings,
    fc.anything({ maxDepth: 3, withNullPrototype: true, withTypedArray: true, withBigInt: true, withDate: true }),
  );
  return { strings, hostile };
}

/** A schema-shaped value for `s` whose leaves are drawn mostly from the adversarial pools. */
function shaped(s: JsonSchema, pools: Pools): fc.Arbitrary<unknown> {
  if (s.anyOf) return fc.oneof(...s.anyOf.map((a) => shaped(a, pools)));
  if (s.enum)
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: pools.strings });
  if ('const' in s) return fc.constant(s.const);
  switch (s.type) {
    case 'object': {
      if (s.properties && Object.keys(s.properties).length > 0) {
        const props: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(s.properties)) props[k] = shaped(v, pools);
        return fc.record(props, { requiredKeys: s.required ?? [] });
      }
      if (typeof s.additionalProperties === 'object' || s.propertyNames) {
        const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype'));
        return fc.oneof(
          fc.dictionary(key, fc.oneof(pools.hostile, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 6 }),
          fc.constantFrom(...PROTO_OBJECTS.filter((p) => !Array.isArray(p))),
        );
      }
      return fc.constant({});
    }
    case 'array': {
      const item = s.items ? shaped(s.items, pools) : pools.hostile;
      const max = Math.min(s.maxItems ?? 4, 4);
      return fc.array(item, { minLength: Math.min(s.minItems ?? 0, max), maxLength: max });
    }
    case 'string':
      if (s.pattern) {
        const pattern = new RegExp(s.pattern);
        return fc.oneof({ weight: 3, arbitrary: fc.stringMatching(pattern) }, { weight: 1, arbitrary: pools.strings });
      }
      return pools.strings;
    case 'integer':
    case 'number': {
      const lo = s.minimum ?? (s.exclusiveMinimum === undefined ? -1e6 : s.exclusiveMinimum + 1);
      const hi = Math.min(s.maximum ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      // A number range with fractional bounds (e.g. 0.05..0.5) has no integers inside: doubles only.
      if (s.type === 'number' && Math.ceil(lo) > Math.floor(hi))
        return fc.oneof(
          { weight: 3, arbitrary: fc.double({ min: lo, max: hi, noNaN: true }) },
          { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
        );
      const intLo = Math.ceil(lo);
      const intHi = Math.floor(hi);
      const ints = fc.oneof(
        // Small ids first, so calls reach the rows the imports created.
        { weight: 3, arbitrary: fc.integer({ min: Math.max(intLo, 0), max: Math.min(intHi, Math.max(intLo, 0) + 8) }) },
        { weight: 2, arbitrary: fc.integer({ min: Math.max(intLo, -(2 ** 31)), max: Math.min(intHi, 2 ** 31 - 1) }) },
        { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
      );
      return s.type === 'integer'
        ? ints
        : fc.oneof(ints, fc.double({ min: Math.max(lo, -1e12), max: Math.min(hi, 1e12), noNaN: true }));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return pools.hostile;
  }
}

type Mutation = (value: unknown) => unknown;

/** Structural mutations of a well-shaped payload: a field replaced, removed, added or poisoned. */
function mutations(pools: Pools): fc.Arbitrary<Mutation> {
  // Paths to the plain objects of a payload, shallow enough that hostile deep values are not walked.
  const objectPaths = (value: unknown, prefix: string[] = []): string[][] => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || prefix.length > 4) return [];
    if (Object.getPrototypeOf(value) !== Object.prototype) return [];
    const out: string[][] = [prefix];
    for (const [k, v] of Object.entries(value)) out.push(...objectPaths(v, [...prefix, k]));
    return out;
  };
  const at = (value: unknown, path: string[]): Record<string, unknown> => {
    let v = value as Record<string, unknown>;
    for (const k of path) v = v[k] as Record<string, unknown>;
    return v;
  };
  // Copies plain objects and arrays a few levels down; anything else (deep values, symbols, typed
  // arrays) is shared, which is fine because mutations only touch the levels that were copied.
  const clone = (value: unknown, depth = 0): unknown => {
    if (depth > 5 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => clone(v, depth + 1));
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, {
        value: clone(v, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  };
  return fc.oneof(
    fc.tuple(fc.nat(), pools.hostile).map(([pick, replacement]): Mutation => (value) => {
      const copy = clone(value);
      const targets = objectPaths(copy).flatMap((p) => Object.keys(at(copy, p)).map((k) => [...p, k]));
      if (targets.length === 0) return replacement;
      const path = targets[pick % targets.length]!;
      at(copy, path.slice(0, -1))[path.at(-1)!] = replacement;
      return copy;
    }),
    fc.nat().map((pick): Mutation => (value) => {
      const copy = clone(value);
      const targets = objectPaths(copy).flatMap((p) => Object.keys(at(copy, p)).map((k) => [...p, k]));
      if (targets.length === 0) return copy;
      const path = targets[pick % targets.length]!;
      delete at(copy, path.slice(0, -1))[path.at(-1)!];
      return copy;
    }),
    fc.tuple(fc.nat(), fc.string({ maxLength: 10 }), pools.hostile).map(([pick, key, extra]): Mutation => (value) => {
      const copy = clone(value);
      const targets = objectPaths(copy);
      if (targets.length === 0) return copy;
      at(copy, targets[pick % targets.length]!)[key || 'extra'] = extra;
      return copy;
    }),
    fc
      .tuple(fc.nat(), fc.constantFrom('__proto__', 'constructor', 'prototype') as fc.Arbitrary<'__proto__'>)
      .map(([pick, key]): Mutation => (value) => {
        if (value === null || typeof value !== 'object') return value;
        const copy = clone(value) as Record<string, unknown>;
        const targets = objectPaths(copy).filter((p) => p.length > 0);
        if (targets.length === 0 || pick % 2 === 0) return withProtoKey(copy, key);
        const path = targets[pick % targets.length]!;
        at(copy, path.slice(0, -1))[path.at(-1)!] = withProtoKey(at(copy, path), key);
        return copy;
      }),
    fc.constant<Mutation>((value) => [value]),
    fc.constant<Mutation>((value) => {
      try {
        return JSON.stringify(value ?? null);
      } catch {
        return '{"unserialisable":true}';
      }
    }),
  );
}

/** Payloads known to be valid against the seeded store; mutating them reaches the handlers' depths. */
function validSeeds(box: Sandbox): Partial<Record<string, unknown[]>> {
  return {
    'dicom.import': [{ paths: [box.dicomDir] }, { paths: [box.dicomDir, box.notesCsv] }],
    'notes.import': [
      { path: box.notesCsv, textCol: ['text'], labelCol: ['dx'], labelTask: ['dx'] },
      { path: box.textFile },
    ],
    'vitals.import': [{ path: box.wfdbHeader }, { path: box.root, limit: 1 }],
    'notes.search': [{ query: 'pain' }, { query: 'cough', limit: 5, offset: 0 }],
    'notes.get': [{ id: 1, query: 'pain' }],
    'vitals.get': [{ recordingId: 1 }, { recordingId: 1, fromMs: 0, toMs: 1000, signals: ['II'], maxPoints: 10 }],
    'labels.set': [
      { target: { kind: 'note', id: 1 }, task: 'triage', value: 'routine' },
      {
        target: { kind: 'recording', id: 1, windowStartMs: 0, windowEndMs: 500 },
        task: 'rhythm',
        value: 'af',
        supersedes: null,
      },
    ],
    'labels.list': [{ target: { kind: 'note', id: 1 } }],
    'series.get': [{ seriesId: 1 }],
    'frames.get': [{ instanceId: 1, frame: 0 }],
    'worklist.list': [{ kinds: ['note', 'study'], sort: 'date' }],
    'audit.list': [{ limit: 5 }],
  };
}

function payloads(name: ChannelName, pools: Pools, seeds: unknown[] = []): fc.Arbitrary<unknown> {
  const schema = z.toJSONSchema(channels[name].input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const shapedOrSeed =
    seeds.length === 0 ? shaped(schema, pools) : fc.oneof(shaped(schema, pools), fc.constantFrom(...seeds));
  return fc.oneof(
    { weight: 4, arbitrary: shapedOrSeed },
    { weight: 4, arbitrary: fc.tuple(shapedOrSeed, mutations(pools)).map(([v, m]) => m(v)) },
    { weight: 1, arbitrary: pools.hostile },
  );
}

const PROTO_BASELINE = {
  object: Object.getOwnPropertyNames(Object.prototype).sort(),
  array: Object.getOwnPropertyNames(Array.prototype).sort(),
  func: Object.getOwnPropertyNames(Function.prototype).sort(),
};

function prototypesIntact(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    probe.polluted === undefined &&
    JSON.stringify(Object.getOwnPropertyNames(Object.prototype).sort()) === JSON.stringify(PROTO_BASELINE.object) &&
    JSON.stringify(Object.getOwnPropertyNames(Array.prototype).sort()) === JSON.stringify(PROTO_BASELINE.array) &&
    JSON.stringify(Object.getOwnPropertyNames(Function.prototype).sort()) === JSON.stringify(PROTO_BASELINE.func)
  );
}

/** Why an answer breaks the contract, or null when it is a typed error or a valid result. */
function answerProblem(name: ChannelName, answer: unknown): string | null {
  if (answer === null || typeof answer !== 'object') return `not an object: ${String(answer)}`;
  const a = answer as { ok?: unknown; code?: unknown; message?: unknown; value?: unknown };
  if (a.ok === true) {
    const checked = channels[name].output.safeParse(a.value);
    return checked.success ? null : `ok answer fails the output schema: ${checked.error.message.slice(0, 200)}`;
  }
  if (a.ok !== false) return 'answer has no boolean ok';
  if (!(ERROR_CODES as readonly unknown[]).includes(a.code)) return `unknown code ${String(a.code)}`;
  if (typeof a.message !== 'string' || a.message.length === 0) return 'failure without a message';
  if (/\n\s+at\s/.test(a.message)) return `message carries a stack trace: ${a.message.slice(0, 200)}`;
  if (a.code === 'internal') return `internal error: ${a.message}`;
  return null;
}

/** Files outside the data folder whose mtime must not move (we run as root in CI). */
const SYSTEM_FILES = ['/etc/passwd', '/etc/hostname', '/etc/hosts'];

describe('contract fuzzing', () => {
  const data = dataDir();
  const tmp = tempDir('osler-fuzz-');
  const home = join(tmp.path, 'home');
  const isHome = (p: string) => p === home || p.startsWith(`${home}/`);
  let box: Sandbox;
  let core: Core;
  let pools: Pools;
  let before: Map<string, string>;
  let systemBefore: string[];
  const internalLog: string[] = [];
  const previousCwd = process.cwd();
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);

  const mtimes = () =>
    SYSTEM_FILES.map((f) => {
      try {
        return `${f}:${statSync(f).mtimeMs}`;
      } catch {
        return `${f}:absent`;
      }
    });

  beforeAll(async () => {
    box = buildSandbox(join(tmp.path, 'sandbox'), data);
    core = createCore({ home, mode: 'browser', log: (m) => internalLog.push(m) });
    await core.backend();
    await seed(core, box);
    pools = makePools(home, box);
    // Relative paths (`../../etc/passwd`, `.`) resolve from here, inside the sandbox.
    process.chdir(box.cwd);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    before = snapshotTree(tmp.path, isHome);
    systemBefore = mtimes();
  });

  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    process.chdir(previousCwd);
    await core?.close();
    tmp.cleanup();
  });

  it('covers every channel of the contract', () => {
    expect(CHANNEL_NAMES.length).toBeGreaterThan(0);
    for (const name of CHANNEL_NAMES)
      expect(() => z.toJSONSchema(channels[name].input, { io: 'input', unrepresentable: 'any' })).not.toThrow();
  });

  for (const name of CHANNEL_NAMES) {
    it(
      `${name}: every answer is a typed error or a valid result`,
      async () => {
        const outcomes = new Map<string, number>();
        await fc.assert(
          fc.asyncProperty(payloads(name, pools, validSeeds(box)[name]), async (payload) => {
            const answer = await core.dispatch(name, payload, { via: 'browser' });
            const tally = answer.ok ? 'ok' : answer.code;
            outcomes.set(tally, (outcomes.get(tally) ?? 0) + 1);
            const problem = answerProblem(name, answer);
            if (problem !== null) throw new Error(problem);
            if (!prototypesIntact()) throw new Error('a prototype was polluted');
          }),
          { numRuns: runsFor(name), seed: seedFor(name), endOnFailure: true },
        );
        if (process.env.OSLER_FUZZ_VERBOSE) console.log(name, Object.fromEntries(outcomes));
      },
      60_000 + runsFor(name) * 500,
    );
  }

  it('answers unknown channels and hostile channel names with unknown-channel', async () => {
    for (const channel of [
      undefined,
      null,
      42,
      {},
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      TEN_MB,
      'app.info ',
      'APP.INFO',
    ]) {
      const answer = await core.dispatch(channel, {}, { via: 'browser' });
      expect(answer).toMatchObject({ ok: false, code: 'unknown-channel' });
    }
  });

  it('survives concurrent hostile calls to every channel at once', async () => {
    const arbs = CHANNEL_NAMES.map((name) => payloads(name, pools, validSeeds(box)[name]));
    const batch = CHANNEL_NAMES.flatMap((name, i) =>
      fc.sample(arbs[i]!, { numRuns: 5, seed: 7 }).map((p) => [name, p] as const),
    );
    const answers = await Promise.all(batch.map(([name, p]) => core.dispatch(name, p, { via: 'browser' })));
    const problems = answers.map((a, i) => answerProblem(batch[i]![0], a)).filter((p) => p !== null);
    expect(problems).toEqual([]);
  });

  it('never crashed, never polluted a prototype and wrote nothing outside the data folder', async () => {
    expect(crashes).toEqual([]);
    expect(prototypesIntact()).toBe(true);
    expect(treeChanges(before, snapshotTree(tmp.path, isHome))).toEqual([]);
    expect(mtimes()).toEqual(systemBefore);
    const health = await core.dispatch('app.health', {}, { via: 'browser' });
    expect(health).toMatchObject({ ok: true });
    expect(
      (health as { value: { checks: Array<{ name: string; ok: boolean }> } }).value.checks.find(
        (c) => c.name === 'store',
      )?.ok,
    ).toBe(true);
  });
});

/** Imports the sandbox's notes, record and DICOM and labels them, so id-taking calls reach real rows. */
async function seed(core: Core, box: Sandbox): Promise<void> {
  const calls: Array<[string, unknown]> = [
    ['notes.import', { path: box.notesCsv, textCol: ['text'], labelCol: ['dx'], labelTask: ['dx'] }],
    ['vitals.import', { path: box.wfdbHeader }],
    ['dicom.import', { paths: [box.dicomDir] }],
    ['labels.set', { target: { kind: 'note', id: 1 }, task: 'triage', value: 'urgent' }],
    ['vitals.get', { recordingId: 1 }],
    ...(box.hasDicom ? ([['frames.get', { instanceId: 1, frame: 0 }]] as Array<[string, unknown]>) : []),
  ];
  for (const [channel, input] of calls) {
    const answer = await core.dispatch(channel, input, { via: 'cli' });
    if (!answer.ok) throw new Error(`seeding ${channel}: ${answer.code}: ${answer.message}`);
  }
}

/** A stable seed per channel so a failure reproduces; OSLER_FUZZ_SEED varies every channel at once. */
function seedFor(name: string): number {
  let h = Number(process.env.OSLER_FUZZ_SEED ?? 0x5eed) | 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h;
}
