/**
 * The memory kernels' WGSL in Chromium (SwiftShader), against the TypeScript twins; and the tfjs-webgpu
 * integration (same device, in place, guards) in the browser. Shapes are small: SwiftShader JITs each pipeline.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import shaderCode from '../../shaders/read-backward.wgsl?raw';
import { compileComputePipeline } from '../../src/gpu/compute-pipeline';
import { ShaderCompileError } from '../../src/gpu/gpu-errors';
import { initBackend } from '../../src/gpu/tf-backend';
import { installTfOpGuards } from '../../src/gpu/tf-op-guards';
import { flushTfjs } from '../../src/gpu/tf-interop';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { memoryLookupGpu, type LookupShape } from '../../src/kernels/memory-lookup';
import { memoryLookupReference } from '../../src/kernels/memory-lookup-reference';
import { createValueTable, destroyValueTable, readValueTable } from '../../src/kernels/value-table';
import { valueReadGpu } from '../../src/kernels/value-read';
import { valueReadReference } from '../../src/kernels/value-read-reference';
import { readBackwardGpu, uniqueSlotsOf, READ_BACKWARD_KERNEL } from '../../src/kernels/read-backward';
import { readBackwardReference } from '../../src/kernels/read-backward-reference';
import { sparseUpdateGpu } from '../../src/kernels/sparse-update';
import { sparseUpdateReference } from '../../src/kernels/sparse-update-reference';
import { createTfMemoryKernels, tfValueTable } from '../../src/kernels/memory-kernels-tf';
import { randomInt, seededRandom } from '../seeded-random';
import { closeness, randomFloats, randomSlotIds, randomSmallInts } from '../kernel-cases';
import { browserTestDevice, useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(browserTestDevice);

describe('memory kernels in Chromium (WGSL vs TypeScript twins)', () => {
  it('lookup matches the twin exactly on integer-valued inputs (ties included), up to nKeys = 1024', async () => {
    const rand = seededRandom(71);
    const shapes: LookupShape[] = [
      { numTokens: 9, heads: 3, nKeys: 70, keyDim: 8, k: 32 },
      { numTokens: 1, heads: 2, nKeys: 1024, keyDim: 128, k: 32 },
    ];
    for (const shape of shapes) {
      const queries = randomSmallInts(rand, shape.numTokens * shape.heads * shape.keyDim);
      const subKeys = randomSmallInts(rand, shape.heads * 2 * shape.nKeys * (shape.keyDim / 2));
      const expected = memoryLookupReference(shape, queries, subKeys);
      const actual = await memoryLookupGpu(gpu.device, shape, queries, subKeys);
      expect(Array.from(actual.slotIds)).toEqual(Array.from(expected.slotIds));
      expect(Array.from(actual.scores)).toEqual(Array.from(expected.scores));
      expect(closeness(actual.weights, expected.weights, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    }
  });

  it('value read, read backward and sparse update match the twins on sharded tables up to N = 1,048,576', async () => {
    const rand = seededRandom(72);
    for (const [numSlots, dim, maxRows, numTokens, reads] of [[3000, 70, 1000, 13, 4 * 32], [1_048_576, 4, 400_000, 10, 4 * 32]]) {
      const values = randomFloats(rand, numSlots * dim);
      const table = createValueTable(gpu.device, values, numSlots, dim, maxRows);
      try {
        expect(table.numShards).toBe(3);
        const ids = randomSlotIds(rand, numTokens * reads, numSlots, 150);
        const weights = randomFloats(rand, ids.length);
        const dY = randomFloats(rand, numTokens * dim);
        expect(closeness(await valueReadGpu(gpu.device, table, ids, weights, numTokens), valueReadReference(values, numSlots, dim, ids, weights, numTokens))).toBeLessThanOrEqual(1);
        const slots = uniqueSlotsOf(ids, numSlots).filter(() => rand() < 0.5);
        const args = { slotIds: ids, weights, dY, numTokens, dim, numSlots, slots };
        const back = await readBackwardGpu(gpu.device, { ...args, table });
        const expected = readBackwardReference({ ...args, values });
        expect(closeness(back.rowGrads, expected.rowGrads)).toBeLessThanOrEqual(1);
        expect(closeness(back.dWeights!, expected.dWeights!)).toBeLessThanOrEqual(1);
        await sparseUpdateGpu(gpu.device, table, slots, back.rowGrads, 4);
        sparseUpdateReference(values, dim, slots, back.rowGrads, 4);
        const after = await readValueTable(gpu.device, table);
        let mismatches = 0;
        for (let i = 0; i < after.length; i++) if (after[i] !== values[i]) mismatches++;
        expect(mismatches).toBe(0);
      } finally {
        destroyValueTable(table);
      }
    }
  });

  it('a compile error in a kernel surfaces as a ShaderCompileError naming the kernel and line', async () => {
    const lines = shaderCode.split('\n');
    const target = lines.findIndex((l) => l.includes('let slot = slotIds[r];'));
    lines[target] = '  let slot = slotIds[r] + undefinedThing;';
    const error = await compileComputePipeline(gpu.device, READ_BACKWARD_KERNEL, lines.join('\n'), 'count_reads').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    expect((error as ShaderCompileError).line).toBe(target + 1);
  });
});

describe('memory kernels on tfjs-webgpu tensors in Chromium', () => {
  it('run on tfjs\'s device: lookup, read, backward, in-place update, guards, no leaks', async () => {
    const tfErrors: string[] = [];
    const info = await initBackend({ preference: ['webgpu'], onGpuError: (e) => tfErrors.push(e.message) });
    expect(info.name).toBe('webgpu');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const kernels = (await createTfMemoryKernels())!;
    const rand = seededRandom(74);
    const T = 5, H = 2, NKEYS = 32, DK = 8, K = 6, N = NKEYS * NKEYS, DV = 12;
    const q = randomSmallInts(rand, T * H * DK);
    const keys = randomSmallInts(rand, H * 2 * NKEYS * (DK / 2));
    const queries = tf.tensor3d(q, [T, H, DK]);
    const subKeys = tf.tensor4d(keys, [H, 2, NKEYS, DK / 2]);
    const init = tf.tensor2d(randomFloats(rand, N * DV), [N, DV]);
    const values = tf.variable(init, false);
    init.dispose();
    const table = tfValueTable(values as tf.Tensor2D);
    const dY = tf.tensor2d(randomFloats(rand, T * DV), [T, DV]);

    const step = async (check: boolean) => {
      const out = kernels.lookup(queries, subKeys, K);
      const ids = (await out.slotIds.data()) as Int32Array;
      const y = kernels.valueRead(table, out.slotIds, out.weights);
      const slots = uniqueSlotsOf(ids, N).slice(0, 7);
      const { rowGrads } = kernels.readBackward(dY, out.slotIds, out.weights, slots, table);
      const before = ((await values.data()) as Float32Array).slice();
      kernels.sparseUpdate(table, slots, rowGrads, 0.5);
      const after = (await values.data()) as Float32Array;
      if (check) {
        const expected = memoryLookupReference({ numTokens: T, heads: H, nKeys: NKEYS, keyDim: DK, k: K }, q, keys);
        expect(Array.from(ids)).toEqual(Array.from(expected.slotIds));
        const w = (await out.weights.data()) as Float32Array;
        expect(closeness((await y.data()) as Float32Array, valueReadReference(before, N, DV, ids, w, T))).toBeLessThanOrEqual(1);
        const g = readBackwardReference({ slotIds: ids, weights: w, dY: (await dY.data()) as Float32Array, numTokens: T, dim: DV, numSlots: N, slots });
        expect(closeness((await rowGrads.data()) as Float32Array, g.rowGrads)).toBeLessThanOrEqual(1);
        const expectedAfter = before.slice();
        sparseUpdateReference(expectedAfter, DV, slots, g.rowGrads, 0.5);
        expect(closeness(after, expectedAfter, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
      }
      tf.dispose([out.slotIds, out.scores, out.weights, y, rowGrads]);
    };
    await step(true);
    const tensors = tf.memory().numTensors;
    const bytes = kernels.backend.memory().numBytesInGPU;
    for (let i = 0; i < 3; i++) await step(false);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(kernels.backend.memory().numBytesInGPU).toBe(bytes);

    // Guards: addN past the storage-buffer limit and an int32 transpose of rank 3.
    const limit = info.device!.limits.maxStorageBuffersPerShaderStage;
    const parts = Array.from({ length: 3 * limit + 1 }, (_, i) => tf.fill([2, 3], i + 1));
    const total = tf.addN(parts);
    expect(Array.from(await total.data())).toEqual(new Array(6).fill(((3 * limit + 1) * (3 * limit + 2)) / 2));
    const ints = tf.tensor3d(Int32Array.from({ length: 24 }, (_, i) => i * 1000 - 7), [2, 3, 4], 'int32');
    const moved = tf.transpose(ints, [2, 0, 1]);
    expect(Array.from((await moved.data()).slice(0, 4))).toEqual([-7, 3993, 7993, 11993]); // out[0, 0, c] = ints[0, c, 0]
    tf.dispose([...parts, total, ints, moved, queries, subKeys, values, dY]);
    expect(tfErrors).toEqual([]);
  });

  it('addN with 8 inputs fails silently on a default-limits gpu.device without the guard, and is right with it', async () => {
    if (!tf.findBackend('webgpu')) await initBackend({ preference: ['webgpu'] });
    const adapter = (await navigator.gpu.requestAdapter())!;
    const plain = await adapter.requestDevice(); // default limits: 8 storage buffers per stage
    expect(plain.limits.maxStorageBuffersPerShaderStage).toBe(8);
    const uncaptured: string[] = [];
    plain.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
    installTfOpGuards('webgpu')(); // copy tfjs's own kernels, then put our guards back
    for (const config of tf.getKernelsForBackend('webgpu')) tf.registerKernel({ ...config, backendName: 'webgpu-plain' });
    installTfOpGuards('webgpu');
    tf.registerBackend('webgpu-plain', () => new WebGPUBackend(plain, adapter.info), 0);
    const addN = async (n: number) => {
      await tf.setBackend('webgpu-plain');
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      const backend = tf.backend() as WebGPUBackend;
      plain.pushErrorScope('validation');
      const parts = Array.from({ length: n }, (_, i) => tf.fill([4, 4], i + 1));
      const sum = tf.addN(parts);
      flushTfjs(backend);
      const values = Array.from(await sum.data());
      const error = await plain.popErrorScope();
      tf.dispose([...parts, sum]);
      return { ok: !error && values.every((v) => v === (n * (n + 1)) / 2), error: error?.message ?? null };
    };
    try {
      expect((await addN(7)).ok).toBe(true);
      expect((await addN(8)).ok).toBe(false); // tfjs-webgpu 4.22: invalid pipeline, zeros
      installTfOpGuards('webgpu-plain');
      expect(await addN(8)).toEqual({ ok: true, error: null });
      expect((await addN(25)).ok).toBe(true);
    } finally {
      await tf.setBackend('webgpu');
      tf.removeBackend('webgpu-plain');
    }
    expect(uncaptured).toEqual([]);
  });
});
