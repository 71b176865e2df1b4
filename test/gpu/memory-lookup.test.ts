import { describe, expect, it } from 'vitest';
import shaderCode from '../../shaders/memory-lookup.wgsl?raw';
import { LOOKUP_KERNEL, memoryLookupGpu, type LookupShape } from '../../src/kernels/memory-lookup';
import { memoryLookupReference } from '../../src/kernels/memory-lookup-reference';
import { compileComputePipeline } from '../../src/gpu/compute-pipeline';
import { ShaderCompileError } from '../../src/gpu/gpu-errors';
import { seededRandom } from '../seeded-random';
import { closeness, randomFloats, randomSmallInts } from '../kernel-cases';
import { nodeTestDevice } from './node-webgpu';
import { useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(nodeTestDevice);

function inputs(rand: () => number, shape: LookupShape, exact: boolean) {
  const q = shape.numTokens * shape.heads * shape.keyDim;
  const keys = shape.heads * 2 * shape.nKeys * (shape.keyDim / 2);
  return exact ? [randomSmallInts(rand, q), randomSmallInts(rand, keys)] : [randomFloats(rand, q), randomFloats(rand, keys)];
}

describe('memory-lookup kernel (WGSL vs TypeScript twin)', () => {
  it('matches the twin exactly, ties included, on integer-valued inputs', async () => {
    const rand = seededRandom(21);
    const shapes: LookupShape[] = [
      { numTokens: 3, heads: 1, nKeys: 37, keyDim: 4, k: 5 },
      { numTokens: 5, heads: 3, nKeys: 100, keyDim: 16, k: 32 },
      { numTokens: 2, heads: 2, nKeys: 64, keyDim: 2, k: 1 },
      { numTokens: 1, heads: 4, nKeys: 1024, keyDim: 128, k: 32 }, // N = 1,048,576
    ];
    for (const shape of shapes) {
      const [queries, subKeys] = inputs(rand, shape, true);
      const expected = memoryLookupReference(shape, queries, subKeys);
      const actual = await memoryLookupGpu(gpu.device, shape, queries, subKeys);
      expect(Array.from(actual.slotIds), JSON.stringify(shape)).toEqual(Array.from(expected.slotIds));
      expect(Array.from(actual.scores)).toEqual(Array.from(expected.scores));
      expect(closeness(actual.weights, expected.weights, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    }
  });

  it('returns a correct top-K on real-valued inputs (order may differ only inside float near-ties)', async () => {
    const rand = seededRandom(22);
    const shape: LookupShape = { numTokens: 7, heads: 2, nKeys: 256, keyDim: 32, k: 32 };
    const [queries, subKeys] = inputs(rand, shape, false);
    const expected = memoryLookupReference(shape, queries, subKeys);
    const actual = await memoryLookupGpu(gpu.device, shape, queries, subKeys);
    expect(closeness(actual.scores, expected.scores, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    expect(closeness(actual.weights, expected.weights, 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    const k = shape.k;
    let compared = 0;
    for (let i = 0; i < expected.scores.length; i++) {
      const r = i % k;
      const gapBefore = r > 0 ? expected.scores[i - 1] - expected.scores[i] : Infinity;
      const gapAfter = r < k - 1 ? expected.scores[i] - expected.scores[i + 1] : Infinity;
      if (Math.min(gapBefore, gapAfter) > 1e-4) {
        expect(actual.slotIds[i]).toBe(expected.slotIds[i]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(expected.scores.length / 2);
  });

  it('rejects shapes the kernel cannot hold, naming the limit', async () => {
    const shape = { numTokens: 1, heads: 1, nKeys: 16, keyDim: 8, k: 33 };
    await expect(memoryLookupGpu(gpu.device, shape, new Float32Array(8), new Float32Array(128))).rejects.toThrow(/K must be in \[1, 32\]/);
  });

  it('surfaces a compile error in its WGSL as a ShaderCompileError naming the kernel and line', async () => {
    const lines = shaderCode.split('\n');
    const target = lines.findIndex((l) => l.includes('let head = item % params.heads;'));
    lines[target] = '  let head = item % params.noSuchField;';
    const error = await compileComputePipeline(gpu.device, LOOKUP_KERNEL, lines.join('\n'), 'score_keys').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    expect((error as ShaderCompileError).kernel).toBe(LOOKUP_KERNEL);
    expect((error as ShaderCompileError).line).toBe(target + 1);
  });
});
