/**
 * The memory kernels over tfjs tensors, on tfjs-webgpu's own GPUDevice: what the sparse learner hands the
 * model's memory layer (lookup, read) and uses for its row gradients and update when the backend is webgpu.
 * Inputs are read from the tensors' own GPUBuffers and outputs are tfjs-managed tensors (see gpu/tf-interop.ts
 * for ordering against tfjs's queue). The model's tf-op memory layer (src/model/memory-layer.ts) is the one
 * tf-op implementation: everything else (answering, evaluation, the other learners) and wasm/cpu run on it.
 *
 * All methods are synchronous (pipelines are compiled in `createTfMemoryKernels`), so they work inside
 * tf.tidy; none of them is differentiable: sparse memory finetuning taps dL/dy at the read and turns it into
 * the chosen rows' gradients with `readBackward`, then applies them with `sparseUpdate`. The learners that
 * train the query and keys use the tf-op lookup (productKeyLookupWithGrad) instead.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { createStorageBuffer } from '../gpu/compute-pipeline';
import { KernelErrorLog, takeKernelFault } from '../gpu/error-scopes';
import { activeWebGPUBackend, allocateOutput, assertExclusive, flushTfjs, gpuBufferOf, markWritten, submitAfterTfjs } from '../gpu/tf-interop';
import { encodeMemoryLookup, prepareMemoryLookup, type LookupShape } from './memory-lookup';
import { encodeValueRead, prepareValueRead } from './value-read';
import { encodeReadBackward, prepareReadBackward } from './read-backward';
import { assertUpdateSlots, encodeSparseUpdate, prepareSparseUpdate } from './sparse-update';
import type { ValueTable, ValueTableLayout } from './value-table';

/** The value table as tfjs tensors: one [N, Dv] tensor, or row shards (all but the last rowsPerShard rows). */
export interface TfValueTable extends ValueTableLayout {
  shards: tf.Tensor2D[];
}

export function tfValueTable(shards: tf.Tensor2D | tf.Tensor2D[]): TfValueTable {
  const list = Array.isArray(shards) ? shards : [shards];
  if (list.length === 0) throw new Error('value table: no shards');
  const dim = list[0].shape[1];
  const rowsPerShard = list[0].shape[0];
  list.forEach((shard, s) => {
    if (shard.rank !== 2 || shard.dtype !== 'float32') throw new Error(`value table: shard ${s} must be a float32 [rows, Dv] tensor, got ${shard.dtype} [${shard.shape}]`);
    if (shard.shape[1] !== dim) throw new Error(`value table: shard ${s} has Dv=${shard.shape[1]}, shard 0 has ${dim}`);
    if (s < list.length - 1 && shard.shape[0] !== rowsPerShard) throw new Error(`value table: shard ${s} has ${shard.shape[0]} rows, expected ${rowsPerShard}`);
  });
  const numSlots = rowsPerShard * (list.length - 1) + list[list.length - 1].shape[0];
  return { shards: list, numSlots, dim, rowsPerShard, numShards: list.length };
}

