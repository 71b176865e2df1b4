/**
 * WebGPU in Node for the GPU tests: the `webgpu` npm package (Dawn) on a software Vulkan driver
 * (Chromium's SwiftShader, or Mesa lavapipe when VK_ICD_FILENAMES points at it; see vitest.config.ts).
 * It must be installed on navigator.gpu BEFORE @tensorflow/tfjs-backend-webgpu is imported.
 */
import { create, globals } from 'webgpu';
import { detectWebGPU } from '../../src/gpu/detect-webgpu';

let gpu: GPU | undefined;

export function installNodeWebGPU(): GPU {
  if (gpu) return gpu;
  Object.assign(globalThis, globals);
  gpu = create([]) as unknown as GPU;
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

/** A device at the adapter's limits, with every uncaptured GPU error recorded for the test to assert on. */
export async function createTestDevice(): Promise<{ device: GPUDevice; adapterName: string; gpuErrors: string[] }> {
  const detection = await detectWebGPU({ gpu: installNodeWebGPU(), secureContext: true });
  if (!detection.ok) throw detection.error;
  const gpuErrors: string[] = [];
  detection.device.addEventListener('uncapturederror', (event) => gpuErrors.push((event as GPUUncapturedErrorEvent).error.message));
  return { device: detection.device, adapterName: detection.summary.name, gpuErrors };
}

/** A device for useGpuTestDevice (test/gpu-test-device.ts), which records and checks GPU errors itself. */
export async function nodeTestDevice(): Promise<GPUDevice> {
  const detection = await detectWebGPU({ gpu: installNodeWebGPU(), secureContext: true });
  if (!detection.ok) throw detection.error;
  return detection.device;
}
