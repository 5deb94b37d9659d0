import * as tf from '@tensorflow/tfjs';
import {
  getKernel,
  registerKernel,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { aliasRows, allocate, callWasmKernel, release, releaseAlias, type WasmBackend } from './wasmBackend.js';

/**
 * A whole LSTM sequence as two kernels (forward, backward) instead of ~15 small ops per time step
 * and ~30 more per step in the gradient: tfjs's LSTM layer issued ~18,000 kernel calls per training
 * batch of the text model (Embedding-LSTM64, 128 steps, batch 32) and spent most of its
 * time in call overhead. Here the only per-step work is one matrix product (XNNPACK on wasm) and
 * one fused pass over the gates; the input projection and the weight gradients are single large
 * products over all time steps, done outside by ordinary tfjs ops.
 *
 * Layout is time-major: `xz` [T, B, 4H] = x·W + b for every step, gate order i, f, c, o (Keras).
 */
const LSTM_FORWARD = 'OslerLstmForward';
/** Gradient kernel of {@link LSTM_FORWARD}: pre-activation gradients dz [T, B, 4H]. */
const LSTM_BACKWARD = 'OslerLstmBackward';

/** Gate activation: the logistic sigmoid (PyTorch, Keras 3) or tfjs/Keras 2's piecewise-linear one. */
export type RecurrentActivation = 'sigmoid' | 'hardSigmoid';

interface LstmAttrs {
  recurrentActivation: RecurrentActivation;
}

/**
 * One step back: from dh (output gradient + recurrent gradient) and the carried dc, writes the
 * step's pre-activation gradients dz and updates dc for the step before.
 */
function backwardStep(
  hard: boolean,
  B: number,
  H: number,
  dhs: Float32Array,
  dhsOff: number,
  rec: Float32Array | null,
  recOff: number,
  dcNext: Float32Array,
  g: Float32Array,
  gOff: number,
  c: Float32Array,
  cPrevOff: number,
  tc: Float32Array,
  tcOff: number,
  dz: Float32Array,
  dzOff: number,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const cell = b * H;
    for (let j = 0; j < H; j++) {
      const r = row + j;
      const k = cell + j;
      const dh = dhs[dhsOff + k]! + (rec !== null ? rec[recOff + k]! : 0);
      const i = g[gOff + r]!;
      const f = g[gOff + r + H]!;
      const cc = g[gOff + r + 2 * H]!;
      const o = g[gOff + r + 3 * H]!;
      const t = tc[tcOff + k]!;
      const dc = dcNext[k]! + dh * o * (1 - t * t);
      const cp = cPrevOff >= 0 ? c[cPrevOff + k]! : 0;
      let si: number, sf: number, so: number;
      if (hard) {
        si = i > 0 && i < 1 ? 0.2 : 0;
        sf = f > 0 && f < 1 ? 0.2 : 0;
        so = o > 0 && o < 1 ? 0.2 : 0;
      } else {
        si = i * (1 - i);
        sf = f * (1 - f);
        so = o * (1 - o);
      }
      dz[dzOff + r] = dc * cc * si;
      dz[dzOff + r + H] = dc * cp * sf;
      dz[dzOff + r + 2 * H] = dc * i * (1 - cc * cc);
      dz[dzOff + r + 3 * H] = dh * t * so;
      dcNext[k] = dc * f;
    }
  }
}

function dims(xz: TensorInfo): { T: number; B: number; H: number } {
  const [T, B, G] = xz.shape as [number, number, number];
  if (xz.shape.length !== 3 || G % 4 !== 0)
    throw new Error(`${LSTM_FORWARD}: xz must be [T, B, 4H], got [${xz.shape}]`);
  return { T, B, H: G / 4 };
}

function floatOffset(backend: WasmBackend, t: TensorInfo): number {
  return backend.getMemoryOffset(t.dataId) / 4;
}

