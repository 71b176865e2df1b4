import { describe, expect, it } from 'vitest';
import { slotCountsGpu } from '../../src/kernels/slot-counts';
import { slotCountsReference } from '../../src/kernels/slot-counts-reference';
import { randomInt, seededRandom } from '../seeded-random';
import { browserTestDevice, useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(browserTestDevice);

describe('slot-counts kernel in Chromium (SwiftShader)', () => {
  it('runs on a WebGPU adapter', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    expect(adapter).not.toBeNull();
  });

  it('matches the TypeScript twin on randomized inputs', async () => {
    const rand = seededRandom(11);
    for (let trial = 0; trial < 4; trial++) {
      const numSlots = [64, 4096, 65536, 1_048_576][trial];
      const numTokens = randomInt(rand, 1, 64);
      const ids = Int32Array.from({ length: numTokens * 128 }, () => randomInt(rand, 0, Math.min(numSlots, 300)));
      const mask = Uint8Array.from({ length: numTokens }, () => (rand() < 0.75 ? 1 : 0));
      const expected = slotCountsReference(ids, mask, 128, numSlots);
      const actual = await slotCountsGpu(gpu.device, ids, mask, 128, numSlots);
      expect(Array.from(actual.counts)).toEqual(Array.from(expected.counts));
    }
  });
});
