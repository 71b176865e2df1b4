import { describe, expect, it } from 'vitest';
import { createValueTable, destroyValueTable, readValueTable } from '../../src/kernels/value-table';
import { valueReadGpu } from '../../src/kernels/value-read';
import { valueReadReference } from '../../src/kernels/value-read-reference';
import { readBackwardGpu, uniqueSlotsOf } from '../../src/kernels/read-backward';
import { readBackwardReference } from '../../src/kernels/read-backward-reference';
import { sparseUpdateGpu } from '../../src/kernels/sparse-update';
import { sparseUpdateReference } from '../../src/kernels/sparse-update-reference';
import { randomInt, seededRandom } from '../seeded-random';
import { closeness, randomFloats, randomSlotIds } from '../kernel-cases';
import { nodeTestDevice } from './node-webgpu';
import { useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(nodeTestDevice);

// [N, Dv, max rows per shard (forces several shards), T, H*K]
const CASES: Array<[number, number, number, number, number]> = [
  [17, 3, Infinity, 5, 7],
  [1000, 130, 300, 9, 4 * 32],
  [4096, 300, Infinity, 3, 2 * 5],
  [65_536, 64, 20_000, 33, 4 * 32],
  [1_048_576, 4, 300_000, 20, 4 * 32],
];

describe('value-read kernel (WGSL vs TypeScript twin)', () => {
  it('matches the twin on randomized shapes, sharded tables, duplicates and invalid ids', async () => {
    const rand = seededRandom(31);
    for (const [numSlots, dim, maxRows, numTokens, reads] of CASES) {
      const values = randomFloats(rand, numSlots * dim);
      const table = createValueTable(gpu.device, values, numSlots, dim, maxRows);
      try {
        const ids = randomSlotIds(rand, numTokens * reads, numSlots, Math.max(1, randomInt(rand, 1, 200)));
        const weights = randomFloats(rand, ids.length);
        const expected = valueReadReference(values, numSlots, dim, ids, weights, numTokens);
        const actual = await valueReadGpu(gpu.device, table, ids, weights, numTokens);
        expect(closeness(actual, expected, 1e-5, 1e-4), `N=${numSlots} Dv=${dim} shards=${table.numShards}`).toBeLessThanOrEqual(1);
      } finally {
        destroyValueTable(table);
      }
    }
  });
});

describe('read-backward kernel (WGSL vs TypeScript twin)', () => {
  it('aggregates row gradients per requested slot and dWeights per read, on sharded tables', async () => {
    const rand = seededRandom(32);
    for (const [numSlots, dim, maxRows, numTokens, reads] of CASES) {
      const values = randomFloats(rand, numSlots * dim);
      const table = createValueTable(gpu.device, values, numSlots, dim, maxRows);
      try {
        const ids = randomSlotIds(rand, numTokens * reads, numSlots, Math.max(1, randomInt(rand, 1, 300)));
        const weights = randomFloats(rand, ids.length);
        const dY = randomFloats(rand, numTokens * dim);
        const accessed = uniqueSlotsOf(ids, numSlots);
        // Twice, with different requests: a stale slot map from the first call would corrupt the second.
        const requests = [accessed, Int32Array.from(accessed.filter(() => rand() < 0.3)).reverse()];
        if (numSlots > 100) requests.push(Int32Array.from([numSlots - 1, ...accessed.slice(0, 5), 0].filter((s, i, a) => a.indexOf(s) === i)));
        for (const slots of requests) {
          const args = { slotIds: ids, weights, dY, numTokens, dim, numSlots, slots };
          const expected = readBackwardReference({ ...args, values });
          const actual = await readBackwardGpu(gpu.device, { ...args, table });
          expect(closeness(actual.rowGrads, expected.rowGrads, 1e-5, 1e-4), `N=${numSlots} U=${slots.length}`).toBeLessThanOrEqual(1);
          expect(closeness(actual.dWeights!, expected.dWeights!, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
        }
      } finally {
        destroyValueTable(table);
      }
    }
  });

  it('rejects duplicate or out-of-range requested slots', async () => {
    const base = { slotIds: new Int32Array(4), weights: new Float32Array(4), dY: new Float32Array(2), numTokens: 1, dim: 2, numSlots: 8 };
    await expect(readBackwardGpu(gpu.device, { ...base, slots: Int32Array.from([1, 1]) })).rejects.toThrow(/unique/);
    await expect(readBackwardGpu(gpu.device, { ...base, slots: Int32Array.from([8]) })).rejects.toThrow(/\[0, 8\)/);
  });
});

describe('sparse-update kernel (WGSL vs TypeScript twin)', () => {
  it('moves exactly the selected rows, on sharded tables up to N = 1,048,576', async () => {
    const rand = seededRandom(33);
    for (const [numSlots, dim, maxRows] of CASES) {
      const values = randomFloats(rand, numSlots * dim);
      const table = createValueTable(gpu.device, values, numSlots, dim, maxRows);
      try {
        const t = Math.min(numSlots, randomInt(rand, 1, 600));
        const slots = new Set<number>([numSlots - 1]);
        while (slots.size < t) slots.add(randomInt(rand, 0, numSlots));
        const slotIds = Int32Array.from(slots);
        const rowGrads = randomFloats(rand, slotIds.length * dim);
        const lr = 2; // a power of two: lr * g is exact, so the GPU must match the twin bit for bit
        await sparseUpdateGpu(gpu.device, table, slotIds, rowGrads, lr);
        const expected = values.slice();
        sparseUpdateReference(expected, dim, slotIds, rowGrads, lr);
        const actual = await readValueTable(gpu.device, table);
        let mismatches = 0;
        for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) mismatches++;
        expect(mismatches, `N=${numSlots} Dv=${dim} shards=${table.numShards}`).toBe(0);
      } finally {
        destroyValueTable(table);
      }
    }
  });

  it('rejects duplicate slots instead of racing on them', async () => {
    const table = createValueTable(gpu.device, new Float32Array(8), 4, 2);
    try {
      await expect(sparseUpdateGpu(gpu.device, table, Int32Array.from([1, 2, 1]), new Float32Array(6), 1)).rejects.toThrow(/unique/);
    } finally {
      destroyValueTable(table);
    }
  });
});
