import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCore, type Core } from '../../app/core.js';
import { actorOf } from '../../app/handlers/caseStore.js';
import { defaultHome, packageRoot } from '../../app/paths.js';
import type { ChannelInput, ChannelName, ChannelOutput } from '../../contract/channels.js';
import { OslerError } from '../../contract/result.js';
import { modelTaskSchema } from '../../contract/models.js';
import { parseCommand } from '../args.js';
import type { CommandIo } from './import.js';

/** Usage of the model commands, for `osler --help`. */
export const MODELS_USAGE = `  models list [--task T]
                      models in the registry with their versions and states
  models get NAME|VERSION_ID [--card]
                      one version's metadata, a text vocabulary given by its size (or its model card;
                      models export writes the whole bundle)
  models promote VERSION_ID --reason R | models discard VERSION_ID --reason R
  models rollback NAME [--to VERSION_ID] --reason R
                      change which version is active (audited with the reason)
  models import DIR   register a bundle folder (tfjs Layers model.json + weights + metadata.json)
  models export NAME|VERSION_ID --out DIR [--quantize float16|uint8] [--data PATH [--text-col C --label-col C]]
                      write a bundle with its card; with --data, report the metric change
  train --task image|text|vitals-risk|vitals-forecast --data PATH [--val PATH] [--name N]
        [--label-task T] [--text-col C] [--label-col C] [--epochs N] [--batch-size N]
        [--learning-rate X] [--seed N] [--validation-fraction X] [--image-size N]
        [--dicom-window CENTER/WIDTH]
                      train a new model or fine-tune an existing one (--name); PATH is an ImageFolder,
                      a folder with labels.csv, a notes CSV/TSV or a PhysioNet-2012-layout folder;
                      --label-task trains on the case store's labels instead of a PATH
  train-starter NAME --data DATA_ROOT [--out DIR] [--seed N]
                      reproduce a shipped starter model from the public data
  predict --model NAME|VERSION_ID|DIR --input PATH [--text-col C]
                      predictions for every item of a file or folder (nothing is stored)
  evaluate --model NAME|VERSION_ID|DIR --data PATH [--text-col C] [--label-col C]
                      evaluation on labelled data in the model's layout: n, accuracy, auc, macroF1,
                      ece (mae, rmse, coverage for forecasters), per-class metrics, confusion matrix`;

function openCore(home: string | undefined): Core {
  return createCore({ home: resolve(home ?? defaultHome()), mode: 'cli' });
}

async function call<K extends ChannelName>(core: Core, channel: K, input: ChannelInput<K>): Promise<ChannelOutput<K>> {
  const result = await core.dispatch(channel, input, { via: 'cli' });
  if (!result.ok) throw new OslerError(result.code, result.message);
  return result.value as ChannelOutput<K>;
}

