import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { cpuBridgedKernel } from './cpuBridge.js';
import { unsortedSegmentSumConfig } from './unsortedSegmentSum.js';

/** Kernels tfjs-backend-wasm 4.22 lacks that training needs, with how each is provided. */
export const WASM_EXTRA_KERNELS: readonly { config: KernelConfig; how: 'native' | 'cpu-bridge' }[] = [
  { config: conv2DBackpropFilterConfig, how: 'native' },
  { config: unsortedSegmentSumConfig, how: 'native' },
  { config: cpuBridgedKernel('DepthwiseConv2dNativeBackpropFilter'), how: 'cpu-bridge' },
  { config: cpuBridgedKernel('DepthwiseConv2dNativeBackpropInput'), how: 'cpu-bridge' },
  { config: cpuBridgedKernel('Einsum'), how: 'cpu-bridge' },
];

/**
 * Registers the missing training kernels for the wasm backend. Idempotent; never replaces a kernel
 * a newer tfjs-backend-wasm provides itself. Returns the names registered by this call.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const { config } of WASM_EXTRA_KERNELS) {
    if (getKernel(config.kernelName, 'wasm') !== undefined) continue;
    registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
