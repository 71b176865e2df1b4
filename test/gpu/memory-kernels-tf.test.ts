import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { initBackend } from '../../src/gpu/tf-backend';
import type { GpuError } from '../../src/gpu/gpu-errors';
import { createTfMemoryKernels, tfValueTable, type TfMemoryKernels } from '../../src/kernels/memory-kernels-tf';
import { productKeyLookup, sparseRowGradient, valueReadTf } from '../../src/model/memory-layer';
import { memoryLookupReference } from '../../src/kernels/memory-lookup-reference';
import { readBackwardReference } from '../../src/kernels/read-backward-reference';
import { sparseUpdateReference } from '../../src/kernels/sparse-update-reference';
import { randomInt, seededRandom } from '../seeded-random';
import { closeness, randomFloats, randomSmallInts } from '../kernel-cases';

const gpuErrors: string[] = [];
let kernels: TfMemoryKernels;

beforeAll(async () => {
  const info = await initBackend({ preference: ['webgpu'], onGpuError: (e: GpuError) => gpuErrors.push(e.message) });
  expect(info.name).toBe('webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false); // small tensors must really run on the GPU
  kernels = (await createTfMemoryKernels())!;
  expect(kernels).not.toBeNull();
});
afterAll(() => {
  expect(gpuErrors).toEqual([]);
});

const T = 6, H = 2, NKEYS = 40, DK = 16, K = 8, N = NKEYS * NKEYS, DV = 24;

/** A variable that owns its buffer: tf.variable(x) shares x's buffer until x is disposed. */
function ownedVariable(init: tf.Tensor2D): tf.Variable<tf.Rank.R2> {
  const v = tf.variable(init, false);
  init.dispose();
  return v;
}

function setup(seed: number) {
  const rand = seededRandom(seed);
  const queries = tf.tensor3d(randomFloats(rand, T * H * DK), [T, H, DK]);
  const subKeys = tf.tensor4d(randomFloats(rand, H * 2 * NKEYS * (DK / 2)), [H, 2, NKEYS, DK / 2]);
  const values = ownedVariable(tf.tensor2d(randomFloats(rand, N * DV), [N, DV]));
  const dY = tf.tensor2d(randomFloats(rand, T * DV), [T, DV]);
  return { rand, queries, subKeys, values, dY };
}

describe('memory kernels on tfjs tensors (same GPUDevice as tfjs-webgpu)', () => {
  it('lookup matches the twin exactly on integer-valued inputs, right after a tfjs op wrote the queries', async () => {
    const rand = seededRandom(41);
    const q = randomSmallInts(rand, T * H * DK);
    const keys = randomSmallInts(rand, H * 2 * NKEYS * (DK / 2));
    const raw = tf.tensor3d(q.map((x) => x / 2), [T, H, DK]);
    const queries = tf.mul(raw, 2) as tf.Tensor3D; // still pending in tfjs's unsubmitted encoder
    const subKeys = tf.tensor4d(keys, [H, 2, NKEYS, DK / 2]);
    const out = kernels.lookup(queries, subKeys, K);
    const expected = memoryLookupReference({ numTokens: T, heads: H, nKeys: NKEYS, keyDim: DK, k: K }, q, keys);
    expect(Array.from(await out.slotIds.data())).toEqual(Array.from(expected.slotIds));
    expect(Array.from(await out.scores.data())).toEqual(Array.from(expected.scores));
    expect(closeness(await out.weights.data(), expected.weights, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    tf.dispose([raw, queries, subKeys, out.slotIds, out.scores, out.weights]);
  });

  it("agrees with the model's tf-op memory layer (productKeyLookup, valueReadTf, sparseRowGradient) and the twins", async () => {
    const { rand, queries, subKeys, values, dY } = setup(42);
    const custom = kernels.lookup(queries, subKeys, K);
    const ops = productKeyLookup(queries, subKeys, K); // what forward() runs without kernels, here on webgpu
    const twin = memoryLookupReference({ numTokens: T, heads: H, nKeys: NKEYS, keyDim: DK, k: K }, (await queries.data()) as Float32Array, (await subKeys.data()) as Float32Array);
    expect(Array.from(await custom.slotIds.data())).toEqual(Array.from(twin.slotIds));
    expect(Array.from(await ops.ids.data())).toEqual(Array.from(twin.slotIds));
    expect(closeness(await custom.weights.data(), await ops.weights.data(), 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    expect(closeness(await ops.weights.data(), twin.weights, 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    const { slotIds, weights } = custom;
    const table = tfValueTable(values);
    const y = kernels.valueRead(table, slotIds, weights);
    const yOps = valueReadTf(values, slotIds, weights);
    expect(closeness(await y.data(), await yOps.data())).toBeLessThanOrEqual(1);

    // Row gradients: the kernel against the tf-op path's sparseRowGradient (host ids and weights, one matMul)
    // and the twin; dWeights against autodiff of valueReadTf w.r.t. the weights (the model's own gradient).
    const hostIds = (await slotIds.data()) as Int32Array;
    const hostWeights = (await weights.data()) as Float32Array;
    const accessed = Int32Array.from(new Set(hostIds));
    const slots = Int32Array.from(accessed.filter(() => rand() < 0.5));
    const back = kernels.readBackward(dY, slotIds, weights, slots, table, true);
    const rowGradsOps = sparseRowGradient(hostIds, hostWeights, H * K, dY, slots);
    const before = (await values.data()).slice() as Float32Array; // also caches the values on tfjs's CPU side
    const expectedBack = readBackwardReference({ slotIds: hostIds, weights: hostWeights, dY: (await dY.data()) as Float32Array, numTokens: T, dim: DV, numSlots: N, slots, values: before });
    expect(closeness(await back.rowGrads.data(), await rowGradsOps.data())).toBeLessThanOrEqual(1);
    expect(closeness(await back.rowGrads.data(), expectedBack.rowGrads)).toBeLessThanOrEqual(1);
    const dWeightsOps = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(valueReadTf(values, slotIds, w as tf.Tensor3D), dY)))(weights);
    expect(closeness(await back.dWeights!.data(), await dWeightsOps.data())).toBeLessThanOrEqual(1);
    expect(closeness(await back.dWeights!.data(), expectedBack.dWeights!)).toBeLessThanOrEqual(1);

    const lr = 0.75;
    const expectedAfter = before.slice();
    sparseUpdateReference(expectedAfter, DV, slots, (await back.rowGrads.data()) as Float32Array, lr);
    kernels.sparseUpdate(table, slots, back.rowGrads, lr);
    const gathered = tf.gather(values, tf.tensor1d(slots, 'int32')); // tfjs reads V right after our in-place write
    const expectedRows = Float32Array.from(Array.from(slots).flatMap((s) => Array.from(expectedAfter.subarray(s * DV, (s + 1) * DV))));
    expect(closeness(await gathered.data(), expectedRows, 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    const after = await values.data(); // must not be tfjs's stale CPU copy
    expect(closeness(after, expectedAfter, 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    const chosen = new Set(slots);
    let movedOutside = 0;
    let movedInside = 0;
    for (let i = 0; i < after.length; i++) {
      const moved = after[i] !== before[i];
      if (chosen.has(Math.floor(i / DV))) movedInside += moved ? 1 : 0;
      else movedOutside += moved ? 1 : 0;
    }
    expect(movedOutside).toBe(0);
    expect(movedInside).toBeGreaterThan(0);
    tf.dispose([queries, subKeys, values, dY, custom.slotIds, custom.scores, custom.weights, ops.ids, ops.weights, y, yOps, back.rowGrads, back.dWeights!, rowGradsOps, dWeightsOps, gathered]);
  });

  it('reads and updates a table split into row shards exactly like the whole table', async () => {
    const { queries, subKeys, values, dY } = setup(43);
    const { slotIds, weights, scores } = kernels.lookup(queries, subKeys, K);
    const shards = tf.split(values, [700, 700, N - 1400], 0).map((s) => ownedVariable(s as tf.Tensor2D));
    const sharded = tfValueTable(shards as tf.Tensor2D[]);
    expect(sharded.numSlots).toBe(N);
    const whole = tfValueTable(values);
    expect(closeness(await kernels.valueRead(sharded, slotIds, weights).data(), await kernels.valueRead(whole, slotIds, weights).data())).toBeLessThanOrEqual(1);
    const slots = Int32Array.from([0, 699, 700, 1399, 1400, N - 1]);
    const grads = tf.tensor2d(randomFloats(seededRandom(9), slots.length * DV), [slots.length, DV]);
    kernels.sparseUpdate(sharded, slots, grads, 2);
    kernels.sparseUpdate(whole, slots, grads, 2);
    expect(Array.from(await tf.concat(shards, 0).data())).toEqual(Array.from(await values.data()));
    const g1 = kernels.readBackward(dY, slotIds, weights, slots, sharded, true);
    const g2 = kernels.readBackward(dY, slotIds, weights, slots, whole, true);
    expect(closeness(await g1.dWeights!.data(), await g2.dWeights!.data())).toBeLessThanOrEqual(1);
    tf.dispose([queries, subKeys, values, dY, slotIds, weights, scores, grads, ...shards]);
  });

  it('refuses an in-place update of a buffer another tensor shares, and checks shapes', () => {
    const values = tf.tensor2d(new Float32Array(4 * 3), [4, 3]);
    const alias = tf.reshape(values, [12]); // shares the GPUBuffer
    const grads = tf.zeros([1, 3]) as tf.Tensor2D;
    expect(() => kernels.sparseUpdate(tfValueTable(values), Int32Array.from([1]), grads, 1)).toThrow(/only reference/);
    alias.dispose();
    expect(() => kernels.sparseUpdate(tfValueTable(values), Int32Array.from([1, 2]), grads, 1)).toThrow(/expected float32 \[2,3\]/);
    tf.dispose([values, grads]);
  });

  it('handles an empty slot request (nothing to train) in backward and update', async () => {
    const { queries, subKeys, values, dY } = setup(45);
    const table = tfValueTable(values);
    const { slotIds, scores, weights } = kernels.lookup(queries, subKeys, K);
    const none = new Int32Array(0);
    const a = kernels.readBackward(dY, slotIds, weights, none, table);
    expect(a.rowGrads.shape).toEqual([0, DV]);
    const b = kernels.readBackward(dY, slotIds, weights, none, table, true);
    const full = kernels.readBackward(dY, slotIds, weights, Int32Array.from([0]), table, true);
    expect(Array.from(await b.dWeights!.data())).toEqual(Array.from(await full.dWeights!.data()));
    kernels.sparseUpdate(table, none, a.rowGrads, 1);
    tf.dispose([queries, subKeys, values, dY, slotIds, scores, weights, a.rowGrads, b.rowGrads, b.dWeights!, full.rowGrads, full.dWeights!]);
  });

  it('leaks no tensors and no GPU bytes over repeated steps', async () => {
    const { rand, queries, subKeys, values, dY } = setup(44);
    const table = tfValueTable(values);
    const step = async () => {
      const { slotIds, scores, weights } = kernels.lookup(queries, subKeys, K);
      const y = kernels.valueRead(table, slotIds, weights);
      const slots = Int32Array.from(new Set(await slotIds.data())).slice(0, randomInt(rand, 1, 20));
      const { rowGrads, dWeights } = kernels.readBackward(dY, slotIds, weights, slots, table, true);
      kernels.sparseUpdate(table, slots, rowGrads, 0.5);
      await y.data();
      tf.dispose([slotIds, scores, weights, y, rowGrads, dWeights!]);
    };
    await step(); // warm-up: pipelines and tfjs's buffer pool
    const backend = kernels.backend;
    const tensors = tf.memory().numTensors;
    const bytes = backend.memory().numBytesInGPU;
    for (let i = 0; i < 4; i++) await step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.memory().numBytesInGPU).toBe(bytes);
    tf.dispose([queries, subKeys, values, dY]);
  });
});
