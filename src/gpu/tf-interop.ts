/**
 * Running our own WGSL pipelines on tfjs-webgpu's GPUDevice, against tfjs tensors, without copies
 * (anchors.md §1.4-1.6, checked against tfjs-backend-webgpu 4.22's backend_webgpu.js):
 * - tfjs records work into an unsubmitted command encoder (up to 15 dispatches). Before we submit anything
 *   that reads or writes a tfjs tensor's buffer, `flushTfjs` submits tfjs's pending work, so queue order is
 *   program order: tfjs before us, us before whatever tfjs records next.
 * - `gpuBufferOf` returns the tensor's own GPUBuffer (tensorMap is a public field); `dataToGPU()` would copy,
 *   which for a 512 MiB value table is exactly what we must not do.
 * - Outputs are tfjs-managed buffers (makeTensorInfo + uploadToGPU), wrapped as tracked tensors, so dispose,
 *   tf.tidy and tf.memory() account for them like any tfjs output.
 * - In-place writes must drop tfjs's CPU copy of the values (`read()` caches them and would return stale data).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** The active tfjs backend if it is WebGPU (ours keeps the name 'webgpu', see tf-backend.ts), else null. */
export function activeWebGPUBackend(): WebGPUBackend | null {
  const backend = tf.backend() as Partial<WebGPUBackend>;
  return backend && backend.device && backend.tensorMap && typeof backend.submitQueue === 'function' ? (backend as WebGPUBackend) : null;
}

/** Submits whatever tfjs has recorded but not yet submitted (the same sequence tfjs's readToGPU uses). */
export function flushTfjs(backend: WebGPUBackend): void {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/** The GPUBuffer behind a tfjs tensor on this backend (uploaded first if its values are still on the CPU). */
export function gpuBufferOf(backend: WebGPUBackend, tensor: tf.TensorInfo, what: string): GPUBuffer {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`${what}: expected a float32 or int32 tensor, got ${tensor.dtype}`);
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource;
  if (!resource || !('mapState' in resource)) throw new Error(`${what}: tensor data is not in a GPUBuffer on the webgpu backend`);
  return resource as GPUBuffer;
}

/** A new tfjs tensor whose (uninitialised) GPUBuffer our kernel will fill. */
export function allocateOutput<R extends tf.Rank>(backend: WebGPUBackend, shape: number[], dtype: 'float32' | 'int32'): { tensor: tf.Tensor<R>; buffer: GPUBuffer } {
  const info = backend.makeTensorInfo(shape, dtype);
  backend.uploadToGPU(info.dataId);
  const tensor = tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
  return { tensor, buffer: backend.tensorMap.get(info.dataId)!.resource as GPUBuffer };
}

/**
 * Before writing a tensor's buffer in place: nobody else may alias it (tf.clone, reshape and tf.variable share
 * buffers, anchors.md §0.4), and tfjs's CPU cache of its values must be dropped afterwards (`markWritten`).
 */
export function assertExclusive(backend: WebGPUBackend, tensor: tf.TensorInfo, what: string): void {
  const refs = backend.refCount(tensor.dataId);
  if (refs !== 1) {
    throw new Error(`${what}: an in-place update needs the only reference to its buffer, but ${refs} tensors share it (dispose the initial value after tf.variable(), avoid clones)`);
  }
}

export function markWritten(backend: WebGPUBackend, tensor: tf.TensorInfo): void {
  const data = backend.tensorMap.get(tensor.dataId);
  if (data) data.values = null as unknown as typeof data.values;
}

/** Encodes with `encode`, then submits after tfjs's pending work; temporaries are destroyed after submit. */
export function submitAfterTfjs(backend: WebGPUBackend, label: string, encode: (encoder: GPUCommandEncoder) => GPUBuffer[]): void {
  flushTfjs(backend);
  const encoder = backend.device.createCommandEncoder({ label });
  const temporaries = encode(encoder);
  backend.queue.submit([encoder.finish()]);
  for (const buffer of temporaries) buffer.destroy();
}

interface BufferPool {
  numBytesUsed: number;
  numBytesAllocated: number;
  numFreeBuffers: number;
  freeBuffers: Map<string, GPUBuffer[]>;
}

/** Bytes of GPU buffers tfjs holds: those behind live tensors, and all it has allocated (live + pooled). */
export function gpuBufferBytes(backend: WebGPUBackend): { used: number; allocated: number } {
  const pool = (backend as unknown as { bufferManager: BufferPool }).bufferManager;
  return { used: pool.numBytesUsed, allocated: pool.numBytesAllocated };
}

/**
 * tfjs-webgpu 4.22 keeps every buffer a disposed tensor leaves, keyed by size, for reuse, and never frees one
 * (buffer_manager.js). Shapes that vary (each fact's batch has its own length; incremental decoding grows its
 * keys one position a step) leave buffers of sizes that never come back: the browser soak on WebGPU grew by
 * ~70 MB a fact while tf.memory()'s tensor bytes stayed flat. When the pool holds more than `limitBytes`, this
 * submits tfjs's pending work, waits for the GPU to finish it (a pooled buffer may still be read by submitted
 * work), and destroys the pooled buffers. The pool's keys stay (its releaseBuffer reads an empty map as "the
 * backend is disposed"). Returns the bytes freed.
 */
export async function trimBufferPool(backend: WebGPUBackend, limitBytes: number): Promise<number> {
  const pool = (backend as unknown as { bufferManager: BufferPool }).bufferManager;
  if (pool.numBytesAllocated - pool.numBytesUsed <= limitBytes) return 0;
  flushTfjs(backend);
  await backend.device.queue.onSubmittedWorkDone();
  let freed = 0;
  for (const buffers of pool.freeBuffers.values()) {
    for (const buffer of buffers) {
      freed += buffer.size;
      buffer.destroy();
    }
    buffers.length = 0;
  }
  pool.numBytesAllocated -= freed;
  pool.numFreeBuffers = 0;
  return freed;
}