function heap(backend: WasmBackend): Float32Array {
  return (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
}

/**
 * Forward step, part 1 (both backends; `m` is the wasm heap or the cpu arena): zs = xz_t + h_{t-1}·U
 * with the candidate block doubled, so that one vectorised Sigmoid call (XNNPACK; the wasm Tanh kernel is a scalar loop ~10x slower, and
 * Math.exp/tanh cost ~15 ns each) yields every gate: tanh(x) = 2·sigmoid(2x) - 1.
 */
function preActivation(B: number, H: number, m: Float32Array, xzO: number, zO: number, zsO: number): void {
  const n = 4 * B * H;
  if (zO >= 0) for (let r = 0; r < n; r++) m[zsO + r] = m[xzO + r]! + m[zO + r]!;
  else m.copyWithin(zsO, xzO, xzO + n);
  for (let b = 0; b < B; b++) {
    const c0 = zsO + b * 4 * H + 2 * H;
    for (let j = 0; j < H; j++) m[c0 + j]! *= 2;
  }
}

/** Part 2: gates from the sigmoids, the new cell state, and 2c for the second Sigmoid call. */
function cellStep(
  hard: boolean,
  B: number,
  H: number,
  m: Float32Array,
  zsO: number,
  sO: number,
  cPrevO: number,
  cO: number,
  gO: number,
  c2O: number,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const cell = b * H;
    for (let j = 0; j < H; j++) {
      const r = row + j;
      let i: number, f: number, o: number;
      if (hard) {
        i = Math.min(1, Math.max(0, 0.2 * m[zsO + r]! + 0.5));
        f = Math.min(1, Math.max(0, 0.2 * m[zsO + r + H]! + 0.5));
        o = Math.min(1, Math.max(0, 0.2 * m[zsO + r + 3 * H]! + 0.5));
      } else {
        i = m[sO + r]!;
        f = m[sO + r + H]!;
        o = m[sO + r + 3 * H]!;
      }
      const cc = 2 * m[sO + r + 2 * H]! - 1;
      const cn = (cPrevO >= 0 ? f * m[cPrevO + cell + j]! : 0) + i * cc;
      m[gO + r] = i;
      m[gO + r + H] = f;
      m[gO + r + 2 * H] = cc;
      m[gO + r + 3 * H] = o;
      m[cO + cell + j] = cn;
      m[c2O + cell + j] = 2 * cn;
    }
  }
}

/** Part 3: tanh(c) from sigmoid(2c), and h = o·tanh(c). */
function hiddenStep(B: number, H: number, m: Float32Array, s2O: number, gO: number, tcO: number, hO: number): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const t = 2 * m[s2O + k]! - 1;
      m[tcO + k] = t;
      m[hO + k] = m[gO + b * G + 3 * H + j]! * t;
    }
  }
}

function wasmForward(args: { inputs: { xz: TensorInfo; u: TensorInfo }; backend: WasmBackend; attrs: LstmAttrs }) {
  const { inputs, backend, attrs } = args;
  const { xz, u } = inputs;
  const { T, B, H } = dims(xz);
  const hard = attrs.recurrentActivation === 'hardSigmoid';
  const hs = allocate(backend, [T, B, H]);
  const cs = allocate(backend, [T, B, H]);
  const tc = allocate(backend, [T, B, H]);
  const gates = allocate(backend, [T, B, 4 * H]);
  const zs = allocate(backend, [B, 4 * H]);
  const c2 = allocate(backend, [B, H]);
  const [xzO, hsO, csO, tcO, gO, zsO, c2O] = [xz, hs, cs, tc, gates, zs, c2].map((t) => floatOffset(backend, t));
  const S = B * H;
  const sigmoid = (x: TensorInfo): TensorInfo => callWasmKernel(backend, 'Sigmoid', { x }, {});
  try {
    for (let t = 0; t < T; t++) {
      let z: TensorInfo | null = null;
      if (t > 0) {
        const hPrev = aliasRows(backend, hs, (t - 1) * S, [B, H]);
        z = callWasmKernel(backend, 'BatchMatMul', { a: hPrev, b: u }, { transposeA: false, transposeB: false });
        releaseAlias(backend, hPrev);
      }
      // Views are taken after each call: an allocation may have grown (and detached) the heap.
      preActivation(B, H, heap(backend), xzO! + t * 4 * S, z === null ? -1 : floatOffset(backend, z), zsO!);
      if (z !== null) release(backend, z);
      const s = sigmoid(zs);
      cellStep(
        hard,
        B,
        H,
        heap(backend),
        zsO!,
        floatOffset(backend, s),
        t > 0 ? csO! + (t - 1) * S : -1,
        csO! + t * S,
        gO! + t * 4 * S,
        c2O!,
      );
      release(backend, s);
      const s2 = sigmoid(c2);
      hiddenStep(B, H, heap(backend), floatOffset(backend, s2), gO! + t * 4 * S, tcO! + t * S, hsO! + t * S);
      release(backend, s2);
    }
  } finally {
    release(backend, zs);
    release(backend, c2);
  }
  return [hs, cs, tc, gates];
}