function number(value: string | undefined, flag: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new OslerError('invalid-input', `${flag} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  return n;
}

function ref(spec: string): { versionId: number } | { name: string } {
  return /^\d+$/.test(spec) ? { versionId: Number(spec) } : { name: spec };
}

function fmt(v: number | undefined): string {
  return v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(3);
}

async function withCore<T>(home: string | undefined, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = openCore(home);
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** `osler models ...` */
export async function modelsCommand(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(rest, {
    task: { type: 'string' },
    card: { type: 'boolean', default: false },
    reason: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    quantize: { type: 'string' },
    data: { type: 'string' },
    'text-col': { type: 'string' },
    'label-col': { type: 'string' },
  });
  const print = (value: unknown, text: () => string) => io.out(values.json ? JSON.stringify(value, null, 2) : text());
  const need = (v: string | undefined, what: string): string => {
    if (v === undefined || v === '') throw new OslerError('invalid-input', `models ${sub} needs ${what}`);
    return v;
  };
  return withCore(values.home, async (core) => {
    switch (sub) {
      case 'list': {
        const task = values.task === undefined ? undefined : modelTaskSchema.parse(values.task);
        const models = await call(core, 'models.list', task === undefined ? {} : { task });
        print(
          models,
          () =>
            models
              .map((m) =>
                [
                  `${m.name} (${m.task}): ${m.title}`,
                  ...m.versions.map(
                    (v) =>
                      `  [${v.id}] ${v.version} ${v.state}${
                        Object.keys(v.metrics).length > 0
                          ? `  ${['auc', 'accuracy', 'macroF1', 'ece', 'mae']
                              .filter((k) => v.metrics[k] !== undefined)
                              .map((k) => `${k} ${fmt(v.metrics[k])}`)
                              .join(', ')}`
                          : ''
                      }`,
                  ),
                ].join('\n'),
              )
              .join('\n') || 'No models.',
        );
        return 0;
      }
      case 'get': {
        const detail = await call(core, 'models.get', ref(need(positionals[0], 'a model name or version id')));
        if (values.card) io.out(detail.card);
        else print(detail, () => JSON.stringify(detail.metadata, null, 2));
        return 0;
      }
      case 'promote':
      case 'discard': {
        const versionId = number(need(positionals[0], 'a version id'), 'VERSION_ID', true)!;
        const reason = need(values.reason, '--reason');
        const summary = await call(core, sub === 'promote' ? 'models.promote' : 'models.discard', {
          versionId,
          reason,
        });
        print(summary, () => `${summary.name}: active version ${summary.activeVersionId ?? 'none'}`);
        return 0;
      }
      case 'rollback': {
        const name = need(positionals[0], 'a model name');
        const reason = need(values.reason, '--reason');
        const to = number(values.to, '--to', true);
        const summary = await call(core, 'models.rollback', {
          name,
          reason,
          ...(to === undefined ? {} : { toVersionId: to }),
        });
        print(summary, () => `${summary.name}: active version ${summary.activeVersionId ?? 'none'}`);
        return 0;
      }
      case 'import': {
        const version = await call(core, 'models.import', { path: resolve(need(positionals[0], 'a bundle folder')) });
        print(version, () => `imported ${version.name} ${version.version} as candidate [${version.id}]`);
        return 0;
      }
      case 'export': {
        const target = need(positionals[0], 'a model name or version id');
        const r = ref(target);
        const versionId = 'versionId' in r ? r.versionId : (await call(core, 'models.get', r)).version.id;
        const quantize = (values.quantize ?? 'none') as 'none' | 'float16' | 'uint8';
        if (!['none', 'float16', 'uint8'].includes(quantize))
          throw new OslerError('invalid-input', `--quantize is float16 or uint8, got "${quantize}"`);
        // The CLI writes where the user asks (the contract keeps UI exports inside the data folder).
        const result = await core.models.exportBundle(
          versionId,
          resolve(need(values.out, '--out DIR')),
          quantize,
          actorOf({ via: 'cli' }),
          values.data === undefined
            ? undefined
            : {
                source: 'path',
                path: resolve(values.data),
                ...(values['text-col'] === undefined ? {} : { textCol: values['text-col'] }),
                ...(values['label-col'] === undefined ? {} : { labelCol: values['label-col'] }),
              },
        );
        print(result, () =>
          [
            `exported to ${result.path}`,
            `weights ${result.bytes} bytes (original ${result.originalBytes})`,
            ...(result.metricChange === null
              ? []
              : [
                  `metric change: ${Object.entries(result.metricChange)
                    .map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(4)}`)
                    .join(', ')}`,
                ]),
          ].join('\n'),
        );
        return 0;
      }
      default:
        throw new OslerError(
          'invalid-input',
          `unknown models command "${sub ?? ''}": list, get, promote, discard, rollback, import, export`,
        );
    }
  });
}

