// ML benchmarks: `node --import tsx tests/bench/ml.bench.ts`. Prints `name: value unit` lines.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../native/ml/backend.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeMs(fn: () => void, repeats: number): Promise<number> {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function print(name: string, value: number, unit: string): void {
  console.log(`${name}: ${value.toFixed(value >= 100 ? 0 : 2)} ${unit}`);
}

/** Conv2DBackpropFilter on the two convolutions of the 64x64 benchmark CNN, batch 32. */
async function benchBackpropFilter(): Promise<void> {
  const cases = [
    { name: 'conv1', x: [32, 64, 64, 1], f: [3, 3, 1, 16] },
    { name: 'conv2', x: [32, 32, 32, 16], f: [3, 3, 16, 32] },
  ] as const;
  for (const c of cases) {
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const x = tf.randomNormal([...c.x]);
      const dy = tf.randomNormal([c.x[0], c.x[1], c.x[2], c.f[3]]);
      const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [...c.f] };
      const ms = await timeMs(() => {
        const out = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
        out.dataSync();
        out.dispose();
      }, backend === 'cpu' ? 2 : 5);
      print(`ml.kernel.conv2d_backprop_filter.${c.name}.${backend}_ms`, ms, 'ms');
      tf.dispose([x, dy]);
    }
  }
}

function tinyCnn(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [64, 64, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
}

/** Training and inference samples/s of the 64x64 CNN (conv16-pool-conv32-pool-dense), batch 32. */
async function benchCnn(): Promise<void> {
  for (const backend of ['wasm', 'cpu'] as const) {
    await tf.setBackend(backend);
    const model = tinyCnn();
    const xs = tf.randomNormal([32, 64, 64, 1]);
    const ys = tf.oneHot(tf.randomUniform([32], 0, 2, 'int32') as tf.Tensor1D, 2);
    const steps = backend === 'cpu' ? 2 : 5;
    await model.trainOnBatch(xs, ys);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(xs, ys);
    print(`ml.cnn64.${backend}.train_samples_s`, (steps * 32 * 1000) / (performance.now() - t0), 'samples/s');
    const inferMs = await timeMs(() => {
      const y = model.predict(xs) as tf.Tensor;
      y.dataSync();
      y.dispose();
    }, 5);
    print(`ml.cnn64.${backend}.infer_samples_s`, (32 * 1000) / inferMs, 'samples/s');
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

const info = await selectBackend('wasm');
print('ml.backend.wasm_threads', info.threads, 'threads');
const only = process.argv[2];
if (only === undefined || only === 'kernel') await benchBackpropFilter();
if (only === undefined || only === 'cnn') await benchCnn();
