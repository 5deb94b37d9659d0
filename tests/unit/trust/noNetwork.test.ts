// No data leaves the machine: during a whole import -> search -> label -> read -> train -> predict
// -> explain -> evaluate flow (plus ML backend selection) the core opens no socket to anything but loopback and resolves no host name. Calls
// in this thread are intercepted at every Node network entry point; sockets of the whole process
// (worker threads included) are also read from /proc at the end.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import { dataDir, tempDir } from '../helpers.js';
import { buildSandbox, type Sandbox } from './sandbox.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

function isLoopback(host: unknown): boolean {
  if (typeof host !== 'string') return false;
  return LOOPBACK_HOSTS.has(host) || /^127\./.test(host);
}

/** Where a net.Socket#connect call is going: a host:port, a unix socket path, or unknown. */
function connectTarget(args: unknown[]): { host: string | null; path: string | null } {
  const [first, second] = args;
  const opts = Array.isArray(first) ? (first[0] as Record<string, unknown>) : first;
  if (opts !== null && typeof opts === 'object') {
    const o = opts as { host?: string; path?: string };
    if (typeof o.path === 'string') return { host: null, path: o.path };
    return { host: o.host ?? 'localhost', path: null };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { host: null, path: first };
  return { host: typeof second === 'string' ? second : 'localhost', path: null };
}

interface Restore {
  (): void;
}

/** Replaces `obj[key]` with a recorder that reports, then calls through; returns the undo. */
function spy<T extends object>(obj: T, key: keyof T & string, report: (args: unknown[]) => void): Restore {
  const original = obj[key] as unknown as (...a: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    report(args);
    return original.apply(this, args);
  };
  Object.defineProperty(obj, key, { value: wrapped, configurable: true, writable: true });
  return () => Object.defineProperty(obj, key, { value: original, configurable: true, writable: true });
}

/** Remote addresses of this process's open TCP/UDP sockets that are not loopback or unbound. */
function nonLoopbackSocketsOfProcess(): string[] {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync('/proc/self/fd')
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(join('/proc/self/fd', fd)))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => x !== undefined),
    );
  } catch {
    return []; // not Linux: the in-process interception still applies
  }
  const found: string[] = [];
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/self/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9]!)) continue;
      const remote = cols[2]!.split(':')[0]!;
      const unbound = /^0+$/.test(remote);
      const loopback4 = remote.length === 8 && remote.endsWith('7F');
      const loopback6 =
        remote === '00000000000000000000000001000000' || /^0000000000000000FFFF00000[0-9A-F]{2}0007F$/.test(remote);
      if (!unbound && !loopback4 && !loopback6) found.push(`${table} ${cols[2]}`);
    }
  }
  return found;
}