/** `osler train ...`: a new model, or fine-tuning of an existing one, with progress on stderr. */
export async function trainCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommand(argv, {
    task: { type: 'string' },
    data: { type: 'string' },
    val: { type: 'string' },
    name: { type: 'string' },
    'label-task': { type: 'string' },
    'text-col': { type: 'string' },
    'label-col': { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string' },
    'validation-fraction': { type: 'string' },
    'image-size': { type: 'string' },
    'dicom-window': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  });
  let dicomWindow: { center: number; width: number } | undefined;
  if (values['dicom-window'] !== undefined) {
    const m = /^(-?\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(values['dicom-window']);
    if (m === null) throw new OslerError('invalid-input', '--dicom-window is CENTER/WIDTH, e.g. 40/80');
    dicomWindow = { center: Number(m[1]), width: Number(m[2]) };
  }
  const task = values.task === undefined ? undefined : modelTaskSchema.parse(values.task);
  const pathSource = (path: string) => ({
    source: 'path' as const,
    path: resolve(path),
    ...(values['text-col'] === undefined ? {} : { textCol: values['text-col'] }),
    ...(values['label-col'] === undefined ? {} : { labelCol: values['label-col'] }),
  });
  let data;
  if (values['label-task'] !== undefined) data = { source: 'store' as const, labelTask: values['label-task'] };
  else if (values.data !== undefined) data = pathSource(values.data);
  else throw new OslerError('invalid-input', 'train needs --data PATH or --label-task T');
  const name = values.name ?? (task === undefined ? undefined : `${task}-model`);
  if (name === undefined) throw new OslerError('invalid-input', 'train needs --task (and --name to fine-tune a model)');
  const settings = {
    ...(values.epochs === undefined ? {} : { epochs: number(values.epochs, '--epochs', true)! }),
    ...(values['batch-size'] === undefined ? {} : { batchSize: number(values['batch-size'], '--batch-size', true)! }),
    ...(values['learning-rate'] === undefined
      ? {}
      : { learningRate: number(values['learning-rate'], '--learning-rate')! }),
    ...(values.seed === undefined ? {} : { seed: number(values.seed, '--seed', true)! }),
    ...(values['validation-fraction'] === undefined
      ? {}
      : { validationFraction: number(values['validation-fraction'], '--validation-fraction')! }),
    ...(values['image-size'] === undefined ? {} : { imageSize: number(values['image-size'], '--image-size', true)! }),
    ...(dicomWindow === undefined ? {} : { dicomWindow }),
  };
  return withCore(values.home, async (core) => {
    let runId = -1;
    const finished = new Promise<void>((resolveDone) => {
      const off = core.on('models.trainingProgress', (p) => {
        if (p.runId !== runId && runId !== -1) return;
        if (
          !values.quiet &&
          (p.phase === 'epoch' || p.phase === 'preparing' || p.phase === 'evaluating' || p.phase === 'saving')
        )
          io.err(
            p.phase === 'epoch'
              ? `  epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} ${Object.entries(p.metrics)
                  .map(([k, v]) => `${k} ${v.toFixed(3)}`)
                  .join(' ')} (${Math.round(p.samplesPerSec)} samples/s, ETA ${Math.round(p.etaMs / 1000)} s)`
              : `  ${p.phase}${p.message === null ? '' : `: ${p.message}`}`,
          );
        if (p.phase === 'done' || p.phase === 'failed' || p.phase === 'cancelled') {
          off();
          resolveDone();
        }
      });
    });
    const run = await call(core, 'models.train', {
      name,
      ...(task === undefined ? {} : { task }),
      data,
      ...(values.val === undefined ? {} : { validation: pathSource(values.val) }),
      settings,
    });
    runId = run.id;
    await finished;
    const [final] = await call(core, 'models.runs', { name, limit: 1 });
    const outcome = final ?? run;
    if (values.json) io.out(JSON.stringify(outcome, null, 2));
    else if (outcome.status === 'succeeded') {
      const metrics = (outcome.metrics as { final?: Record<string, unknown> } | null)?.final ?? {};
      io.out(`trained ${name}: candidate version id ${outcome.versionId}`);
      for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') io.out(`  ${k}: ${fmt(v)}`);
    } else io.err(`training ${outcome.status}: ${outcome.error ?? ''}`);
    return outcome.status === 'succeeded' ? 0 : 1;
  });
}

/** `osler predict --model M --input PATH`. */
export async function predictCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommand(argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    'text-col': { type: 'string' },
  });
  if (values.model === undefined || values.input === undefined)
    throw new OslerError('invalid-input', 'predict needs --model NAME|VERSION_ID|DIR and --input PATH');
  const input = values.input;
  return withCore(values.home, async (core) => {
    const models = core.models;
    const version = models.resolveCli(values.model!);
    const predictions = await models.predictPath(
      version,
      input,
      values['text-col'] === undefined ? {} : { textCol: values['text-col'] },
    );
    const out = { model: version.name, version: version.version, predictions };
    if (values.json) io.out(JSON.stringify(out, null, 2));
    else
      for (const p of predictions)
        io.out(
          p.values !== null
            ? `${p.id}: ${p.values.map((v) => `${fmt(v.mean)} [${fmt(v.low)}, ${fmt(v.high)}]`).join('; ')}`
            : `${p.id}: ${p.predicted} (${fmt(Math.max(...(p.probabilities ?? [0])))})`,
        );
    return 0;
  });
}