function wasmBackward(args: {
  inputs: { dhs: TensorInfo; gates: TensorInfo; cs: TensorInfo; tc: TensorInfo; uT: TensorInfo };
  backend: WasmBackend;
  attrs: LstmAttrs;
}) {
  const { inputs, backend, attrs } = args;
  const { dhs, gates, cs, tc, uT } = inputs;
  const { T, B, H } = dims(gates);
  const hard = attrs.recurrentActivation === 'hardSigmoid';
  const dz = allocate(backend, [T, B, 4 * H]);
  const [dhO, gO, csO, tcO, dzO] = [dhs, gates, cs, tc, dz].map((t) => floatOffset(backend, t)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const S = B * H;
  const dcNext = new Float32Array(S);
  for (let t = T - 1; t >= 0; t--) {
    let rec: TensorInfo | null = null;
    if (t < T - 1) {
      const dzNext = aliasRows(backend, dz, (t + 1) * 4 * S, [B, 4 * H]);
      rec = callWasmKernel(backend, 'BatchMatMul', { a: dzNext, b: uT }, { transposeA: false, transposeB: false });
      releaseAlias(backend, dzNext);
    }
    const m = heap(backend);
    backwardStep(
      hard,
      B,
      H,
      m,
      dhO + t * S,
      rec === null ? null : m,
      rec === null ? 0 : floatOffset(backend, rec),
      dcNext,
      m,
      gO + t * 4 * S,
      m,
      t > 0 ? csO + (t - 1) * S : -1,
      m,
      tcO + t * S,
      m,
      dzO + t * 4 * S,
    );
    if (rec !== null) release(backend, rec);
  }
  return dz;
}

/** The part of a tfjs backend the portable kernels use (cpu, tfjs-node). */
interface PortableBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

function readF32(backend: PortableBackend, t: TensorInfo): Float32Array {
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/** out[m x n] (from outOff) = a[m x k] (from aOff) · b[k x n]. */
function matMulInto(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  out: Float32Array,
  outOff: number,
  m: number,
  k: number,
  n: number,
) {
  out.fill(0, outOff, outOff + m * n);
  for (let r = 0; r < m; r++) {
    const o = outOff + r * n;
    for (let q = 0; q < k; q++) {
      const s = a[aOff + r * k + q]!;
      if (s === 0) continue;
      const bo = q * n;
      for (let j = 0; j < n; j++) out[o + j]! += s * b[bo + j]!;
    }
  }
}

/** dst[i] = sigmoid(src[i]) for `n` values of `m` (the cpu stand-in for the wasm Sigmoid call). */
function sigmoidInto(m: Float32Array, src: number, dst: number, n: number): void {
  for (let i = 0; i < n; i++) m[dst + i] = 1 / (1 + Math.exp(-m[src + i]!));
}

function portableForward(args: {
  inputs: { xz: TensorInfo; u: TensorInfo };
  backend: PortableBackend;
  attrs: LstmAttrs;
}) {
  const { inputs, backend, attrs } = args;
  const { T, B, H } = dims(inputs.xz);
  const hard = attrs.recurrentActivation === 'hardSigmoid';
  const u = readF32(backend, inputs.u);
  const S = B * H;
  // One arena laid out like the wasm heap, so both backends run the same three step functions.
  const sizes = {
    xz: T * 4 * S,
    hs: T * S,
    cs: T * S,
    tc: T * S,
    g: T * 4 * S,
    z: 4 * S,
    zs: 4 * S,
    s: 4 * S,
    c2: S,
    s2: S,
  };
  const at: Record<keyof typeof sizes, number> = { ...sizes };
  let total = 0;
  for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
    at[key] = total;
    total += sizes[key];
  }
  const m = new Float32Array(total);
  m.set(readF32(backend, inputs.xz), at.xz);
  for (let t = 0; t < T; t++) {
    if (t > 0) matMulInto(m, at.hs + (t - 1) * S, u, m, at.z, B, H, 4 * H);
    preActivation(B, H, m, at.xz + t * 4 * S, t > 0 ? at.z : -1, at.zs);
    sigmoidInto(m, at.zs, at.s, 4 * S);
    cellStep(hard, B, H, m, at.zs, at.s, t > 0 ? at.cs + (t - 1) * S : -1, at.cs + t * S, at.g + t * 4 * S, at.c2);
    sigmoidInto(m, at.c2, at.s2, S);
    hiddenStep(B, H, m, at.s2, at.g + t * 4 * S, at.tc + t * S, at.hs + t * S);
  }
  const out = (key: keyof typeof sizes, shape: number[]) =>
    backend.makeTensorInfo(shape, 'float32', m.slice(at[key], at[key] + sizes[key]));
  return [out('hs', [T, B, H]), out('cs', [T, B, H]), out('tc', [T, B, H]), out('g', [T, B, 4 * H])];
}

function portableBackward(args: {
  inputs: { dhs: TensorInfo; gates: TensorInfo; cs: TensorInfo; tc: TensorInfo; uT: TensorInfo };
  backend: PortableBackend;
  attrs: LstmAttrs;
}) {
  const { inputs, backend, attrs } = args;
  const { T, B, H } = dims(inputs.gates);
  const hard = attrs.recurrentActivation === 'hardSigmoid';
  const [dhs, g, cs, tc, uT] = [inputs.dhs, inputs.gates, inputs.cs, inputs.tc, inputs.uT].map((t) =>
    readF32(backend, t),
  ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const S = B * H;
  const dz = new Float32Array(T * 4 * S);
  const rec = new Float32Array(S);
  const dcNext = new Float32Array(S);
  for (let t = T - 1; t >= 0; t--) {
    if (t < T - 1) matMulInto(dz, (t + 1) * 4 * S, uT, rec, 0, B, 4 * H, H);
    backwardStep(
      hard,
      B,
      H,
      dhs,
      t * S,
      t < T - 1 ? rec : null,
      0,
      dcNext,
      g,
      t * 4 * S,
      cs,
      t > 0 ? (t - 1) * S : -1,
      tc,
      t * S,
      dz,
      t * 4 * S,
    );
  }
  return backend.makeTensorInfo([T, B, 4 * H], 'float32', dz);
}

/** Kernel configs: XNNPACK-backed on wasm, plain typed-array loops on cpu and tfjs-node. */
const LSTM_KERNELS: readonly KernelConfig[] = [
  { kernelName: LSTM_FORWARD, backendName: 'wasm', kernelFunc: wasmForward as unknown as KernelFunc },
  { kernelName: LSTM_BACKWARD, backendName: 'wasm', kernelFunc: wasmBackward as unknown as KernelFunc },
  ...['cpu', 'tensorflow'].flatMap((backendName) => [
    { kernelName: LSTM_FORWARD, backendName, kernelFunc: portableForward as unknown as KernelFunc },
    { kernelName: LSTM_BACKWARD, backendName, kernelFunc: portableBackward as unknown as KernelFunc },
  ]),
];

let lstmRegistered = false;

/** Registers the LSTM kernels for every backend Osler selects. Idempotent. */
export function registerLstmKernels(): void {
  if (lstmRegistered) return;
  lstmRegistered = true;
  for (const config of LSTM_KERNELS) {
    if (getKernel(config.kernelName, config.backendName) === undefined) registerKernel(config);
  }
}

/**
 * Runs an LSTM over a whole sequence from zero state and returns every hidden state [T, B, H].
 * `xz` [T, B, 4H] is the input projection x·W + b per step; `u` [H, 4H] the recurrent kernel.
 * Differentiable in both: d xz is the kernel's dz, d u = Σ_t h_{t-1}ᵀ · dz_t as one product.
 */
export function lstmSequence(xz: tf.Tensor3D, u: tf.Tensor2D, recurrentActivation: RecurrentActivation): tf.Tensor3D {
  registerLstmKernels();
  const attrs = { recurrentActivation };
  const forward = (xzIn: tf.Tensor, uIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const [hs, cs, tc, gates] = tf
      .engine()
      .runKernel(LSTM_FORWARD, { xz: xzIn, u: uIn }, attrs as never) as tf.Tensor[];
    save([hs!, cs!, tc!, gates!, uIn]);
    return {
      value: hs!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hsS, csS, tcS, gatesS, uS] = saved as [tf.Tensor3D, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor2D];
        const [T, B, H] = hsS.shape;
        const uT = tf.transpose(uS);
        const dz = tf
          .engine()
          .runKernel(LSTM_BACKWARD, { dhs: dy, gates: gatesS, cs: csS, tc: tcS, uT }, attrs as never) as tf.Tensor3D;
        const hPrev =
          T > 1 ? tf.concat([tf.zeros([1, B, H]), tf.slice(hsS, [0, 0, 0], [T - 1, B, H])], 0) : tf.zeros([1, B, H]);
        const du = tf.matMul(hPrev.reshape([T * B, H]), dz.reshape([T * B, 4 * H]), true, false);
        return [dz, du];
      },
    };
  };
  return tf.customGrad(forward as never)(xz, u) as tf.Tensor3D;
}
