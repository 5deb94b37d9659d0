import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
import { untransposedBatchMatMul } from './batchMatMul.js';
import { rowGather } from './gatherRows.js';
import { sharedIdentity } from './sharedIdentity.js';
import { leadingAxesSum } from './leadingSum.js';
import { registerLstmKernels } from './lstm.js';
import { conv2DBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2DBackpropInputConfig } from './conv2dBackpropInput.js';
import { maxPoolGradConfig } from './maxPoolGrad.js';
import { resizeBilinearGradConfig } from './resizeBilinearGrad.js';
import { sliceConfig, splitVConfig, unpackConfig } from './slice.js';
import { cpuBridgedKernel } from './cpuBridge.js';
import { unsortedSegmentSumConfig, unsortedSegmentSumCpuConfig } from './unsortedSegmentSum.js';

/**
 * Training kernels added to tfjs-backend-wasm 4.22: `missing` ones it lacks, `replace` ones it has
 * but runs as scalar loops far slower than the alternative here (measured in tests/bench/ml.bench.ts),
 * or gets wrong (ResizeBilinearGrad ignores halfPixelCenters).
 * `cpu-bridge` kernels run the cpu backend's implementation on copies of the data.
 */
export const WASM_EXTRA_KERNELS: readonly { config: KernelConfig; how: 'native' | 'cpu-bridge'; replace?: true }[] = [
  { config: conv2DBackpropFilterConfig, how: 'native' },
  { config: conv2DBackpropInputConfig, how: 'native', replace: true },
  { config: maxPoolGradConfig, how: 'native', replace: true },
  { config: resizeBilinearGradConfig, how: 'native', replace: true },
  { config: sliceConfig, how: 'native', replace: true },
  { config: unpackConfig, how: 'native', replace: true },
  { config: splitVConfig, how: 'native', replace: true },
  { config: unsortedSegmentSumConfig, how: 'native' },
  { config: cpuBridgedKernel('DepthwiseConv2dNativeBackpropFilter'), how: 'cpu-bridge' },
  { config: cpuBridgedKernel('DepthwiseConv2dNativeBackpropInput'), how: 'cpu-bridge' },
  { config: cpuBridgedKernel('Einsum'), how: 'cpu-bridge' },
];

const installed = new Set<string>();

/**
 * Registers the training kernels for the wasm backend. Idempotent. A missing kernel that a newer
 * tfjs-backend-wasm provides itself is left alone; a `replace` kernel replaces the stock one.
 * Returns the names registered by this call.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const { config, replace } of WASM_EXTRA_KERNELS) {
    if (installed.has(config.kernelName)) continue;
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing !== undefined && replace !== true) continue;
    if (existing !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
    installed.add(config.kernelName);
    added.push(config.kernelName);
  }
  // Wrapped (rather than replaced) stock kernels, installed from the registered ones: each takes
  // its fast path for the shapes training hits and leaves every other case to the original.
  const wrappers: readonly [string, (original: KernelConfig) => KernelConfig][] = [
    ['BatchMatMul', untransposedBatchMatMul],
    ['GatherV2', rowGather],
    ['Sum', leadingAxesSum],
    ['Identity', sharedIdentity],
  ];
  for (const [name, wrap] of wrappers) {
    const stock = getKernel(name, 'wasm');
    if (stock === undefined || installed.has(name)) continue;
    unregisterKernel(name, 'wasm');
    registerKernel(wrap(stock));
    installed.add(name);
    added.push(name);
  }
  registerLstmKernels();
  return added;
}

let cpuInstalled = false;

/**
 * Registers Osler's kernels for the cpu backend (the last resort when neither tfjs-node nor wasm
 * loads): a one-pass UnsortedSegmentSum (the embedding gradient) and the fused LSTM. Idempotent.
 */
export function registerCpuKernels(): void {
  registerLstmKernels();
  if (cpuInstalled) return;
  const name = unsortedSegmentSumCpuConfig.kernelName;
  if (getKernel(name, 'cpu') !== undefined) unregisterKernel(name, 'cpu');
  registerKernel(unsortedSegmentSumCpuConfig);
  cpuInstalled = true;
}
