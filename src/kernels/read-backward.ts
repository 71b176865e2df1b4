/**
 * Gradient of the memory read on the GPU (shaders/read-backward.wgsl): for U requested slots, the gradient of
 * their value rows, rowGrads[u] = sum over reads r of slot u of w[r] * dY[token(r)], built through a reverse
 * index (no dense N x Dv buffer, no float atomics); and optionally dWeights[r] = dY[token(r)] . V[slot r].
 * Sparse memory finetuning asks only for the top-t slots; `uniqueSlotsOf` gives all accessed slots instead.
 * Twin: read-backward-reference.ts.
 */
import shaderCode from '../../shaders/read-backward.wgsl?raw';
import { createStorageBuffer, getComputePipeline, readBuffer, withValidation } from '../gpu/compute-pipeline';
import { encodeDispatch, groupsFor, scratchBuffer, uniformBuffer } from './gpu-pass';
import { shardRows, type ValueTable } from './value-table';
import { assertUpdateSlots } from './sparse-update';

export const READ_BACKWARD_KERNEL = 'read-backward';
const PASSES = ['map_slots', 'count_reads', 'scan_offsets', 'scatter_reads', 'aggregate_rows', 'unmap_slots', 'weight_grads'] as const;
type Pass = (typeof PASSES)[number];
export type ReadBackwardPipelines = Record<Pass, GPUComputePipeline>;

export interface ReadBackwardShape {
  numTokens: number; // T
  readsPerToken: number; // H * K
  dim: number; // Dv
  numSlots: number; // N
  numUnique: number; // U requested slots
}

export interface ReadBackwardBuffers {
  slotIds: GPUBuffer; // [T, H, K] i32
  weights: GPUBuffer; // [T, H, K] f32
  dY: GPUBuffer; // [T, Dv] f32
  uniqueSlots: GPUBuffer; // [U] i32, unique, < N
  rowGrads: GPUBuffer; // [U, Dv] f32, written
  /** With `table`: [T, H, K] f32, written (0 for ids outside [0, N)). */
  dWeights?: GPUBuffer;
}

export async function prepareReadBackward(device: GPUDevice): Promise<ReadBackwardPipelines> {
  const pipelines = await Promise.all(PASSES.map((pass) => getComputePipeline(device, READ_BACKWARD_KERNEL, shaderCode, pass)));
  return Object.fromEntries(PASSES.map((pass, i) => [pass, pipelines[i]])) as ReadBackwardPipelines;
}

// slotMap [N] stays all zeros between calls (unmap_slots restores it), so it is created once per device and
// N, and no pass ever touches all N entries: the backward's cost is independent of N.
const slotMaps = new WeakMap<GPUDevice, Map<number, GPUBuffer>>();
function slotMapFor(device: GPUDevice, numSlots: number): GPUBuffer {
  let maps = slotMaps.get(device);
  if (!maps) slotMaps.set(device, (maps = new Map()));
  let map = maps.get(numSlots);
  if (!map) {
    map = scratchBuffer(device, `${READ_BACKWARD_KERNEL}.slotMap`, numSlots * 4); // created zero-filled
    maps.set(numSlots, map);
  }
  return map;
}

/** Frees the per-N scratch slot map (e.g. when the memory is resized). */
export function releaseReadBackwardScratch(device: GPUDevice): void {
  for (const map of slotMaps.get(device)?.values() ?? []) map.destroy();
  slotMaps.delete(device);
}

