import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { allocate, callWasmKernel, heapF32, release, type WasmBackend } from './wasmBackend.js';

/** Attributes of Conv2DBackpropInput; `dilations` is an extension tfjs's gradient never passes. */
export type Conv2DBackpropInputKernelAttrs = Conv2DBackpropInputAttrs & { dilations?: [number, number] | number };

/**
 * dx = conv2d(pad(zero-insert(dy, strides)), flip(filter) with in/out swapped), stride 1, same
 * dilation: the transposed convolution written as a plain one so it runs in the wasm backend's
 * XNNPACK Conv2D instead of tfjs-backend-wasm's scalar loop (about 10x slower at 32x32x16).
 * With ih = oh*strideH - padTop + fh*dilationH, dy[oh] lands at row padTop' + oh*strideH of a
 * buffer of H + (FH-1)*dilationH rows, where padTop' = (FH-1)*dilationH - padTop.
 */
function conv2DBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DBackpropInputKernelAttrs;
}): TensorInfo {
  const { backend, attrs } = args;
  const { filter } = args.inputs;
  let { dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const nchw = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsFirst';
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    attrs.dilations ?? 1,
    pad,
    dimRoundingMode,
    false,
    nchw ? 'channelsFirst' : 'channelsLast',
  );
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32')
    throw new Error('Conv2DBackpropInput (wasm) supports float32 only');
  if (nchw) dy = callWasmKernel(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
  const { batchSize: nb, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const {
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    filterHeight: fhN,
    filterWidth: fwN,
  } = info;
  const hp = inHeight + (fhN - 1) * dh;
  const wp = inWidth + (fwN - 1) * dw;
  const top = (fhN - 1) * dh - info.padInfo.top;
  const left = (fwN - 1) * dw - info.padInfo.left;

  const spread = allocate(backend, [nb, hp, wp, outChannels]);
  const flipped = allocate(backend, [fhN, fwN, outChannels, inChannels]);
  const sv = heapF32(backend, spread);
  const dyv = heapF32(backend, dy);
  const fv = heapF32(backend, filter);
  const flv = heapF32(backend, flipped);
  sv.fill(0);
  for (let b = 0; b < nb; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const r = top + oh * sh;
      if (r < 0 || r >= hp) continue;
      for (let ow = 0; ow < outWidth; ow++) {
        const c = left + ow * sw;
        if (c < 0 || c >= wp) continue;
        const src = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        const dst = ((b * hp + r) * wp + c) * outChannels;
        if (outChannels < 16) for (let k = 0; k < outChannels; k++) sv[dst + k] = dyv[src + k]!;
        else sv.set(dyv.subarray(src, src + outChannels), dst);
      }
    }
  }
  for (let fh = 0; fh < fhN; fh++) {
    for (let fw = 0; fw < fwN; fw++) {
      const from = ((fhN - 1 - fh) * fwN + (fwN - 1 - fw)) * inChannels * outChannels;
      const to = (fh * fwN + fw) * outChannels * inChannels;
      for (let ci = 0; ci < inChannels; ci++) {
        for (let co = 0; co < outChannels; co++) flv[to + co * inChannels + ci] = fv[from + ci * outChannels + co]!;
      }
    }
  }
  if (nchw) release(backend, dy);
  let dx = callWasmKernel(backend, 'Conv2D', { x: spread, filter: flipped }, {
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [dh, dw],
    dimRoundingMode: undefined,
  } as never);
  release(backend, spread);
  release(backend, flipped);
  if (nchw) {
    const nhwc = dx;
    dx = callWasmKernel(backend, 'Transpose', { x: nhwc }, { perm: [0, 3, 1, 2] });
    release(backend, nhwc);
  }
  return dx;
}

/** Conv2DBackpropInput for the wasm backend, replacing tfjs-backend-wasm's scalar loop. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
