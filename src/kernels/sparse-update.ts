/**
 * Masked sparse SGD step on the GPU (shaders/sparse-update.wgsl): V[slots[u]] -= lr * rowGrads[u], in place,
 * touching t x Dv floats whatever N is. Twin: sparse-update-reference.ts.
 */
import shaderCode from '../../shaders/sparse-update.wgsl?raw';
import { createStorageBuffer, getComputePipeline, withValidation } from '../gpu/compute-pipeline';
import { encodeDispatch, groupsFor, uniformBuffer } from './gpu-pass';
import { shardRows, type ValueTable } from './value-table';

export const SPARSE_UPDATE_KERNEL = 'sparse-update';

/** Slots must be unique and inside [0, N): a duplicate would make two invocations race on one row. */
export function assertUpdateSlots(slots: Int32Array, numSlots: number, kernel = SPARSE_UPDATE_KERNEL): void {
  const seen = new Set<number>();
  for (const slot of slots) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= numSlots) throw new Error(`${kernel}: slot ids must be in [0, ${numSlots}), got ${slot}`);
    if (seen.has(slot)) throw new Error(`${kernel}: slot ids must be unique (an in-place scatter would race), got ${slot} twice`);
    seen.add(slot);
  }
}

export function prepareSparseUpdate(device: GPUDevice): Promise<GPUComputePipeline> {
  return getComputePipeline(device, SPARSE_UPDATE_KERNEL, shaderCode);
}

/** Encodes the update of `table` in place; returns temporaries to destroy after submit. */
export function encodeSparseUpdate(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  table: ValueTable,
  numRows: number,
  buffers: { slots: GPUBuffer; rowGrads: GPUBuffer },
  lr: number,
): GPUBuffer[] {
  if (!Number.isFinite(lr)) throw new Error(`${SPARSE_UPDATE_KERNEL}: lr must be finite, got ${lr}`);
  if (numRows === 0) return [];
  const temporaries: GPUBuffer[] = [];
  for (let s = 0; s < table.numShards; s++) {
    const { rowStart, rowCount } = shardRows(table, s);
    const params = uniformBuffer(device, `${SPARSE_UPDATE_KERNEL}.params`, [numRows, table.dim, rowStart, rowCount, lr, 0, 0, 0], [4]);
    temporaries.push(params);
    encodeDispatch(device, encoder, pipeline, { 0: params, 1: buffers.slots, 2: buffers.rowGrads, 3: table.shards[s] }, groupsFor(numRows * table.dim), `${SPARSE_UPDATE_KERNEL}.shard${s}`);
  }
  return temporaries;
}

/** Applies the step to a table already on the GPU, from typed arrays. */
export async function sparseUpdateGpu(device: GPUDevice, table: ValueTable, slots: Int32Array, rowGrads: Float32Array, lr: number): Promise<void> {
  assertUpdateSlots(slots, table.numSlots);
  if (rowGrads.length !== slots.length * table.dim) throw new Error(`${SPARSE_UPDATE_KERNEL}: rowGrads must be [t, Dv] = ${slots.length * table.dim} floats, got ${rowGrads.length}`);
  if (slots.length === 0) return;
  const pipeline = await prepareSparseUpdate(device);
  const slotBuffer = createStorageBuffer(device, slots, `${SPARSE_UPDATE_KERNEL}.slots`);
  const grads = createStorageBuffer(device, rowGrads, `${SPARSE_UPDATE_KERNEL}.rowGrads`);
  const temporaries: GPUBuffer[] = [];
  try {
    await withValidation(device, SPARSE_UPDATE_KERNEL, () => {
      const encoder = device.createCommandEncoder({ label: SPARSE_UPDATE_KERNEL });
      temporaries.push(...encodeSparseUpdate(device, encoder, pipeline, table, slots.length, { slots: slotBuffer, rowGrads: grads }, lr));
      device.queue.submit([encoder.finish()]);
    });
    await device.queue.onSubmittedWorkDone();
  } finally {
    for (const buffer of [slotBuffer, grads, ...temporaries]) buffer.destroy();
  }
}
