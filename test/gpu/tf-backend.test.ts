import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { initBackend, verifyBackend } from '../../src/gpu/tf-backend';
import { missingTfjsInternals, TESTED_TFJS_VERSION } from '../../src/gpu/tf-interop';
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
    expect(missingTfjsInternals(tf.backend())).toEqual([]); // the pinned tfjs has every internal tf-interop.ts uses
    expect(gpuErrors).toEqual([]);
  });

  it('falls back with a typed error naming the tfjs version when tfjs-backend-webgpu lacks an internal we use', async () => {
    const proto = WebGPUBackend.prototype as unknown as Record<string, unknown>;
    const submitQueue = proto.submitQueue;
    delete proto.submitQueue; // as if a tfjs release had renamed it
    try {
      const info = await initBackend({ gpu: installNodeWebGPU(), preference: ['webgpu', 'cpu'], secureContext: true });
      expect(info.name).toBe('cpu');
      expect(info.fallbackReason?.kind).toBe('tfjs-internals');
      expect(info.fallbackReason?.message).toContain('submitQueue()');
      expect(info.fallbackReason?.message).toContain(`tfjs ${tf.version.tfjs}`);
      expect(info.fallbackReason?.message).toContain(`tested with tfjs ${TESTED_TFJS_VERSION}`);
    } finally {
      proto.submitQueue = submitQueue;
    }
  });

  it('falls back to the cpu backend with the reason when no WebGPU entry point exists', async () => {
    const info = await initBackend({ gpu: null, preference: ['webgpu', 'cpu'], secureContext: true });
    expect(info.name).toBe('cpu');
    expect(info.fallbackReason?.kind).toBe('webgpu-unavailable');
    expect(await verifyBackend()).toBeNull();
  });
});
