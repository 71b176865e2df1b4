/**
 * UnsortedSegmentSum for tfjs-backend-wasm, which 4.22 does not ship. tf.gather's gradient is built on it
 * (GatherV2_grad: unsortedSegmentSum of dy by the gathered indices), so without it no model that embeds tokens
 * with gather can be trained on wasm ("Cannot find registered kernel 'UnsortedSegmentSum' for backend 'wasm'").
 * The baselines need it for the token embedding and the memory keys (memory-layer.ts, lookupGradient). It is
 * the only kernel their backward pass lacks on wasm 4.22 (TopK has no gradient on any backend; memory-layer.ts
 * supplies one); test/unit/baseline-learners.test.ts runs full finetuning's whole backward pass there.
 *
 * Semantics as tfjs's op documents it (segmentIds 1-D, one id per row of x) and its cpu kernel computes it:
 * out[s, ...] = sum of x[i, ...] over rows i whose id is s; ids outside [0, numSegments) are dropped.
 * Plain JavaScript over the wasm heap (one pass over x); test/unit/wasm-segment-sum.test.ts checks it against cpu.
 * Importing this module registers the kernel (wasm-kernel-fixes.ts does), unless tfjs ships one by then.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { getKernel, registerKernel, UnsortedSegmentSum, util } from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses. */
interface WasmBackendLike {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array | Int32Array): TensorInfo;
}

const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const wasm = backend as unknown as WasmBackendLike;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(`UnsortedSegmentSum: segmentIds must be 1-D with one id per row of x [${x.shape}], got [${segmentIds.shape}]`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`);
  const innerShape = x.shape.slice(1);
  const inner = util.sizeFromShape(innerShape);
  const n = x.shape[0];
  // Copy out of the heap first: makeOutput may grow wasm memory, which detaches earlier views.
  const xs = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const out = x.dtype === 'float32' ? new Float32Array(numSegments * inner) : new Int32Array(numSegments * inner);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) out[to + j] += xs[from + j];
  }
  return wasm.makeOutput([numSegments, ...innerShape], x.dtype, undefined, out);
};

export const wasmUnsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};

if (!getKernel(UnsortedSegmentSum, 'wasm')) registerKernel(wasmUnsortedSegmentSumConfig);