/** Encodes the backward; returns temporaries to destroy after submit. */
export function encodeReadBackward(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipelines: ReadBackwardPipelines,
  shape: ReadBackwardShape,
  buffers: ReadBackwardBuffers,
  table?: ValueTable,
): GPUBuffer[] {
  const { numTokens, readsPerToken, dim, numSlots, numUnique } = shape;
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${READ_BACKWARD_KERNEL}: ${name} must be a non-negative integer, got ${value}`);
  }
  if (numTokens < 1 || readsPerToken < 1 || dim < 1 || numSlots < 1) throw new Error(`${READ_BACKWARD_KERNEL}: T, H*K, Dv and N must be positive, got ${JSON.stringify(shape)}`);
  if (table && (table.dim !== dim || table.numSlots !== numSlots)) throw new Error(`${READ_BACKWARD_KERNEL}: table is [${table.numSlots}, ${table.dim}], expected [${numSlots}, ${dim}]`);
  const reads = numTokens * readsPerToken;
  const base = [numTokens, readsPerToken, dim, numUnique, numSlots];
  const params = uniformBuffer(device, `${READ_BACKWARD_KERNEL}.params`, [...base, 0, 0, 0]);
  const temporaries = [params];
  if (numUnique > 0) {
    const slotMap = slotMapFor(device, numSlots);
    const segments = scratchBuffer(device, `${READ_BACKWARD_KERNEL}.segments`, 2 * numUnique * 4);
    const work = scratchBuffer(device, `${READ_BACKWARD_KERNEL}.work`, 2 * reads * 4);
    temporaries.push(segments, work);
    const run = (pass: Pass, bindings: Record<number, GPUBuffer>, groups: number) =>
      encodeDispatch(device, encoder, pipelines[pass], { 0: params, ...bindings }, groups, `${READ_BACKWARD_KERNEL}.${pass}`);
    run('map_slots', { 4: buffers.uniqueSlots, 5: slotMap, 6: segments }, groupsFor(numUnique));
    run('count_reads', { 1: buffers.slotIds, 5: slotMap, 6: segments, 7: work }, groupsFor(reads));
    run('scan_offsets', { 6: segments }, 1);
    run('scatter_reads', { 1: buffers.slotIds, 5: slotMap, 6: segments, 7: work }, groupsFor(reads));
    run('aggregate_rows', { 2: buffers.weights, 3: buffers.dY, 6: segments, 7: work, 8: buffers.rowGrads }, numUnique);
    run('unmap_slots', { 4: buffers.uniqueSlots, 5: slotMap }, groupsFor(numUnique));
  }
  if (table) {
    if (!buffers.dWeights) throw new Error(`${READ_BACKWARD_KERNEL}: a value table was given but no dWeights buffer`);
    encoder.clearBuffer(buffers.dWeights, 0, reads * 4);
    for (let s = 0; s < table.numShards; s++) {
      const { rowStart, rowCount } = shardRows(table, s);
      const shardParams = uniformBuffer(device, `${READ_BACKWARD_KERNEL}.params`, [...base, rowStart, rowCount, 0]);
      temporaries.push(shardParams);
      encodeDispatch(
        device,
        encoder,
        pipelines.weight_grads,
        { 0: shardParams, 1: buffers.slotIds, 3: buffers.dY, 9: table.shards[s], 10: buffers.dWeights },
        groupsFor(reads),
        `${READ_BACKWARD_KERNEL}.weight_grads.shard${s}`,
      );
    }
  }
  return temporaries;
}

/** Distinct valid slot ids of `slotIds`, ascending (the "all accessed slots" request). */
export function uniqueSlotsOf(slotIds: Int32Array, numSlots: number): Int32Array {
  const seen = new Set<number>();
  for (const slot of slotIds) if (slot >= 0 && slot < numSlots) seen.add(slot);
  return Int32Array.from([...seen].sort((a, b) => a - b));
}

export interface ReadBackwardResult {
  rowGrads: Float32Array; // [U, Dv], row u for slots[u]
  dWeights?: Float32Array; // [T, H, K]
}

/** Typed arrays in and out (tests, scripts). Pass `table` to also get dWeights. */
export async function readBackwardGpu(
  device: GPUDevice,
  args: { slotIds: Int32Array; weights: Float32Array; dY: Float32Array; numTokens: number; dim: number; numSlots: number; slots: Int32Array; table?: ValueTable },
): Promise<ReadBackwardResult> {
  const { slotIds, weights, dY, numTokens, dim, numSlots, slots, table } = args;
  const readsPerToken = slotIds.length / numTokens;
  if (!Number.isInteger(readsPerToken)) throw new Error(`${READ_BACKWARD_KERNEL}: slotIds (${slotIds.length}) is not [T=${numTokens}, H, K]`);
  if (weights.length !== slotIds.length) throw new Error(`${READ_BACKWARD_KERNEL}: weights must match slotIds [T, H, K] (${slotIds.length}), got ${weights.length}`);
  if (dY.length !== numTokens * dim) throw new Error(`${READ_BACKWARD_KERNEL}: dY must be [T, Dv] = ${numTokens * dim} floats, got ${dY.length}`);
  assertUpdateSlots(slots, numSlots, READ_BACKWARD_KERNEL);
  const pipelines = await prepareReadBackward(device);
  const shape = { numTokens, readsPerToken, dim, numSlots, numUnique: slots.length };
  const buffers: ReadBackwardBuffers = {
    slotIds: createStorageBuffer(device, slotIds, `${READ_BACKWARD_KERNEL}.slotIds`),
    weights: createStorageBuffer(device, weights, `${READ_BACKWARD_KERNEL}.weights`),
    dY: createStorageBuffer(device, dY, `${READ_BACKWARD_KERNEL}.dY`),
    uniqueSlots: createStorageBuffer(device, slots, `${READ_BACKWARD_KERNEL}.uniqueSlots`),
    rowGrads: scratchBuffer(device, `${READ_BACKWARD_KERNEL}.rowGrads`, slots.length * dim * 4),
    dWeights: table ? scratchBuffer(device, `${READ_BACKWARD_KERNEL}.dWeights`, slotIds.length * 4) : undefined,
  };
  const temporaries: GPUBuffer[] = [];
  try {
    await withValidation(device, READ_BACKWARD_KERNEL, () => {
      const encoder = device.createCommandEncoder({ label: READ_BACKWARD_KERNEL });
      temporaries.push(...encodeReadBackward(device, encoder, pipelines, shape, buffers, table));
      device.queue.submit([encoder.finish()]);
    });
    const rowGrads = slots.length ? new Float32Array(await readBuffer(device, buffers.rowGrads, slots.length * dim * 4)) : new Float32Array(0);
    const dWeights = buffers.dWeights ? new Float32Array(await readBuffer(device, buffers.dWeights, slotIds.length * 4)) : undefined;
    return { rowGrads, dWeights };
  } finally {
    for (const buffer of [...Object.values(buffers), ...temporaries]) buffer?.destroy();
  }
}
