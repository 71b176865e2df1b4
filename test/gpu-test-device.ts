/**
 * One GPUDevice per test file, created before the tests and destroyed after them. Any GPU error that no error
 * scope caught fails the file: WebGPU reports validation errors only as events (docs/testing-webgpu.md, pitfall 2).
 * Usable in Node (with test/gpu/node-webgpu.ts) and in the browser (with detectWebGPU).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { detectWebGPU } from '../src/gpu/detect-webgpu';

export interface GpuTestDevice {
  /** Valid inside tests and hooks that run after the file's beforeAll. */
  readonly device: GPUDevice;
  readonly gpuErrors: string[];
}

export function useGpuTestDevice(createDevice: () => Promise<GPUDevice>): GpuTestDevice {
  let device: GPUDevice | undefined;
  const gpuErrors: string[] = [];
  beforeAll(async () => {
    device = await createDevice();
    device.addEventListener('uncapturederror', (event) => gpuErrors.push((event as GPUUncapturedErrorEvent).error.message));
  });
  afterAll(() => {
    expect(gpuErrors).toEqual([]);
    device?.destroy();
  });
  return {
    get device(): GPUDevice {
      if (!device) throw new Error('the test GPU device is not ready: use it inside a test or a later hook');
      return device;
    },
    gpuErrors,
  };
}

/** The page's own WebGPU device, as the app gets it (browser tests). */
export async function browserTestDevice(): Promise<GPUDevice> {
  const detection = await detectWebGPU();
  if (!detection.ok) throw detection.error;
  return detection.device;
}
