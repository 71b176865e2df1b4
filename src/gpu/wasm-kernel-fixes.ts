/**
 * Registers tfjs's wasm backend with our kernel fixes; import this module (for its side effect) instead of
 * '@tensorflow/tfjs-backend-wasm' in Node scripts and tests. The browser path (wasm-backend.ts) imports it too.
 *
 * - BatchMatMul with transposeB: tfjs-backend-wasm 4.22 multiplies [160, 256] x [4096, 256]^T in ~150 ms
 *   but [160, 256] x [256, 4096] in ~13 ms (measured in Node 20 with SIMD, one thread): its transposed-B path
 *   does not reach XNNPACK's fast kernel. Every linear layer of the model (torch [out, in] layout) and every
 *   matMul in the backward pass hits that path, so the fix transposes B first (one copy, O(size of B)) and
 *   runs the fast kernel. Results are the same products summed in the same order per output element.
 *   transposeA is as slow (every weight gradient of the baselines is x^T dy: [144, 4096]^T x [144, 256], the
 *   tied embedding's, took 14x longer than transposing first), so A is transposed first too.
 * - GatherV2 of whole rows (axis 0, no batch dims) from a 2-D table: the wasm kernel copies element by element
 *   through generic strides (~100 ms for 20,480 rows of 128 floats, the memory read of one teaching batch);
 *   copying each row as one block of the wasm heap takes a few ms. Out-of-range indices are refused with
 *   the wasm kernel's own message.
 * - BatchMatMul of a few large items runs ~6x faster one item at a time (splitBatches below).
 * - UnsortedSegmentSum is missing, and tf.gather's gradient needs it (wasm-segment-sum.ts registers it).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import './wasm-segment-sum';

interface WasmBackendLike {
  disposeData(dataId: object): void;
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

function fastGatherRows(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = attrs as { axis: number; batchDims: number };
    const rows = x.shape[0];
    const width = x.shape[1] ?? 0;
    if (x.shape.length !== 2 || (axis !== 0 && axis !== -2) || batchDims !== 0 || width < 16 || (x.dtype !== 'float32' && x.dtype !== 'int32')) {
      return original({ inputs, backend, attrs });
    }
    const wasm = backend as unknown as WasmBackendLike;
    const ids = wasm.readSync(indices.dataId);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      tf.util.assert(id >= 0 && id <= rows - 1, () => `GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
    }
    const out = wasm.makeOutput([...indices.shape, width], x.dtype);
    if (ids.length === 0) return out;
    const source = wasm.typedArrayFromHeap(x);
    const target = wasm.typedArrayFromHeap(out);
    for (let i = 0; i < ids.length; i++) target.set(source.subarray(ids[i] * width, (ids[i] + 1) * width), i * width);
    return out;
  };
}

function fastBatchMatMul(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const transpose = tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc;
    const swapLast = (x: TensorInfo) => {
      const rank = x.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      return transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
    };
    const aT = transposeA ? swapLast(a) : a;
    const bT = transposeB ? swapLast(b) : b;
    const out = original({ inputs: { a: aT, b: bT }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    for (const t of [aT, bT]) if (t !== a && t !== b) (backend as unknown as WasmBackendLike).disposeData(t.dataId);
    return out;
  };
}

/** Below this many multiply-adds per batch item the batched kernel is as quick as one call per item. */
const SPLIT_MIN_MACS = 1 << 18;

/**
 * BatchMatMul of a few large items ([8, 1344, 64] x [8, 64, 256], the memory's key scores for an evaluation
 * batch): the wasm kernel takes ~200 ms for batch 8 but ~3.4 ms per item as batch 1, so large items are
 * multiplied one at a time. Each item's product is the same batch-1 computation, in the same order.
 */
function splitBatches(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const batch = a.shape[0];
    if (transposeA || transposeB || a.shape.length !== 3 || b.shape.length !== 3 || b.shape[0] !== batch || batch < 2 || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original({ inputs, backend, attrs });
    }
    const [, m, k] = a.shape;
    const n = b.shape[2];
    if (m * k * n < SPLIT_MIN_MACS) return original({ inputs, backend, attrs });
    const wasm = backend as unknown as WasmBackendLike;
    const out = wasm.makeOutput([batch, m, n], 'float32');
    // The heap can grow (and move) on any allocation, so views of it are taken again after each one.
    for (let i = 0; i < batch; i++) {
      const ai = wasm.makeOutput([1, m, k], 'float32');
      wasm.typedArrayFromHeap(ai).set(wasm.typedArrayFromHeap(a).subarray(i * m * k, (i + 1) * m * k));
      const bi = wasm.makeOutput([1, k, n], 'float32');
      wasm.typedArrayFromHeap(bi).set(wasm.typedArrayFromHeap(b).subarray(i * k * n, (i + 1) * k * n));
      const oi = original({ inputs: { a: ai, b: bi }, backend, attrs }) as TensorInfo;
      wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(oi), i * m * n);
      for (const t of [ai, bi, oi]) wasm.disposeData(t.dataId);
    }
    return out;
  };
}

let installed = false;

function install(): void {
  if (installed) return;
  const matMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!matMul) return; // the wasm backend did not register (should not happen after the import above)
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...matMul, kernelFunc: fastBatchMatMul(splitBatches(matMul.kernelFunc)) });
  const gather = tf.getKernel(tf.GatherV2, 'wasm')!;
  tf.unregisterKernel(tf.GatherV2, 'wasm');
  tf.registerKernel({ ...gather, kernelFunc: fastGatherRows(gather.kernelFunc) });
  installed = true;
}

install();
