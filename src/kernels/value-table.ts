/**
 * The memory's value table V [N, Dv] on the GPU, split into row shards when one buffer would exceed what a
 * single storage binding may hold.
 *
 * Why shards, not fp16: at N = 1,048,576 and Dv = 128 the fp32 table is 512 MiB. Some adapters bind at most
 * 128 MiB per storage buffer (Mesa lavapipe; every device that does not ask for more gets 128 MiB). fp16 alone
 * would not fit it either (256 MiB), needs the optional shader-f16 feature (SwiftShader lacks it), and would
 * round away small SGD steps (lr * grad below half an fp16 ulp of the value is lost). Row shards keep exact
 * fp32 semantics on every adapter; the kernels run one pass per shard and each pass touches only its rows.
 */
import { createStorageBuffer, readBuffer } from '../gpu/compute-pipeline';

export interface ValueTableLayout {
  numSlots: number; // N
  dim: number; // Dv
  rowsPerShard: number;
  numShards: number;
}

export interface ValueTable extends ValueTableLayout {
  /** shards[s] holds rows [s * rowsPerShard, min(N, (s + 1) * rowsPerShard)), row-major fp32. */
  shards: GPUBuffer[];
}

export interface ShardLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Rows per shard: as many as one binding and one buffer allow (or `maxRowsPerShard`, for tests). */
export function planValueTable(numSlots: number, dim: number, limits: ShardLimits, maxRowsPerShard = Infinity): ValueTableLayout {
  if (!Number.isInteger(numSlots) || numSlots < 1) throw new Error(`value table: N must be a positive integer, got ${numSlots}`);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`value table: Dv must be a positive integer, got ${dim}`);
  const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const rowsFit = Math.floor(maxBytes / (dim * 4));
  if (rowsFit < 1) throw new Error(`value table: one row of ${dim} floats exceeds the adapter's ${maxBytes}-byte binding limit`);
  const rowsPerShard = Math.min(numSlots, rowsFit, maxRowsPerShard);
  return { numSlots, dim, rowsPerShard, numShards: Math.ceil(numSlots / rowsPerShard) };
}

/** Rows held by shard `s`: [rowStart, rowStart + rowCount). */
export function shardRows(layout: ValueTableLayout, s: number): { rowStart: number; rowCount: number } {
  const rowStart = s * layout.rowsPerShard;
  return { rowStart, rowCount: Math.min(layout.rowsPerShard, layout.numSlots - rowStart) };
}

/** Uploads V [N, Dv] (row-major) into shards sized for this device. */
export function createValueTable(device: GPUDevice, values: Float32Array, numSlots: number, dim: number, maxRowsPerShard = Infinity): ValueTable {
  if (values.length !== numSlots * dim) throw new Error(`value table: expected N x Dv = ${numSlots} x ${dim} = ${numSlots * dim} floats, got ${values.length}`);
  const layout = planValueTable(numSlots, dim, device.limits, maxRowsPerShard);
  const shards: GPUBuffer[] = [];
  for (let s = 0; s < layout.numShards; s++) {
    const { rowStart, rowCount } = shardRows(layout, s);
    shards.push(createStorageBuffer(device, values.subarray(rowStart * dim, (rowStart + rowCount) * dim), `values.shard${s}`));
  }
  return { ...layout, shards };
}

/** Reads the whole table back (tests and checkpoint export). */
export async function readValueTable(device: GPUDevice, table: ValueTable): Promise<Float32Array> {
  const out = new Float32Array(table.numSlots * table.dim);
  for (let s = 0; s < table.numShards; s++) {
    const { rowStart, rowCount } = shardRows(table, s);
    out.set(new Float32Array(await readBuffer(device, table.shards[s], rowCount * table.dim * 4)), rowStart * table.dim);
  }
  return out;
}

export function destroyValueTable(table: ValueTable): void {
  for (const shard of table.shards) shard.destroy();
}
