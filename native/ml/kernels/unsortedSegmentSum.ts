import {
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs';
import type { WasmBackend } from './wasmBackend.js';

/**
 * out[s, ...] = sum of x[i, ...] over i with segmentIds[i] == s. Ids outside [0, numSegments) are
 * dropped, as in TensorFlow. One pass over x (O(size of x)), where the cpu backend builds one mask
 * per segment (O(numSegments * size of x)) — with a 5000-word vocabulary that difference is the
 * embedding gradient's whole cost.
 */
function checkShapes(x: TensorInfo, segmentIds: TensorInfo, backendName: string): void {
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(
      `UnsortedSegmentSum (${backendName}) needs 1-D segmentIds matching x's first dimension, got ${JSON.stringify(segmentIds.shape)} for x ${JSON.stringify(x.shape)}`,
    );
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32')
    throw new Error(`UnsortedSegmentSum (${backendName}): unsupported dtype ${x.dtype}`);
}

function accumulate(
  xv: ArrayLike<number>,
  ids: ArrayLike<number>,
  ov: Float32Array | Int32Array,
  inner: number,
  numSegments: number,
): void {
  ov.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) ov[dst + j]! += xv[src + j]!;
  }
}

function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: WasmBackend;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  checkShapes(x, segmentIds, 'wasm');
  const inner = util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([attrs.numSegments, ...x.shape.slice(1)], x.dtype);
  const ov = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  accumulate(xv, ids, ov, inner, attrs.numSegments);
  return out;
}

interface CpuBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array | Int32Array): TensorInfo;
}

function unsortedSegmentSumCpu(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: CpuBackend;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  checkShapes(x, segmentIds, 'cpu');
  const inner = util.sizeFromShape(x.shape.slice(1));
  const outShape = [attrs.numSegments, ...x.shape.slice(1)];
  const ov =
    x.dtype === 'int32' ? new Int32Array(util.sizeFromShape(outShape)) : new Float32Array(util.sizeFromShape(outShape));
  accumulate(
    backend.readSync(x.dataId) as ArrayLike<number>,
    backend.readSync(segmentIds.dataId) as ArrayLike<number>,
    ov,
    inner,
    attrs.numSegments,
  );
  return backend.makeTensorInfo(outShape, x.dtype, ov);
}

/**
 * UnsortedSegmentSum for the cpu backend (the last-resort backend): the stock kernel's mask per
 * segment made one training step of a 5000-word text model take ~20 s.
 */
export const unsortedSegmentSumCpuConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: unsortedSegmentSumCpu as unknown as KernelFunc,
};

/** UnsortedSegmentSum for the wasm backend (missing from tfjs-backend-wasm 4.22; the gradient of Gather). */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
