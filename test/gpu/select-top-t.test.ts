import { describe, expect, it } from 'vitest';
import { tfidfTopT } from '../../src/kernels/select-top-t';
import { slotCountsGpu } from '../../src/kernels/slot-counts';
import { selectTopT, tfidfScores } from '../../src/learn/tfidf';
import { planValueTable } from '../../src/kernels/value-table';
import { randomInt, seededRandom } from '../seeded-random';
import { randomSlotIds } from '../kernel-cases';
import { nodeTestDevice } from './node-webgpu';
import { useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(nodeTestDevice);

describe('TF-IDF top-t selection (CPU, O(reads)) against the GPU slot counts and src/learn/tfidf.ts', () => {
  it('picks the same slots, in the same order, ties and hubs included', async () => {
    const rand = seededRandom(61);
    for (const numSlots of [50, 4096, 1_048_576]) {
      for (const t of [0, 1, 7, 500, 100_000]) {
        const numTokens = randomInt(rand, 1, 70);
        const readsPerToken = 4 * 8;
        const ids = randomSlotIds(rand, numTokens * readsPerToken, numSlots, randomInt(rand, 1, 400));
        const mask = Uint8Array.from({ length: numTokens }, () => (rand() < 0.8 ? 1 : 0));
        const numBatches = 20;
        // Few distinct df values (ties), and some hubs read by every background batch (score 0).
        const df = Uint32Array.from({ length: numSlots }, () => [0, 3, 3, 19, numBatches][randomInt(rand, 0, 5)]);
        const { counts } = await slotCountsGpu(gpu.device, ids, mask, readsPerToken, numSlots); // the TF term on the GPU
        const expected = selectTopT(tfidfScores(counts, { df, numBatches }), t);
        const actual = tfidfTopT({ slotIds: ids, tokenMask: mask, numSlots, df, numBackgroundBatches: numBatches, t });
        expect(Array.from(actual.slots), `N=${numSlots} t=${t}`).toEqual(Array.from(expected.slots));
        expect(Array.from(actual.scores)).toEqual(Array.from(expected.scores));
        expect(actual.accessed).toBe(counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0));
      }
    }
  });
});

describe('value table sharding plan (large memories)', () => {
  it('splits N = 1,048,576 x Dv = 128 fp32 (512 MiB) into 4 shards under a 128 MiB binding limit, 1 under 1 GiB', () => {
    const mib = 2 ** 20;
    expect(planValueTable(1_048_576, 128, { maxStorageBufferBindingSize: 128 * mib, maxBufferSize: 256 * mib })).toEqual({ numSlots: 1_048_576, dim: 128, rowsPerShard: 262_144, numShards: 4 });
    expect(planValueTable(1_048_576, 128, { maxStorageBufferBindingSize: 1024 * mib, maxBufferSize: 1024 * mib }).numShards).toBe(1);
    expect(planValueTable(1_000_000, 256, { maxStorageBufferBindingSize: 128 * mib, maxBufferSize: 2 ** 40 })).toEqual({ numSlots: 1_000_000, dim: 256, rowsPerShard: 131_072, numShards: 8 });
    expect(() => planValueTable(10, 64, { maxStorageBufferBindingSize: 128, maxBufferSize: 2 ** 30 })).toThrow(/exceeds/);
  });

  it('this gpu.device binds what the table needs: gpu.device limits were raised to the adapter limits', () => {
    const layout = planValueTable(1_048_576, 128, gpu.device.limits);
    expect(layout.rowsPerShard * 128 * 4).toBeLessThanOrEqual(gpu.device.limits.maxStorageBufferBindingSize);
  });
});