function assertShape(what: string, tensor: tf.Tensor, shape: number[], dtype: tf.DataType): void {
  if (tensor.dtype !== dtype || tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${what}: expected ${dtype} [${shape}], got ${tensor.dtype} [${tensor.shape}]`);
  }
}

export interface TfMemoryKernels {
  readonly backend: WebGPUBackend;
  /** queries [T, H, Dk], subKeys [H, 2, nKeys, Dk/2] -> slotIds [T, H, K] int32, scores and weights [T, H, K]. */
  lookup(queries: tf.Tensor3D, subKeys: tf.Tensor4D, k: number): { slotIds: tf.Tensor3D; scores: tf.Tensor3D; weights: tf.Tensor3D };
  /** sum_h sum_j w V[slot] -> [T, Dv]. */
  valueRead(table: TfValueTable, slotIds: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor2D;
  /**
   * Row gradients [U, Dv] of the requested unique `slots` (sparse memory finetuning: the top-t); with
   * `withWeightGrads` also dWeights [T, H, K] = dY . V[slot] (only needed when keys or query train).
   */
  readBackward(
    dY: tf.Tensor2D,
    slotIds: tf.Tensor3D,
    weights: tf.Tensor3D,
    slots: Int32Array,
    table: TfValueTable,
    withWeightGrads?: boolean,
  ): { rowGrads: tf.Tensor2D; dWeights?: tf.Tensor3D };
  /** V[slots[u]] -= lr * rowGrads[u], in place in the table's own buffers. */
  sparseUpdate(table: TfValueTable, slots: Int32Array, rowGrads: tf.Tensor2D, lr: number): void;
  /**
   * V[slots[u]] = rows[u] ([t, Dv] host floats), in place and bit for bit: how an undo snapshot goes back
   * without copying the table (queue.writeBuffer, ordered after tfjs's pending work like every kernel here).
   */
  writeRows(table: TfValueTable, slots: Int32Array, rows: Float32Array): void;
  /**
   * A bit-for-bit copy of `tensor` in a GPUBuffer of its own (one copyBufferToBuffer). tf.clone and
   * tf.variable share the buffer, and an arithmetic copy (x * 1) may flush subnormals on a GPU.
   */
  ownedCopy<R extends tf.Rank>(tensor: tf.Tensor<R>): tf.Tensor<R>;
  /**
   * Every method above submits inside WebGPU error scopes (src/gpu/error-scopes.ts) instead of leaving a
   * rejected submission to the device's uncapturederror event. This waits for the scopes of every submission
   * since the last call and throws KernelError (naming the kernel, with the GPU's message) for the first one
   * the GPU rejected. The sparse learner calls it during each step, before and after it writes the table.
   */
  checkErrors(): Promise<void>;
}

/** Compiles every pipeline on the active webgpu backend's device; null when the backend is not webgpu. */
export async function createTfMemoryKernels(): Promise<TfMemoryKernels | null> {
  const backend = activeWebGPUBackend();
  if (!backend) return null;
  const device = backend.device;
  const [lookupPipeline, readPipeline, backwardPipelines, updatePipeline] = await Promise.all([
    prepareMemoryLookup(device),
    prepareValueRead(device),
    prepareReadBackward(device),
    prepareSparseUpdate(device),
  ]);
  const errors = new KernelErrorLog();
  const gpuTable = (table: TfValueTable, what: string): ValueTable => ({
    ...table,
    shards: table.shards.map((shard, s) => gpuBufferOf(backend, shard, `${what}: value shard ${s}`)),
  });

  return {
    backend,

    lookup(queries, subKeys, k) {
      const [numTokens, heads, keyDim] = queries.shape;
      const nKeys = subKeys.shape[2];
      const shape: LookupShape = { numTokens, heads, nKeys, keyDim, k };
      assertShape('lookup queries', queries, [numTokens, heads, keyDim], 'float32');
      assertShape('lookup subKeys', subKeys, [heads, 2, nKeys, keyDim / 2], 'float32');
      const outShape = [numTokens, heads, k];
      const slotIds = allocateOutput<tf.Rank.R3>(backend, outShape, 'int32');
      const scores = allocateOutput<tf.Rank.R3>(backend, outShape, 'float32');
      const weights = allocateOutput<tf.Rank.R3>(backend, outShape, 'float32');
      const buffers = {
        queries: gpuBufferOf(backend, queries, 'lookup queries'),
        subKeys: gpuBufferOf(backend, subKeys, 'lookup subKeys'),
        slotIds: slotIds.buffer,
        scores: scores.buffer,
        weights: weights.buffer,
      };
      try {
        submitAfterTfjs(backend, 'memory-lookup', (encoder) => encodeMemoryLookup(device, encoder, lookupPipeline, shape, buffers), errors);
      } catch (error) {
        tf.dispose([slotIds.tensor, scores.tensor, weights.tensor]);
        throw error;
      }
      return { slotIds: slotIds.tensor, scores: scores.tensor, weights: weights.tensor };
    },

    valueRead(table, slotIds, weights) {
      const [numTokens, heads, k] = slotIds.shape;
      assertShape('valueRead slotIds', slotIds, [numTokens, heads, k], 'int32');
      assertShape('valueRead weights', weights, [numTokens, heads, k], 'float32');
      const out = allocateOutput<tf.Rank.R2>(backend, [numTokens, table.dim], 'float32');
      const buffers = { slotIds: gpuBufferOf(backend, slotIds, 'valueRead slotIds'), weights: gpuBufferOf(backend, weights, 'valueRead weights'), out: out.buffer };
      const gpu = gpuTable(table, 'valueRead');
      submitAfterTfjs(backend, 'value-read', (encoder) => encodeValueRead(device, encoder, readPipeline, { numTokens, readsPerToken: heads * k }, gpu, buffers), errors);
      return out.tensor;
    },

    readBackward(dY, slotIds, weights, slots, table, withWeightGrads = false) {
      const [numTokens, heads, k] = slotIds.shape;
      const dim = dY.shape[1];
      assertShape('readBackward dY', dY, [numTokens, dim], 'float32');
      assertShape('readBackward slotIds', slotIds, [numTokens, heads, k], 'int32');
      assertShape('readBackward weights', weights, [numTokens, heads, k], 'float32');
      if (table.dim !== dim) throw new Error(`readBackward: dY has Dv=${dim} but the value table has ${table.dim}`);
      assertUpdateSlots(slots, table.numSlots, 'readBackward');
      if (slots.length === 0 && !withWeightGrads) return { rowGrads: tf.zeros([0, dim]) as tf.Tensor2D };
      const dWeights = withWeightGrads ? allocateOutput<tf.Rank.R3>(backend, [numTokens, heads, k], 'float32') : undefined;
      const slotBuffer = createStorageBuffer(device, slots, 'read-backward.slots');
      // With no slots requested only dWeights is computed; the slot buffer stands in for the unused rowGrads.
      const rowGrads = slots.length > 0 ? allocateOutput<tf.Rank.R2>(backend, [slots.length, dim], 'float32') : { tensor: tf.zeros([0, dim]) as tf.Tensor2D, buffer: slotBuffer };
      const buffers = {
        slotIds: gpuBufferOf(backend, slotIds, 'readBackward slotIds'),
        weights: gpuBufferOf(backend, weights, 'readBackward weights'),
        dY: gpuBufferOf(backend, dY, 'readBackward dY'),
        uniqueSlots: slotBuffer,
        rowGrads: rowGrads.buffer,
        dWeights: dWeights?.buffer,
      };
      const gpu = withWeightGrads ? gpuTable(table, 'readBackward') : undefined;
      const shape = { numTokens, readsPerToken: heads * k, dim, numSlots: table.numSlots, numUnique: slots.length };
      submitAfterTfjs(backend, 'read-backward', (encoder) => [...encodeReadBackward(device, encoder, backwardPipelines, shape, buffers, gpu), slotBuffer], errors);
      return { rowGrads: rowGrads.tensor, dWeights: dWeights?.tensor };
    },

    sparseUpdate(table, slots, rowGrads, lr) {
      assertShape('sparseUpdate rowGrads', rowGrads, [slots.length, table.dim], 'float32');
      assertUpdateSlots(slots, table.numSlots);
      if (slots.length === 0) return;
      table.shards.forEach((shard, s) => assertExclusive(backend, shard, `sparseUpdate value shard ${s}`));
      const slotBuffer = createStorageBuffer(device, slots, 'sparse-update.slots');
      const grads = gpuBufferOf(backend, rowGrads, 'sparseUpdate rowGrads');
      const gpu = gpuTable(table, 'sparseUpdate');
      submitAfterTfjs(backend, 'sparse-update', (encoder) => [...encodeSparseUpdate(device, encoder, updatePipeline, gpu, slots.length, { slots: slotBuffer, rowGrads: grads }, lr), slotBuffer], errors);
      for (const shard of table.shards) markWritten(backend, shard);
    },

    writeRows(table, slots, rows) {
      assertUpdateSlots(slots, table.numSlots, 'writeRows');
      if (rows.length !== slots.length * table.dim) throw new Error(`writeRows: rows must be [t, Dv] = ${slots.length * table.dim} floats, got ${rows.length}`);
      if (slots.length === 0) return;
      table.shards.forEach((shard, s) => assertExclusive(backend, shard, `writeRows value shard ${s}`));
      const buffers = table.shards.map((shard, s) => gpuBufferOf(backend, shard, `writeRows: value shard ${s}`));
      flushTfjs(backend); // tfjs's pending reads of the old rows go first on the queue
      // One write per run of consecutive slots (snapshots are sorted, so a fact's rows often come in runs).
      const order = Array.from(slots.keys()).sort((a, b) => slots[a] - slots[b]);
      const dim = table.dim;
      errors.scoped(device, 'write-rows', () => {
        if (takeKernelFault('write-rows')) {
          const destroyed = device.createBuffer({ label: 'write-rows.injected-fault', size: 4, usage: GPUBufferUsage.COPY_DST });
          destroyed.destroy();
          backend.queue.writeBuffer(destroyed, 0, new Float32Array(1));
        }
        for (let i = 0; i < order.length; ) {
          let j = i + 1;
          const shard = Math.floor(slots[order[i]] / table.rowsPerShard);
          while (j < order.length && order[j] === order[j - 1] + 1 && slots[order[j]] === slots[order[j - 1]] + 1 && Math.floor(slots[order[j]] / table.rowsPerShard) === shard) j++;
          const row = slots[order[i]] - shard * table.rowsPerShard;
          const bytes = (j - i) * dim * 4;
          backend.queue.writeBuffer(buffers[shard], row * dim * 4, rows.buffer as ArrayBuffer, rows.byteOffset + order[i] * dim * 4, bytes);
          i = j;
        }
      });
      for (const shard of table.shards) markWritten(backend, shard);
    },

    ownedCopy<R extends tf.Rank>(tensor: tf.Tensor<R>): tf.Tensor<R> {
      if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`ownedCopy: expected a float32 or int32 tensor, got ${tensor.dtype}`);
      const source = gpuBufferOf(backend, tensor, 'ownedCopy');
      const copy = allocateOutput<R>(backend, [...tensor.shape], tensor.dtype);
      submitAfterTfjs(backend, 'owned-copy', (encoder) => {
        encoder.copyBufferToBuffer(source, 0, copy.buffer, 0, tensor.size * 4);
        return [];
      }, errors);
      return copy.tensor;
    },

    checkErrors() {
      return errors.check();
    },
  };
}
