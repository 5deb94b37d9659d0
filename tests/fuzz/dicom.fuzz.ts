/**
 * Long fuzz of the DICOM engine (`npm run fuzz`): mutations of every real file in ../shared/data/dicom (bit
 * flips, truncation at tag boundaries and anywhere, corrupted and huge lengths, splices, deep nesting,
 * fragment and codestream damage) run through parse, metadata, decode and display. Every case must end in
 * success or a DicomParseError with a reason code, within a time budget, without runaway memory.
 *
 * Cases run in a worker; the main thread is the watchdog: a case that overruns its budget is a hang (the
 * worker is terminated and restarted after it), process memory past the limit is runaway memory. Failing
 * inputs are written to a folder so they can be replayed.
 *
 * Run: npm run fuzz [-- --seconds 600 --seed 1 --budget-ms 5000 --max-rss-mb 3072]
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { describeSeed, exercise, mutate, mutationArbitrary, type Mutation, type Seed } from './mutations.js';

interface Config {
  readonly dataDir: string;
  readonly seed: number;
  readonly seconds: number;
  readonly budgetMs: number;
  readonly maxRssMb: number;
  readonly outDir: string;
}

/** Re-decode every unmutated seed this often (cases) and compare with the start. */
const HEALTH_EVERY = 1000;

type FromWorker =
  | { readonly type: 'ready'; readonly seeds: number }
  | { readonly type: 'start'; readonly index: number }
  | { readonly type: 'done'; readonly index: number; readonly outcome: string }
  | { readonly type: 'bug'; readonly index: number; readonly message: string };

function dcmFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...dcmFiles(p));
    else if (name.endsWith('.dcm')) out.push(p);
  }
  return out;
}

function loadSeeds(dataDir: string): Seed[] {
  const root = join(dataDir, 'dicom');
  const seeds: Seed[] = [];
  for (const file of dcmFiles(root)) {
    try {
      seeds.push(describeSeed(relative(root, file), new Uint8Array(readFileSync(file))));
    } catch {
      // A seed the engine itself refuses still makes a fine mutation source, without element spans.
      seeds.push({
        name: relative(root, file),
        bytes: new Uint8Array(readFileSync(file)),
        elements: [],
        fragments: [],
      });
    }
  }
  return seeds;
}

/** The mutation of case `index`: a pure function of the run seed and the index. */
function mutationAt(runSeed: number, index: number, seedCount: number): Mutation {
  return fc.sample(mutationArbitrary(seedCount), { seed: (runSeed * 1_000_003 + index) | 0, numRuns: 1 })[0]!;
}

