/** What the backend holds, and trimming the WebGPU buffer pool (trimBufferPool in src/gpu/tf-interop.ts says why). */
import * as tf from '@tensorflow/tfjs';
import { activeWebGPUBackend, gpuBufferBytes, trimBufferPool } from '../gpu/tf-interop';
import type { EngramModel } from '../model/transformer';
import type { BackendMemory } from './protocol';

/** GPU buffers tfjs may keep pooled for reuse before they are destroyed (on top of those in use). */
const POOLED_GPU_BYTES = 256 * 2 ** 20;

/** On WebGPU, destroys the buffers tfjs pools for reuse once they pass POOLED_GPU_BYTES. */
export async function trimGpuPool(): Promise<void> {
  const gpu = activeWebGPUBackend();
  if (gpu) await trimBufferPool(gpu, POOLED_GPU_BYTES);
}

/** What the backend holds after a step (pool trimmed first), for the page and the soak. */
export async function backendMemory(model: EngramModel): Promise<BackendMemory> {
  await trimGpuPool();
  const gpu = activeWebGPUBackend();
  const { numTensors, numBytes } = tf.memory();
  return { tensors: numTensors, bytes: numBytes, cachedMasks: model.cachedMaskCount, gpuBytesAllocated: gpu ? gpuBufferBytes(gpu).allocated : undefined };
}
