import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  Slice,
  type SliceAttrs,
  slice_util,
  SplitV,
  type SplitVAttrs,
  type TensorInfo,
  Unpack,
  type UnpackAttrs,
  util,
} from '@tensorflow/tfjs';
import type { WasmBackend } from './wasmBackend.js';

type Numeric = Float32Array | Int32Array | Uint8Array;

/**
 * Copies x[begin : begin + size] out of the wasm heap through views. tfjs-backend-wasm 4.22's
 * Slice starts with `readSync(x)`, a copy of the whole input, so unstacking a [128, 32, 64] LSTM
 * input (128 slices) copied it 128 times: 137 ms instead of well under 1 ms.
 */
export function sliceHeap(backend: WasmBackend, x: TensorInfo, beginIn: number[], sizeIn: number[]): TensorInfo {
  const [begin, size] = slice_util.parseSliceParams(x as never, beginIn, sizeIn) as [number[], number[]];
  const out = backend.makeOutput(size, x.dtype);
  const total = util.sizeFromShape(size);
  if (total === 0) return out;
  const xv = backend.typedArrayFromHeap(x) as Numeric;
  const ov = backend.typedArrayFromHeap(out) as Numeric;
  const rank = size.length;
  if (rank === 0) {
    ov[0] = xv[0]!;
    return out;
  }
  const strides = util.computeStrides(x.shape);
  // Merge trailing dimensions taken whole into one contiguous run.
  let run = size[rank - 1]!;
  let lead = rank - 1;
  while (lead > 0 && size[lead] === x.shape[lead] && begin[lead] === 0) {
    run = size[lead - 1]! * (strides[lead - 1] ?? 1);
    lead--;
  }
  if (lead === 0 && size[0] === x.shape[0]! && begin[0] === 0) {
    ov.set(xv.subarray(0, total));
    return out;
  }
  // Odometer over dimensions 0..lead-1; each step copies `run` contiguous elements.
  const index = new Array<number>(lead).fill(0);
  let dst = 0;
  for (;;) {
    let src = begin[lead]! * (lead < rank - 1 ? strides[lead]! : 1);
    for (let d = 0; d < lead; d++) src += (begin[d]! + index[d]!) * strides[d]!;
    if (run < 16) for (let k = 0; k < run; k++) ov[dst + k] = xv[src + k]!;
    else ov.set(xv.subarray(src, src + run), dst);
    dst += run;
    let d = lead - 1;
    while (d >= 0 && ++index[d]! === size[d]) index[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

function assertNumeric(x: TensorInfo, kernel: string): void {
  if (x.dtype === 'string') throw new Error(`${kernel} (wasm, Osler): string tensors are not supported`);
}

function sliceKernel(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SliceAttrs }): TensorInfo {
  assertNumeric(args.inputs.x, 'Slice');
  const begin = typeof args.attrs.begin === 'number' ? [args.attrs.begin] : args.attrs.begin;
  const size = typeof args.attrs.size === 'number' ? [args.attrs.size] : args.attrs.size;
  return sliceHeap(args.backend, args.inputs.x, begin, size);
}

function unpackKernel(args: { inputs: { value: TensorInfo }; backend: WasmBackend; attrs: UnpackAttrs }): TensorInfo[] {
  const { value } = args.inputs;
  assertNumeric(value, 'Unpack');
  const axis = args.attrs.axis < 0 ? args.attrs.axis + value.shape.length : args.attrs.axis;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = new Array<number>(value.shape.length).fill(0);
  const size = [...value.shape];
  size[axis] = 1;
  return Array.from({ length: value.shape[axis]! }, (_, i) => {
    begin[axis] = i;
    const piece = sliceHeap(args.backend, value, begin, size);
    return { dataId: piece.dataId, dtype: piece.dtype, shape: outShape };
  });
}

function splitVKernel(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SplitVAttrs }): TensorInfo[] {
  const { x } = args.inputs;
  assertNumeric(x, 'SplitV');
  const axis = util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x as never, args.attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const size = [...x.shape];
  return sizes.map((s) => {
    size[axis] = s;
    const piece = sliceHeap(args.backend, x, begin, size);
    begin[axis]! += s;
    return piece;
  });
}

/** Slice reading the heap in place (replaces tfjs-backend-wasm's whole-input copy). */
export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  kernelFunc: sliceKernel as unknown as KernelFunc,
};
/** Unpack (unstack) via {@link sliceHeap}: RNN layers unstack their input over time. */
export const unpackConfig: KernelConfig = {
  kernelName: Unpack,
  backendName: 'wasm',
  kernelFunc: unpackKernel as unknown as KernelFunc,
};
/** SplitV via {@link sliceHeap}: LSTM/GRU cells split their gates every step. */
export const splitVConfig: KernelConfig = {
  kernelName: SplitV,
  backendName: 'wasm',
  kernelFunc: splitVKernel as unknown as KernelFunc,
};
