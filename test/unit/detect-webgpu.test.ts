import { describe, expect, it } from 'vitest';
import { detectWebGPU } from '../../src/gpu/detect-webgpu';

/** A minimal stand-in for navigator.gpu, to walk every rung of the detection ladder without a GPU. */
function fakeGpu(adapter: Partial<GPUAdapter> | null): GPU {
  return { requestAdapter: async () => adapter } as unknown as GPU;
}

const limits = { maxStorageBuffersPerShaderStage: 10, maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 31, maxComputeWorkgroupStorageSize: 32768 };

describe('detectWebGPU', () => {
  it('says WebGPU is missing when there is no navigator.gpu on a secure page', async () => {
    const result = await detectWebGPU({ gpu: null, secureContext: true });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe('webgpu-unavailable');
      expect(result.error.remedy).toMatch(/CPU/);
    }
  });

  it('blames the insecure context when the page is not https or localhost', async () => {
    const result = await detectWebGPU({ gpu: null, secureContext: false, origin: 'http://example.test' });
    expect(!result.ok && result.error.kind).toBe('insecure-context');
    expect(!result.ok && result.error.message).toContain('http://example.test');
  });

  it('reports a null adapter as its own failure', async () => {
    const result = await detectWebGPU({ gpu: fakeGpu(null), secureContext: true });
    expect(!result.ok && result.error.kind).toBe('adapter-unavailable');
  });

  it('reports a refused device with the cause', async () => {
    const adapter = {
      features: new Set<string>(),
      limits,
      info: { vendor: 'acme', architecture: 'x' },
      requestDevice: async () => {
        throw new Error('limit too high');
      },
    } as unknown as GPUAdapter;
    const result = await detectWebGPU({ gpu: fakeGpu(adapter), secureContext: true });
    expect(!result.ok && result.error.kind).toBe('device-request-failed');
    expect(!result.ok && result.error.message).toContain('limit too high');
  });

  it('requests a device at the adapter limits with the optional features it has', async () => {
    let descriptor: GPUDeviceDescriptor | undefined;
    const adapter = {
      features: new Set<string>(['timestamp-query']),
      limits,
      info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true },
      requestDevice: async (d: GPUDeviceDescriptor) => {
        descriptor = d;
        return {} as GPUDevice;
      },
    } as unknown as GPUAdapter;
    const result = await detectWebGPU({ gpu: fakeGpu(adapter), secureContext: true });
    expect(result.ok).toBe(true);
    expect(descriptor?.requiredLimits?.maxStorageBuffersPerShaderStage).toBe(10);
    expect(descriptor?.requiredLimits?.maxStorageBufferBindingSize).toBe(2 ** 30);
    expect([...(descriptor?.requiredFeatures ?? [])]).toEqual(['timestamp-query']);
    if (result.ok) expect(result.summary.name).toBe('google swiftshader (software fallback)');
  });
});
