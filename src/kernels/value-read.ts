/**
 * Memory value read on the GPU (shaders/value-read.wgsl): y[t] = sum_h sum_j w[t,h,j] V[slot[t,h,j]], one
 * pass per shard of V. Twin: value-read-reference.ts.
 */
import shaderCode from '../../shaders/value-read.wgsl?raw';
import { createStorageBuffer, getComputePipeline, readBuffer, withValidation } from '../gpu/compute-pipeline';
import { encodeDispatch, scratchBuffer, uniformBuffer } from './gpu-pass';
import { shardRows, type ValueTable } from './value-table';

export const VALUE_READ_KERNEL = 'value-read';

export interface ReadShape {
  numTokens: number; // T
  readsPerToken: number; // H * K
}

export function assertReadShape(shape: ReadShape, table: { dim: number }): void {
  if (!Number.isInteger(shape.numTokens) || shape.numTokens < 1) throw new Error(`${VALUE_READ_KERNEL}: T must be a positive integer, got ${shape.numTokens}`);
  if (!Number.isInteger(shape.readsPerToken) || shape.readsPerToken < 1) throw new Error(`${VALUE_READ_KERNEL}: H*K must be a positive integer, got ${shape.readsPerToken}`);
  if (!Number.isInteger(table.dim) || table.dim < 1) throw new Error(`${VALUE_READ_KERNEL}: Dv must be a positive integer, got ${table.dim}`);
}

export function prepareValueRead(device: GPUDevice): Promise<GPUComputePipeline> {
  return getComputePipeline(device, VALUE_READ_KERNEL, shaderCode);
}

/** Encodes the read into `out` [T, Dv]; returns temporaries to destroy after submit. */
export function encodeValueRead(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  shape: ReadShape,
  table: ValueTable,
  buffers: { slotIds: GPUBuffer; weights: GPUBuffer; out: GPUBuffer },
): GPUBuffer[] {
  assertReadShape(shape, table);
  const temporaries: GPUBuffer[] = [];
  for (let s = 0; s < table.numShards; s++) {
    const { rowStart, rowCount } = shardRows(table, s);
    const params = uniformBuffer(device, `${VALUE_READ_KERNEL}.params`, [shape.numTokens, shape.readsPerToken, table.dim, rowStart, rowCount, s > 0 ? 1 : 0, 0, 0]);
    temporaries.push(params);
    encodeDispatch(device, encoder, pipeline, { 0: params, 1: buffers.slotIds, 2: buffers.weights, 3: table.shards[s], 4: buffers.out }, shape.numTokens, `${VALUE_READ_KERNEL}.shard${s}`);
  }
  return temporaries;
}

/** Typed arrays in and out, against a table already on the GPU (tests, scripts). */
export async function valueReadGpu(device: GPUDevice, table: ValueTable, slotIds: Int32Array, weights: Float32Array, numTokens: number): Promise<Float32Array> {
  const shape = { numTokens, readsPerToken: slotIds.length / numTokens };
  assertReadShape(shape, table);
  if (weights.length !== slotIds.length) throw new Error(`${VALUE_READ_KERNEL}: weights [T, H, K] must match slotIds (${slotIds.length}), got ${weights.length}`);
  const pipeline = await prepareValueRead(device);
  const ids = createStorageBuffer(device, slotIds, `${VALUE_READ_KERNEL}.slotIds`);
  const w = createStorageBuffer(device, weights, `${VALUE_READ_KERNEL}.weights`);
  const out = scratchBuffer(device, `${VALUE_READ_KERNEL}.out`, numTokens * table.dim * 4);
  const temporaries: GPUBuffer[] = [];
  try {
    await withValidation(device, VALUE_READ_KERNEL, () => {
      const encoder = device.createCommandEncoder({ label: VALUE_READ_KERNEL });
      temporaries.push(...encodeValueRead(device, encoder, pipeline, shape, table, { slotIds: ids, weights: w, out }));
      device.queue.submit([encoder.finish()]);
    });
    return new Float32Array(await readBuffer(device, out, numTokens * table.dim * 4));
  } finally {
    for (const buffer of [ids, w, out, ...temporaries]) buffer.destroy();
  }
}