async function workerMain(cfg: Config & { readonly from: number }): Promise<void> {
  const port = parentPort!;
  const seeds = loadSeeds(cfg.dataDir);
  // Codecs must not wear out: every seed that decodes now must still decode the same after any number of
  // corrupt inputs (a failure outcome is allowed per case, so a broken codec would otherwise go unnoticed).
  const baseline = await Promise.all(seeds.map((s) => exercise(s.bytes).catch(() => 'bug')));
  port.postMessage({ type: 'ready', seeds: seeds.length } satisfies FromWorker);
  for (let index = cfg.from; ; index++) {
    if (index > cfg.from && index % HEALTH_EVERY === 0) {
      for (let k = 0; k < seeds.length; k++) {
        const now = await exercise(seeds[k]!.bytes).catch(() => 'bug');
        if (now !== baseline[k]) {
          const message = `codec worn out: unmutated ${seeds[k]!.name} gave ${now}, ${baseline[k]} at start`;
          port.postMessage({ type: 'bug', index: index - 1, message } satisfies FromWorker);
          baseline[k] = now;
        }
      }
    }
    const m = mutationAt(cfg.seed, index, seeds.length);
    const bytes = mutate(seeds[m.seed]!, m);
    port.postMessage({ type: 'start', index } satisfies FromWorker);
    try {
      const outcome = await exercise(bytes);
      port.postMessage({ type: 'done', index, outcome } satisfies FromWorker);
    } catch (e) {
      port.postMessage({
        type: 'bug',
        index,
        message: e instanceof Error ? e.message : String(e),
      } satisfies FromWorker);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: process.env.OSLER_FUZZ_SECONDS ?? '300' },
      seed: { type: 'string', default: process.env.OSLER_FUZZ_SEED ?? String(Date.now() % 1_000_000) },
      'budget-ms': { type: 'string', default: '5000' },
      'max-rss-mb': { type: 'string', default: '3072' },
      out: { type: 'string', default: join(tmpdir(), 'osler-fuzz-failures') },
    },
  });
  const dataDir = resolve(process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
  const cfg: Config = {
    dataDir,
    seed: Number(values.seed),
    seconds: Number(values.seconds),
    budgetMs: Number(values['budget-ms']),
    maxRssMb: Number(values['max-rss-mb']),
    outDir: values.out!,
  };
  let seedCount = 0;
  try {
    seedCount = dcmFiles(join(dataDir, 'dicom')).length;
  } catch {
    seedCount = 0;
  }
  if (seedCount === 0) {
    console.log(`fuzz: skipped (no DICOM files under ${dataDir}/dicom)`);
    return;
  }
  console.log(`fuzz: seed ${cfg.seed}, ${seedCount} seed files, ${cfg.seconds} s, ${cfg.budgetMs} ms per case`);

  const failures: { index: number; kind: string; file: string; what: string }[] = [];
  const outcomes = new Map<string, number>();
  const kinds = new Map<string, number>();
  let cases = 0;
  let peakRssMb = 0;
  const seedsForReplay = loadSeeds(dataDir);
  const deadline = performance.now() + cfg.seconds * 1000;

  const record = (index: number, what: string): void => {
    const m = mutationAt(cfg.seed, index, seedsForReplay.length);
    mkdirSync(cfg.outDir, { recursive: true });
    const file = join(cfg.outDir, `seed${cfg.seed}-case${index}.dcm`);
    writeFileSync(file, mutate(seedsForReplay[m.seed]!, m));
    failures.push({ index, kind: m.kind, file, what: `${seedsForReplay[m.seed]!.name}: ${what}` });
    console.log(`FAIL case ${index} (${m.kind} of ${seedsForReplay[m.seed]!.name}): ${what.split('\n')[0]} -> ${file}`);
  };

  let from = 0;
  while (performance.now() < deadline) {
    // Loader hooks are per thread: the worker registers tsx itself before importing this file.
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: { ...cfg, from } });
    from = await new Promise<number>((resolveNext, rejectRun) => {
      let current = from;
      let ready = false;
      let timer: NodeJS.Timeout | undefined;
      const stop = (next: number) => {
        clearTimeout(timer);
        worker.removeAllListeners();
        void worker.terminate();
        resolveNext(next);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          record(current, `hang: no result within ${cfg.budgetMs} ms`);
          stop(current + 1);
        }, cfg.budgetMs);
      };
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          ready = true;
          return;
        }
        if (msg.type === 'start') {
          current = msg.index;
          arm();
          return;
        }
        clearTimeout(timer);
        cases++;
        const m = mutationAt(cfg.seed, msg.index, seedsForReplay.length);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        if (msg.type === 'bug') record(msg.index, msg.message);
        else outcomes.set(msg.outcome, (outcomes.get(msg.outcome) ?? 0) + 1);
        const rssMb = process.memoryUsage().rss / 2 ** 20;
        peakRssMb = Math.max(peakRssMb, rssMb);
        if (rssMb > cfg.maxRssMb) {
          record(msg.index, `runaway memory: process RSS ${rssMb.toFixed(0)} MB after this case`);
          stop(msg.index + 1);
          return;
        }
        if (cases % 2000 === 0) console.log(`fuzz: ${cases} cases, ${failures.length} failures`);
        if (performance.now() >= deadline) stop(msg.index + 1);
      });
      worker.on('error', (e) => {
        const text = e instanceof Error ? e.message : String(e);
        if (!ready) {
          clearTimeout(timer);
          rejectRun(new Error(`fuzz worker failed to start: ${text}`));
          return;
        }
        record(current, `worker died: ${text}`);
        stop(current + 1);
      });
      worker.on('exit', (code) => {
        if (code !== 0) {
          record(current, `worker exited with code ${code}`);
          stop(current + 1);
        }
      });
    });
  }

  console.log(`fuzz.cases: ${cases} cases`);
  console.log(`fuzz.failures: ${failures.length} failures`);
  console.log(`fuzz.peak_rss_mb: ${peakRssMb.toFixed(0)} MB`);
  console.log(`fuzz.kinds: ${JSON.stringify(Object.fromEntries([...kinds].sort()))}`);
  console.log(`fuzz.outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`);
  console.log(`${cases - failures.length} passed, ${failures.length} failed`);
  if (failures.length) {
    console.log(`replay: OSLER_FUZZ_SEED=${cfg.seed}; failing inputs in ${cfg.outDir}`);
    process.exitCode = 1;
  }
}

if (isMainThread) await main();
else await workerMain(workerData as Config & { from: number });
