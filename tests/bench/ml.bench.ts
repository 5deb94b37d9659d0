// ML benchmarks: `node --import tsx tests/bench/ml.bench.ts [kernel|cnn|lstm|lstm-stock|torch]...`.
// Prints `name: value unit` lines. The PyTorch peer runs when /usr/bin/python3 can import torch
// (Debian python3-torch), with 2 threads, on the same architectures and batch sizes.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { selectBackend } from '../../native/ml/backend.js';
import { FusedLstm } from '../../native/ml/models/fusedLstm.js';
import { registerCpuKernels } from '../../native/ml/kernels/index.js';

const BATCH = 32;
const results = new Map<string, number>();

function print(name: string, value: number, unit: string): void {
  results.set(name, value);
  console.log(`${name}: ${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${unit}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(fn: () => void, repeats: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Conv2DBackpropFilter alone on the two convolutions of the 64x64 CNN, batch 32. */
async function benchBackpropFilter(): Promise<void> {
  const cases = [
    { name: 'conv1', x: [BATCH, 64, 64, 1], f: [3, 3, 1, 16] },
    { name: 'conv2', x: [BATCH, 32, 32, 16], f: [3, 3, 16, 32] },
  ] as const;
  for (const c of cases) {
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const x = tf.randomNormal([...c.x]);
      const dy = tf.randomNormal([c.x[0], c.x[1], c.x[2], c.f[3]]);
      const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [...c.f] };
      const ms = timeMs(
        () => {
          const out = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
          out.dataSync();
          out.dispose();
        },
        backend === 'cpu' ? 1 : 7,
      );
      print(`ml.kernel.conv2d_backprop_filter.${c.name}.${backend}_ms`, ms, 'ms');
      tf.dispose([x, dy]);
    }
    print(
      `ml.kernel.conv2d_backprop_filter.${c.name}.speedup_vs_cpu`,
      results.get(`ml.kernel.conv2d_backprop_filter.${c.name}.cpu_ms`)! /
        results.get(`ml.kernel.conv2d_backprop_filter.${c.name}.wasm_ms`)!,
      'x',
    );
  }
}

/** The 64x64 CNN: conv16-pool-conv32-pool-dense. */
function cnn64(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [64, 64, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
  return m;
}

/**
 * The issue's text model: Embedding(5000, 64)-LSTM64-Dense5 at sequence length 128, with the
 * engine's LSTM layer (FusedLstm, sigmoid gates as in PyTorch's nn.LSTM) or, as `lstm128_stock`,
 * tfjs' own tf.layers.lstm for comparison.
 */
function lstm128(stock = false): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: 5000, outputDim: 64, inputLength: 128 }));
  m.add(
    stock
      ? tf.layers.lstm({ units: 64, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' })
      : new FusedLstm({ units: 64 }),
  );
  m.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
  return m;
}

async function benchModel(
  name: string,
  build: () => tf.LayersModel,
  input: () => tf.Tensor,
  backends: readonly ('wasm' | 'cpu')[],
  trainSteps: Record<string, number>,
): Promise<void> {
  for (const backend of backends) {
    await tf.setBackend(backend);
    const model = build();
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const xs = input();
    const ys = tf.oneHot(tf.randomUniform([BATCH], 0, 5, 'int32') as tf.Tensor1D, 5);
    const steps = trainSteps[backend] ?? 3;
    await model.trainOnBatch(xs, ys);
    // Throughput over the whole run, after one warm-up step, as for the PyTorch peer.
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(xs, ys);
    print(`ml.${name}.${backend}.train_samples_s`, (steps * BATCH * 1000) / (performance.now() - t0), 'samples/s');
    const inferMs = timeMs(
      () => {
        const y = model.predict(xs) as tf.Tensor;
        y.dataSync();
        y.dispose();
      },
      backend === 'cpu' ? 2 : 7,
    );
    print(`ml.${name}.${backend}.infer_samples_s`, (BATCH * 1000) / inferMs, 'samples/s');
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

const TORCH_PEER = String.raw`
import time, torch, torch.nn as nn
torch.set_num_threads(2); torch.manual_seed(0)
B = 32
class CNN(nn.Module):
    def __init__(s):
        super().__init__()
        s.f = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16 * 16, 5))
    def forward(s, x): return s.f(x)
class LSTM(nn.Module):
    def __init__(s):
        super().__init__(); s.e = nn.Embedding(5000, 64); s.l = nn.LSTM(64, 64, batch_first=True); s.d = nn.Linear(64, 5)
    def forward(s, x): return s.d(s.l(s.e(x))[0][:, -1])
def bench(name, model, x, steps):
    y = torch.randint(0, 5, (B,)); opt = torch.optim.Adam(model.parameters(), 1e-3); loss = nn.CrossEntropyLoss()
    def step():
        opt.zero_grad(); l = loss(model(x), y); l.backward(); opt.step()
    # Throughput over the whole run (what training gets), after one warm-up step.
    def samples_s(fn):
        t = time.perf_counter()
        for _ in range(steps): fn()
        return steps * B / (time.perf_counter() - t)
    step()
    print(f"ml.{name}.peer_torch_train_samples_s: {samples_s(step):.1f} samples/s")
    with torch.no_grad():
        model(x)
        print(f"ml.{name}.peer_torch_infer_samples_s: {samples_s(lambda: model(x)):.1f} samples/s")
bench("cnn64", CNN(), torch.randn(B, 1, 64, 64), 15)
bench("lstm128", LSTM(), torch.randint(0, 5000, (B, 128)), 15)
print(f"ml.peer_torch.version: {torch.__version__} version")
`;

function benchTorch(): void {
  const run = spawnSync('/usr/bin/python3', ['-c', TORCH_PEER], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) {
    console.log(`ml.peer_torch.available: 0 bool`);
    return;
  }
  for (const line of run.stdout.trim().split('\n')) {
    const m = /^([\w.]+): ([\d.]+) (.+)$/.exec(line);
    if (m === null) continue;
    if (m[3] === 'version') console.log(line);
    else print(m[1]!, Number(m[2]), m[3]!);
  }
  for (const model of ['cnn64', 'lstm128']) {
    for (const kind of ['train', 'infer']) {
      const ours = results.get(`ml.${model}.wasm.${kind}_samples_s`);
      const peer = results.get(`ml.${model}.peer_torch_${kind}_samples_s`);
      if (ours !== undefined && peer !== undefined) print(`ml.${model}.${kind}_ratio_vs_torch`, ours / peer, 'x');
    }
  }
}

const info = await selectBackend('wasm');
// The cpu runs below use the kernels Osler installs when cpu is the selected backend.
registerCpuKernels();
console.log(`ml.backend: ${info.name} (simd ${info.simd}, ${info.threads} thread)`);
const only = new Set(process.argv.slice(2));
const want = (what: string) => only.size === 0 || only.has(what);
if (want('kernel')) await benchBackpropFilter();
// The cpu backend takes ~45 s per CNN training step: one timed step only.
if (want('cnn'))
  await benchModel('cnn64', cnn64, () => tf.randomNormal([BATCH, 64, 64, 1]), ['wasm', 'cpu'], { wasm: 15, cpu: 1 });
const tokens = () => tf.randomUniform([BATCH, 128], 0, 5000, 'int32').toFloat();
if (want('lstm')) await benchModel('lstm128', () => lstm128(), tokens, ['wasm', 'cpu'], { wasm: 15, cpu: 1 });
if (want('lstm-stock')) await benchModel('lstm128_stock', () => lstm128(true), tokens, ['wasm'], { wasm: 3 });
if (want('torch')) benchTorch();
