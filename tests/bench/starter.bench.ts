// Starter models: `npm run bench -- starter`. Prints each shipped model's validation metrics and
// training time (from its bundle, written by `osler train-starter`), and the baselines the issue
// compares against, computed on the same splits: TF-IDF + logistic regression for abstract-condition
// and gradient-boosted trees for icu-mortality (Debian python3-sklearn), last value carried forward
// for vitals-forecast (recorded by the recipe). Lines are `name: value unit`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const data = process.env.OSLER_DATA ?? join(root, '..', 'shared', 'data');
const models = join(root, 'resources', 'models');
const NAMES = ['chest-xray-pneumonia', 'abstract-condition', 'icu-mortality', 'vitals-forecast'];

function print(name: string, value: number, unit = ''): void {
  console.log(`${name}: ${Number.isInteger(value) ? value : value.toFixed(4)}${unit === '' ? '' : ` ${unit}`}`);
}

function flat(prefix: string, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) print(prefix, value);
  else if (value !== null && typeof value === 'object') {
    const v = value as { value?: unknown; ci95?: unknown };
    if (typeof v.value === 'number' && Array.isArray(v.ci95)) {
      print(prefix, v.value);
      print(`${prefix}_ci95_low`, v.ci95[0] as number);
      print(`${prefix}_ci95_high`, v.ci95[1] as number);
    } else for (const [k, inner] of Object.entries(value)) flat(`${prefix}.${k}`, inner);
  }
}

const python = '/usr/bin/python3';
const sklearn = existsSync(python) && spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

for (const name of NAMES) {
  const file = join(models, name, 'metadata.json');
  if (!existsSync(file)) {
    console.log(`starter.${name}: missing (run osler train-starter ${name} --data ${data})`);
    continue;
  }
  const meta = JSON.parse(readFileSync(file, 'utf8')) as {
    metrics: Record<string, unknown>;
    trainingSeconds?: number;
    temperature: number;
    trainingData: { trainSize: number; validationSize: number };
  };
  flat(`starter.${name}`, meta.metrics);
  print(`starter.${name}.temperature`, meta.temperature);
  print(`starter.${name}.train_n`, meta.trainingData.trainSize);
  print(`starter.${name}.validation_n`, meta.trainingData.validationSize);
  if (meta.trainingSeconds !== undefined) print(`starter.${name}.training_s`, meta.trainingSeconds, 's');
}

if (!sklearn) console.log('starter.baselines: skipped (Debian python3-sklearn not installed)');
else {
  const split = join(models, 'abstract-condition', 'split.json');
  if (existsSync(split)) {
    const run = spawnSync(
      python,
      [
        join(root, 'tests', 'bench', 'baselines', 'abstracts_tfidf_lr.py'),
        '--data',
        join(data, 'text', 'medical-abstracts', 'abstracts.csv'),
        '--split',
        split,
      ],
      { encoding: 'utf8' },
    );
    if (run.status === 0) {
      const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { baseline: Record<string, number> };
      for (const [k, v] of Object.entries(out.baseline))
        if (typeof v === 'number') print(`starter.abstract-condition.baseline_tfidf_lr.${k}`, v);
    } else
      console.log(`starter.abstract-condition.baseline_tfidf_lr: failed (${run.stderr.trim().split('\n').at(-1)})`);
  }
  const icuSplit = join(models, 'icu-mortality', 'split.json');
  if (existsSync(icuSplit)) {
    const run = spawnSync(python, [join(root, 'tests', 'bench', 'baselines', 'physionet_gbt.py'), data, icuSplit], {
      encoding: 'utf8',
    });
    if (run.status === 0)
      for (const line of run.stdout.trim().split('\n'))
        console.log(line.replace(/^physionet\.gbt\./, 'starter.icu-mortality.baseline_gbt.'));
    else console.log(`starter.icu-mortality.baseline_gbt: failed (${run.stderr.trim().split('\n').at(-1)})`);
  }
}
