/**
 * Product-key memory lookup on the GPU (shaders/memory-lookup.wgsl): for every token and head, the K slot
 * ids with the best product-key scores, their scores and softmax weights. Twin: memory-lookup-reference.ts.
 *
 * The lookup itself is not differentiable: the learners that train the query projection and the keys use the
 * model's tf-op lookup with its custom gradient (src/model/memory-layer.ts, productKeyLookupWithGrad).
 */
import shaderCode from '../../shaders/memory-lookup.wgsl?raw';
import { createStorageBuffer, getComputePipeline, readBuffer, withValidation } from '../gpu/compute-pipeline';
import { encodeDispatch, groupsFor, scratchBuffer, uniformBuffer } from './gpu-pass';

export const LOOKUP_KERNEL = 'memory-lookup';
export const LOOKUP_MAX_K = 32; // the shader's private top-K lists
export const LOOKUP_MAX_KEYS = 46_340; // slot ids nKeys^2 must fit an i32
export type LookupPipelines = { score: GPUComputePipeline; select: GPUComputePipeline };

export interface LookupShape {
  numTokens: number; // T (all tokens of the batch, flattened)
  heads: number; // H
  nKeys: number; // sqrt(N), sub-keys per half
  keyDim: number; // Dk (two halves of Dk / 2)
  k: number; // K reads per head
}

export interface LookupResult {
  slotIds: Int32Array; // [T, H, K], best first
  scores: Float32Array; // [T, H, K]
  weights: Float32Array; // [T, H, K], softmax over K
}

export interface LookupBuffers {
  queries: GPUBuffer; // [T, H, Dk] f32
  subKeys: GPUBuffer; // [H, 2, nKeys, Dk / 2] f32
  slotIds: GPUBuffer; // [T, H, K] i32, written
  scores: GPUBuffer; // [T, H, K] f32, written
  weights: GPUBuffer; // [T, H, K] f32, written
}

export function assertLookupShape(shape: LookupShape): void {
  const { numTokens, heads, nKeys, keyDim, k } = shape;
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`memory-lookup: ${name} must be a non-negative integer, got ${value}`);
  }
  if (heads < 1 || numTokens < 1) throw new Error(`memory-lookup: need at least one token and one head, got T=${numTokens}, H=${heads}`);
  if (k < 1 || k > LOOKUP_MAX_K) throw new Error(`memory-lookup: K must be in [1, ${LOOKUP_MAX_K}], got ${k}`);
  if (nKeys < k || nKeys > LOOKUP_MAX_KEYS) throw new Error(`memory-lookup: nKeys must be in [K=${k}, ${LOOKUP_MAX_KEYS}], got ${nKeys}`);
  if (keyDim % 2 !== 0 || keyDim < 2) throw new Error(`memory-lookup: Dk must be even and positive, got ${keyDim}`);
}

export function lookupSizes(shape: LookupShape): { queries: number; subKeys: number; out: number } {
  return {
    queries: shape.numTokens * shape.heads * shape.keyDim,
    subKeys: shape.heads * 2 * shape.nKeys * (shape.keyDim / 2),
    out: shape.numTokens * shape.heads * shape.k,
  };
}

export async function prepareMemoryLookup(device: GPUDevice): Promise<LookupPipelines> {
  const [score, select] = await Promise.all([
    getComputePipeline(device, LOOKUP_KERNEL, shaderCode, 'score_keys'),
    getComputePipeline(device, LOOKUP_KERNEL, shaderCode, 'select_slots'),
  ]);
  return { score, select };
}

/**
 * Encodes the lookup; returns temporaries to destroy after the command buffer is submitted. Items (t, h) run in
 * chunks whose half-score scratch [items, 2, nKeys] fits one storage binding (and at most 16 MiB).
 */
export function encodeMemoryLookup(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipelines: LookupPipelines,
  shape: LookupShape,
  buffers: LookupBuffers,
): GPUBuffer[] {
  assertLookupShape(shape);
  const items = shape.numTokens * shape.heads;
  const bytesPerItem = 2 * shape.nKeys * 4;
  const chunk = Math.max(1, Math.min(items, Math.floor(Math.min(device.limits.maxStorageBufferBindingSize, 16 * 2 ** 20) / bytesPerItem)));
  const halfScores = scratchBuffer(device, `${LOOKUP_KERNEL}.halfScores`, chunk * bytesPerItem);
  const temporaries = [halfScores];
  for (let itemStart = 0; itemStart < items; itemStart += chunk) {
    const itemCount = Math.min(chunk, items - itemStart);
    const params = uniformBuffer(device, `${LOOKUP_KERNEL}.params`, [shape.numTokens, shape.heads, shape.nKeys, shape.keyDim / 2, shape.k, itemStart, itemCount, 0]);
    temporaries.push(params);
    encodeDispatch(device, encoder, pipelines.score, { 0: params, 1: buffers.queries, 2: buffers.subKeys, 6: halfScores }, groupsFor(itemCount * 2 * shape.nKeys), `${LOOKUP_KERNEL}.score_keys`);
    encodeDispatch(device, encoder, pipelines.select, { 0: params, 3: buffers.slotIds, 4: buffers.scores, 5: buffers.weights, 6: halfScores }, groupsFor(itemCount), `${LOOKUP_KERNEL}.select_slots`);
  }
  return temporaries;
}

/** Typed arrays in, typed arrays out (tests, scripts). */
export async function memoryLookupGpu(device: GPUDevice, shape: LookupShape, queries: Float32Array, subKeys: Float32Array): Promise<LookupResult> {
  assertLookupShape(shape);
  const sizes = lookupSizes(shape);
  if (queries.length !== sizes.queries) throw new Error(`memory-lookup: queries must be [T, H, Dk] = ${sizes.queries} floats, got ${queries.length}`);
  if (subKeys.length !== sizes.subKeys) throw new Error(`memory-lookup: subKeys must be [H, 2, nKeys, Dk/2] = ${sizes.subKeys} floats, got ${subKeys.length}`);
  const pipeline = await prepareMemoryLookup(device);
  const buffers: LookupBuffers = {
    queries: createStorageBuffer(device, queries, `${LOOKUP_KERNEL}.queries`),
    subKeys: createStorageBuffer(device, subKeys, `${LOOKUP_KERNEL}.subKeys`),
    slotIds: scratchBuffer(device, `${LOOKUP_KERNEL}.slotIds`, sizes.out * 4),
    scores: scratchBuffer(device, `${LOOKUP_KERNEL}.scores`, sizes.out * 4),
    weights: scratchBuffer(device, `${LOOKUP_KERNEL}.weights`, sizes.out * 4),
  };
  const temporaries: GPUBuffer[] = [];
  try {
    await withValidation(device, LOOKUP_KERNEL, () => {
      const encoder = device.createCommandEncoder({ label: LOOKUP_KERNEL });
      temporaries.push(...encodeMemoryLookup(device, encoder, pipeline, shape, buffers));
      device.queue.submit([encoder.finish()]);
    });
    const [slotIds, scores, weights] = await Promise.all([
      readBuffer(device, buffers.slotIds, sizes.out * 4),
      readBuffer(device, buffers.scores, sizes.out * 4),
      readBuffer(device, buffers.weights, sizes.out * 4),
    ]);
    return { slotIds: new Int32Array(slotIds), scores: new Float32Array(scores), weights: new Float32Array(weights) };
  } finally {
    for (const buffer of [...Object.values(buffers), ...temporaries]) buffer.destroy();
  }
}