/** `osler evaluate --model M --data PATH`. */
export async function evaluateCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommand(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    'text-col': { type: 'string' },
    'label-col': { type: 'string' },
  });
  if (values.model === undefined || values.data === undefined)
    throw new OslerError('invalid-input', 'evaluate needs --model NAME|VERSION_ID|DIR and --data PATH');
  const data = {
    source: 'path' as const,
    path: resolve(values.data),
    ...(values['text-col'] === undefined ? {} : { textCol: values['text-col'] }),
    ...(values['label-col'] === undefined ? {} : { labelCol: values['label-col'] }),
  };
  return withCore(values.home, async (core) => {
    const models = core.models;
    const version = models.resolveCli(values.model!);
    const set = await models.loadData(models.metadataOf(version), data);
    const evaluation = await models.evaluateSet(version, set);
    const out = {
      model: version.name,
      version: version.version,
      ...evaluation.summary,
      skipped: set.skipped.length,
      report: evaluation.report,
    };
    if (values.json) io.out(JSON.stringify(out, null, 2));
    else {
      io.out(`${version.name} ${version.version} on ${values.data}:`);
      for (const [k, v] of Object.entries(evaluation.summary)) io.out(`  ${k}: ${fmt(v)}`);
      if (set.skipped.length > 0) io.out(`  (${set.skipped.length} item(s) skipped)`);
    }
    return 0;
  });
}

/** Where shipped starter bundles live in the package. */
export function starterDir(name: string): string {
  return resolve(packageRoot(import.meta.url), 'resources', 'models', name);
}

/**
 * `osler train-starter NAME --data ROOT`: reproduces a shipped starter model from the public data
 * with a fixed seed, writing its bundle (default: the package's `resources/models/NAME`).
 */
export async function trainStarterCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    data: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  });
  const { STARTER_RECIPES } = await import('../../ml/starter/index.js');
  const name = positionals[0];
  const recipe = name === undefined ? undefined : STARTER_RECIPES[name];
  if (recipe === undefined)
    throw new OslerError('invalid-input', `train-starter needs one of: ${Object.keys(STARTER_RECIPES).join(', ')}`);
  if (values.data === undefined)
    throw new OslerError('invalid-input', 'train-starter needs --data DATA_ROOT (e.g. ../shared/data)');
  const dataRoot = resolve(values.data);
  if (!existsSync(resolve(dataRoot, recipe.dataPath)))
    throw new OslerError('not-found', `no ${recipe.dataPath} under ${dataRoot}`);
  const outDir = resolve(values.out ?? starterDir(recipe.name));
  const { EngineClient } = await import('../../ml/engine/client.js');
  const engine = await EngineClient.start();
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  try {
    const metadata = await recipe.train({
      dataRoot,
      outDir,
      engine,
      seed: number(values.seed, '--seed', true) ?? 1,
      log: (line) => {
        if (!values.quiet) io.err(`  ${line}`);
      },
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const out = {
      name: metadata.name,
      version: metadata.version,
      outDir,
      backend: engine.backend.name,
      wallSeconds,
      mainThreadCpuSeconds: (cpu.user + cpu.system) / 1e6,
      metrics: metadata.metrics,
      temperature: metadata.temperature,
    };
    if (values.json) io.out(JSON.stringify(out, null, 2));
    else {
      io.out(
        `${metadata.name} ${metadata.version} written to ${outDir} in ${wallSeconds.toFixed(0)} s (${engine.backend.name})`,
      );
      for (const [k, v] of Object.entries(metadata.metrics))
        io.out(`  ${k}: ${typeof v === 'number' ? fmt(v) : JSON.stringify(v)}`);
    }
    return 0;
  } finally {
    await engine.close();
  }
}
