import { describe, expect, it } from 'vitest';
import { slotCountsGpu } from '../../src/kernels/slot-counts';
import { slotCountsReference } from '../../src/kernels/slot-counts-reference';
import { ShaderCompileError } from '../../src/gpu/gpu-errors';
import { compileComputePipeline } from '../../src/gpu/compute-pipeline';
import { randomInt, seededRandom } from '../seeded-random';
import { nodeTestDevice } from './node-webgpu';
import { useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(nodeTestDevice);

describe('slot-counts kernel (WGSL vs TypeScript twin)', () => {
  it('matches the twin on randomized shapes, duplicate ids and pad positions', async () => {
    const rand = seededRandom(7);
    for (let trial = 0; trial < 12; trial++) {
      const numSlots = [1, 17, 256, 4096, 65536][trial % 5];
      const numTokens = randomInt(rand, 1, 90);
      const readsPerToken = [1, 3, 4 * 32][trial % 3];
      // Few distinct ids on purpose: many duplicates stress the atomics.
      const distinct = Math.max(1, randomInt(rand, 1, Math.min(numSlots, 50)));
      const ids = Int32Array.from({ length: numTokens * readsPerToken }, () => randomInt(rand, 0, distinct));
      const mask = Uint8Array.from({ length: numTokens }, () => (rand() < 0.8 ? 1 : 0));
      const expected = slotCountsReference(ids, mask, readsPerToken, numSlots);
      const actual = await slotCountsGpu(gpu.device, ids, mask, readsPerToken, numSlots);
      expect(actual.dropped).toBe(expected.dropped);
      expect(Array.from(actual.counts)).toEqual(Array.from(expected.counts));
    }
  });

  it('counts nothing for pad tokens and reports out-of-range ids instead of writing them', async () => {
    const ids = Int32Array.from([0, 1, 2, 9, -1, 3]);
    const mask = Uint8Array.from([1, 0, 1]); // token 1 (ids 2, 9) is padding
    const { counts, dropped } = await slotCountsGpu(gpu.device, ids, mask, 2, 4);
    expect(Array.from(counts)).toEqual([1, 1, 0, 1]);
    expect(dropped).toBe(1); // the -1 of token 2
  });

  it('handles launches beyond one dispatch dimension (more than 65,535 workgroups)', async () => {
    const numTokens = 70_000;
    const ids = Int32Array.from({ length: numTokens * 64 }, (_, i) => (i * 2654435761) % 1_048_576);
    const mask = new Uint8Array(numTokens).fill(1);
    const expected = slotCountsReference(ids, mask, 64, 1_048_576);
    const actual = await slotCountsGpu(gpu.device, ids, mask, 64, 1_048_576);
    expect(actual.dropped).toBe(0);
    expect(Array.from(actual.counts)).toEqual(Array.from(expected.counts));
  });

  it('turns a WGSL compile error into a typed error naming the kernel and line', async () => {
    const broken = '@compute @workgroup_size(1)\nfn main() {\n  let x : u32 = nope;\n}\n';
    const error = await compileComputePipeline(gpu.device, 'broken-kernel', broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    expect((error as ShaderCompileError).kernel).toBe('broken-kernel');
    expect((error as ShaderCompileError).line).toBe(3);
  });
});
