import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectWebGPU } from '../../src/gpu/detect-webgpu';
import { slotCountsGpu } from '../../src/kernels/slot-counts';
import { slotCountsReference } from '../../src/kernels/slot-counts-reference';
import { randomInt, seededRandom } from '../seeded-random';

let device: GPUDevice;
const gpuErrors: string[] = [];

beforeAll(async () => {
  const detection = await detectWebGPU();
  if (!detection.ok) throw detection.error;
  device = detection.device;
  device.addEventListener('uncapturederror', (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
});
afterAll(() => {
  expect(gpuErrors).toEqual([]);
  device?.destroy();
});

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
      const actual = await slotCountsGpu(device, ids, mask, 128, numSlots);
      expect(Array.from(actual.counts)).toEqual(Array.from(expected.counts));
    }
  });
});
