import { describe, expect, it } from 'vitest';
import { planValueTable } from '../../src/kernels/value-table';
import { nodeTestDevice } from './node-webgpu';
import { useGpuTestDevice } from '../gpu-test-device';

const gpu = useGpuTestDevice(nodeTestDevice);

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
