/**
 * The one module that reaches into tfjs-backend-webgpu beyond its documented API, so that our own WGSL pipelines
 * run on tfjs's GPUDevice against tfjs tensors without copies (checked against tfjs-backend-webgpu 4.22's
 * backend_webgpu.js and buffer_manager.js; docs/architecture.md §4 lists what is used and why):
 * - tfjs records work into an unsubmitted command encoder (up to 15 dispatches). Before we submit anything
 *   that reads or writes a tfjs tensor's buffer, `flushTfjs` submits tfjs's pending work, so queue order is
 *   program order: tfjs before us, us before whatever tfjs records next.
 * - `gpuBufferOf` returns the tensor's own GPUBuffer (from tensorMap); `dataToGPU()` would copy, which for a
 *   512 MiB value table is exactly what we must not do.
 * - Outputs are tfjs-managed buffers (makeTensorInfo + uploadToGPU), wrapped as tracked tensors, so dispose,
 *   tf.tidy and tf.memory() account for them like any tfjs output.
 * - In-place writes must drop tfjs's CPU copy of the values (`read()` caches them and would return stale data).
 * - The buffer pool (bufferManager) is read for memory figures and trimmed (`trimBufferPool`).
 * None of this is stable API, so package.json pins the tfjs version, and `checkTfjsInternals` verifies every
 * field and method used here when the backend starts, failing with TfjsInternalsError otherwise. Keep every
 * such access in this file.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { TfjsInternalsError } from './gpu-errors';
import { encodeKernelFault, takeKernelFault, type KernelErrorLog } from './error-scopes';

/** The tfjs release whose internals this module was written and tested against (package.json pins it). */
export const TESTED_TFJS_VERSION = '4.22.0';

/** Methods of WebGPUBackend used here (refCount is KernelBackend API, listed because we depend on it). */
const BACKEND_METHODS = ['submitQueue', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'uploadToGPU', 'makeTensorInfo', 'refCount', 'disposeData'] as const;
/** Numeric fields of the backend's BufferManager used here. */
const POOL_COUNTERS = ['numBytesUsed', 'numBytesAllocated', 'numFreeBuffers'] as const;

type Loose = Record<string, unknown>;

function isObject(x: unknown): x is Loose {
  return typeof x === 'object' && x !== null;
}

/**
 * What `backend` lacks of the tfjs-backend-webgpu internals this module uses, one description per gap (empty
 * when all are there). Besides the fields and methods, a one-element probe tensor is made and uploaded to check
 * that tensorMap entries hold their GPUBuffer in `resource` and their CPU cache in `values`.
 */
export function missingTfjsInternals(backend: unknown): string[] {
  if (!isObject(backend)) return ['the backend is not an object'];
  const missing: string[] = [];
  if (!isObject(backend.device) || typeof (backend.device as Loose).createCommandEncoder !== 'function') missing.push('backend.device (a GPUDevice)');
  if (!isObject(backend.queue) || typeof (backend.queue as Loose).submit !== 'function') missing.push('backend.queue (a GPUQueue)');
  for (const name of BACKEND_METHODS) if (typeof backend[name] !== 'function') missing.push(`backend.${name}()`);
  const tensorMap = backend.tensorMap;
  const hasTensorMap = isObject(tensorMap) && typeof tensorMap.get === 'function';
  if (!hasTensorMap) missing.push('backend.tensorMap.get()');
  const pool = backend.bufferManager;
  if (!isObject(pool)) missing.push('backend.bufferManager');
  else {
    for (const name of POOL_COUNTERS) if (typeof pool[name] !== 'number') missing.push(`backend.bufferManager.${name} (a number)`);
    if (!(pool.freeBuffers instanceof Map)) missing.push('backend.bufferManager.freeBuffers (a Map)');
  }
  if (missing.length > 0 || !hasTensorMap) return missing;

  // The entry behind a tensor: its GPUBuffer and its CPU cache.
  const b = backend as unknown as WebGPUBackend;
  let info: tf.TensorInfo | null = null;
  try {
    info = b.makeTensorInfo([1], 'float32', new Float32Array([0]));
    b.uploadToGPU(info.dataId);
    const entry: unknown = b.tensorMap.get(info.dataId);
    if (!isObject(entry)) missing.push('backend.tensorMap entries (none for an uploaded tensor)');
    else {
      if (!isObject(entry.resource) || !('mapState' in entry.resource)) missing.push('backend.tensorMap entry .resource (a GPUBuffer after uploadToGPU)');
      if (!('values' in entry)) missing.push('backend.tensorMap entry .values (the CPU cache)');
    }
  } catch (error) {
    missing.push(`a probe tensor could not be made and uploaded (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    if (info) b.disposeData(info.dataId, true);
  }
  return missing;
}

const checked = new WeakSet<object>();

/**
 * Throws TfjsInternalsError (naming the installed tfjs version and the tested one) unless `backend` has every
 * internal this module uses; returns it typed otherwise. Checked once per backend instance.
 */
export function checkTfjsInternals(backend: unknown, tfjsVersion: string = tf.version.tfjs): WebGPUBackend {
  if (isObject(backend) && checked.has(backend)) return backend as unknown as WebGPUBackend;
  const missing = missingTfjsInternals(backend);
  if (missing.length > 0) throw new TfjsInternalsError(tfjsVersion, TESTED_TFJS_VERSION, missing);
  checked.add(backend as object);
  return backend as unknown as WebGPUBackend;
}

/**
 * The active tfjs backend if it is WebGPU (ours keeps the name 'webgpu', see tf-backend.ts), else null.
 * Throws TfjsInternalsError if it is WebGPU but lacks the internals this module uses.
 */
export function activeWebGPUBackend(): WebGPUBackend | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return checkTfjsInternals(tf.backend());
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
 * one data id and so one buffer), and tfjs's CPU cache of its values must be dropped afterwards (`markWritten`).
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

/**
 * Encodes with `encode`, then submits after tfjs's pending work; temporaries are destroyed after submit. With
 * `errors`, the encoding and the submit run inside error scopes named `label` (src/gpu/error-scopes.ts), opened
 * after tfjs's work is flushed so that only this submission's errors land in them.
 */
export function submitAfterTfjs(backend: WebGPUBackend, label: string, encode: (encoder: GPUCommandEncoder) => GPUBuffer[], errors?: KernelErrorLog): void {
  flushTfjs(backend);
  const device = backend.device;
  const submit = () => {
    const encoder = device.createCommandEncoder({ label });
    const temporaries = encode(encoder);
    const fault = takeKernelFault(label);
    if (fault) encodeKernelFault(device, encoder, label, fault);
    backend.queue.submit([encoder.finish()]);
    for (const buffer of temporaries) buffer.destroy();
  };
  if (errors) errors.scoped(device, label, submit);
  else submit();
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
