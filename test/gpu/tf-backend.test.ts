import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, verifyBackend } from '../../src/gpu/tf-backend';
import { installNodeWebGPU } from './node-webgpu';

describe('initBackend in Node with the webgpu package', () => {
  it('starts tfjs on WebGPU with our own device at the adapter limits and passes the known-answer check', async () => {
    const gpuErrors: string[] = [];
    const info = await initBackend({ gpu: installNodeWebGPU(), secureContext: true, onGpuError: (e) => gpuErrors.push(e.message) });
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.adapter?.name.toLowerCase()).toMatch(/swiftshader|llvmpipe|lavapipe|mesa|nvidia|amd|intel|apple/);
    expect(info.device?.limits.maxStorageBuffersPerShaderStage).toBe(info.adapter?.maxStorageBuffersPerShaderStage);
    expect(await verifyBackend()).toBeNull();
    expect(gpuErrors).toEqual([]);
  });

  it('falls back to the cpu backend with the reason when no WebGPU entry point exists', async () => {
    const info = await initBackend({ gpu: null, preference: ['webgpu', 'cpu'], secureContext: true });
    expect(info.name).toBe('cpu');
    expect(info.fallbackReason?.kind).toBe('webgpu-unavailable');
    expect(await verifyBackend()).toBeNull();
  });
});