describe('no network use', () => {
  const tmp = tempDir('osler-offline-');
  const events: string[] = [];
  const undo: Restore[] = [];
  let core: Core;
  let box: Sandbox;

  beforeAll(() => {
    box = buildSandbox(join(tmp.path, 'sandbox'), dataDir());
    const record = (what: string) => events.push(what);
    undo.push(
      spy(net.Socket.prototype, 'connect', (args) => {
        const t = connectTarget(args);
        if (t.path === null && !isLoopback(t.host)) record(`net connect to ${String(t.host)}`);
      }),
      spy(dns, 'lookup', (args) => !isLoopback(args[0]) && record(`dns.lookup ${String(args[0])}`)),
      spy(dns.promises, 'lookup', (args) => !isLoopback(args[0]) && record(`dns.promises.lookup ${String(args[0])}`)),
      spy(dns, 'resolve', (args) => record(`dns.resolve ${String(args[0])}`)),
      spy(dns.promises, 'resolve', (args) => record(`dns.promises.resolve ${String(args[0])}`)),
      spy(http, 'request', (args) => record(`http.request ${JSON.stringify(args[0])?.slice(0, 120)}`)),
      spy(http, 'get', (args) => record(`http.get ${JSON.stringify(args[0])?.slice(0, 120)}`)),
      spy(https, 'request', (args) => record(`https.request ${JSON.stringify(args[0])?.slice(0, 120)}`)),
      spy(https, 'get', (args) => record(`https.get ${JSON.stringify(args[0])?.slice(0, 120)}`)),
      spy(tls, 'connect', (args) => record(`tls.connect ${JSON.stringify(args[0])?.slice(0, 120)}`)),
      spy(dgram, 'createSocket', () => record('dgram.createSocket')),
      spy(globalThis, 'fetch', (args) => {
        const url = String(args[0] instanceof Request ? args[0].url : args[0]);
        // Reading the app's own files through file: URLs is local.
        if (!url.startsWith('file:')) record(`fetch ${url.slice(0, 120)}`);
      }),
    );
    core = createCore({ home: join(tmp.path, 'home'), mode: 'cli', log: () => undefined });
  });

  afterAll(async () => {
    await core?.close();
    for (const u of undo.reverse()) u();
    tmp.cleanup();
  });

  it('the interception itself catches a real attempt (control)', async () => {
    const before = events.length;
    await new Promise<void>((resolve) => dns.lookup('osler-offline-probe.invalid', () => resolve()));
    expect(events.slice(before)).toEqual(['dns.lookup osler-offline-probe.invalid']);
    events.length = before;
  });

  it(
    'import -> search -> label -> read -> train -> predict -> explain -> evaluate touches no network',
    { timeout: 180_000 },
    async () => {
      const call = async (channel: string, input: unknown) => {
        const answer = await core.dispatch(channel, input, { via: 'cli' });
        expect(answer, channel).toMatchObject({ ok: true });
        return answer;
      };
      await core.backend();
      await call('app.info', {});
      await call('notes.import', { path: box.notesCsv, textCol: ['text'], labelCol: ['dx'], labelTask: ['dx'] });
      await call('vitals.import', { path: box.wfdbHeader });
      await call('dicom.import', { paths: [box.dicomDir] });
      await call('notes.search', { query: 'pain' });
      await call('notes.get', { id: 1, query: 'pain' });
      await call('labels.set', { target: { kind: 'note', id: 1 }, task: 'triage', value: 'urgent' });
      await call('labels.list', { target: { kind: 'note', id: 1 } });
      await call('vitals.get', { recordingId: 1 });
      await call('worklist.list', {});
      if (box.hasDicom) await call('frames.get', { instanceId: 1, frame: 0 });
      await call('app.health', {});
      // Train, predict, explain and evaluate: the ML path stays on the machine too.
      const triage = join(tmp.path, 'triage.csv');
      writeFileSync(
        triage,
        'id,patient,text,urgency\n' +
          Array.from(
            { length: 16 },
            (_, i) =>
              `t${i},q${i},"${i % 2 ? 'crushing chest pain' : 'mild rash'} ${i}",${i % 2 ? 'urgent' : 'routine'}`,
          ).join('\n'),
      );
      await call('notes.import', {
        path: triage,
        textCol: ['text'],
        labelCol: ['urgency'],
        labelTask: ['urgency'],
        idCol: 'id',
        patientCol: 'patient',
      });
      const done = new Promise<string>((resolve) => {
        const off = core.on('models.trainingProgress', (p) => {
          if (p.phase === 'done' || p.phase === 'failed') {
            off();
            resolve(p.phase);
          }
        });
      });
      await call('models.train', {
        name: 'offline-triage',
        task: 'text',
        data: { source: 'store', labelTask: 'urgency' },
        settings: { epochs: 1, batchSize: 8 },
      });
      expect(await done).toBe('done');
      const target = { kind: 'note', id: 1 };
      await call('predict.run', { model: { name: 'offline-triage' }, target });
      await call('explain.run', { model: { name: 'offline-triage' }, target });
      await call('evaluate.run', {
        model: { name: 'offline-triage' },
        data: { source: 'store', labelTask: 'urgency' },
      });
      await call('models.list', {});
      expect(events).toEqual([]);
      expect(nonLoopbackSocketsOfProcess()).toEqual([]);
    },
  );
});
