/**
 * How far temperature scaling can take abstract-condition's calibration on its own validation split: ECE as
 * shipped (decision offsets, then the temperature fitted out of fold), and two oracle bounds that fit on the
 * validation split itself, so no honest fit can beat them: the NLL temperature and the temperature that
 * minimises ECE, each with and without the offsets. And the ECE a perfectly calibrated model would still
 * show on this many abstracts: labels drawn from the shipped probabilities (seeded), mean and 95th percentile.
 *
 *   node --import tsx tests/bench/abstractCalibration.ts [MODEL_DIR]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readBundleMetadata } from '../../native/ml/bundleIo.js';
import { EngineClient } from '../../native/ml/engine/client.js';
import { applyTemperature, expectedCalibrationError, fitTemperature } from '../../native/ml/eval/index.js';
import { seededRandom } from '../../native/ml/random.js';
import { readAbstractCorpus } from '../../native/ml/starter/abstractCondition.js';
import { encodeTexts } from '../../native/ml/tasks/text.js';

const root = join(import.meta.dirname, '..', '..');
const dir = resolve(process.argv[2] ?? join(root, 'resources', 'models', 'abstract-condition'));
const dataRoot = process.env.OSLER_DATA ?? join(root, '..', 'shared', 'data');
const meta = readBundleMetadata(dir);
const k = meta.outputs.length;
const split = JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as { validation: number[] };
const corpus = await readAbstractCorpus(dataRoot);
const labels = Int32Array.from(split.validation.map((i) => corpus.labels[i]!));

const engine = await EngineClient.start();
let raw: Float32Array;
try {
  await engine.load({ modelId: 'calibration', dir });
  const x = encodeTexts(
    meta,
    split.validation.map((i) => corpus.texts[i]!),
  );
  raw = (await engine.predict({ modelId: 'calibration', x, batchSize: 256 }).result).y.values as Float32Array;
} finally {
  await engine.close();
}

const offsets = meta.classOffsets;
const ece = (probs: Float32Array) => expectedCalibrationError(probs, labels, k).ece;
const out = (name: string, value: number, note: string) => console.log(`${name}: ${value.toFixed(3)} ${note}`);
const shipped = applyTemperature(raw, k, meta.temperature, offsets);
console.log(`abstract.calibration.n: ${labels.length} validation abstracts`);
out('abstract.calibration.ece_shipped', ece(shipped), `(offsets, T ${meta.temperature.toFixed(3)} fitted out of fold)`);
out('abstract.calibration.ece_raw', ece(raw), '(the network alone: no offsets, no temperature)');
const grid = Array.from({ length: 271 }, (_, i) => 0.3 + i * 0.01);
for (const [label, offs] of [
  ['no_offsets', undefined],
  ['offsets', offsets],
] as const) {
  const shifted = applyTemperature(raw, k, 1, offs);
  const t = fitTemperature(shifted, labels, k);
  out(
    `abstract.calibration.oracle_nll_t.${label}`,
    ece(applyTemperature(raw, k, t, offs)),
    `(T ${t.toFixed(3)} fitted on validation)`,
  );
  const best = grid.reduce(
    (b, temperature) => {
      const e = ece(applyTemperature(raw, k, temperature, offs));
      return e < b.e ? { e, temperature } : b;
    },
    { e: Number.POSITIVE_INFINITY, temperature: 1 },
  );
  out(
    `abstract.calibration.oracle_min_ece.${label}`,
    best.e,
    `(T ${best.temperature.toFixed(2)}, the lowest ECE any temperature reaches)`,
  );
}
// A perfectly calibrated model's ECE on this many items is not 0: draw labels from its own probabilities.
const random = seededRandom(7);
const draws: number[] = [];
for (let r = 0; r < 500; r++) {
  const drawn = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let u = random();
    let c = 0;
    while (c < k - 1 && u >= shipped[i * k + c]!) u -= shipped[i * k + c++]!;
    drawn[i] = c;
  }
  draws.push(expectedCalibrationError(shipped, drawn, k).ece);
}
draws.sort((a, b) => a - b);
out(
  'abstract.calibration.ece_floor_mean',
  draws.reduce((a, b) => a + b, 0) / draws.length,
  '(perfectly calibrated, same n, 500 draws)',
);
out('abstract.calibration.ece_floor_p95', draws[Math.floor(0.95 * draws.length)]!, '(95th percentile of those draws)');
