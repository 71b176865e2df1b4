/**
 * Compiles a WGSL kernel into a compute pipeline and turns silent WebGPU failures into thrown,
 * typed errors: WGSL compile errors (getCompilationInfo) become ShaderCompileError naming the kernel
 * and line, and validation errors (error scopes) become GpuValidationError. WebGPU itself never throws
 * for either (docs/testing-webgpu.md, pitfall 2).
 */
import { GpuValidationError, ShaderCompileError } from './gpu-errors';

const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/**
 * Compiles once per (device, kernel name, source, entry point); later calls reuse the pipeline. Multi-pass
 * kernels keep their passes as several entry points of one WGSL file.
 */
export function getComputePipeline(device: GPUDevice, kernel: string, code: string, entryPoint = 'main'): Promise<GPUComputePipeline> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  const key = `${kernel}\u0000${entryPoint}\u0000${code}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = compileComputePipeline(device, kernel, code, entryPoint);
    cache.set(key, pipeline);
    pipeline.catch(() => cache!.delete(key));
  }
  return pipeline;
}

export async function compileComputePipeline(device: GPUDevice, kernel: string, code: string, entryPoint = 'main'): Promise<GPUComputePipeline> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: kernel, code });
  const info = await module.getCompilationInfo();
  const firstError = info.messages.find((m) => m.type === 'error');
  if (firstError) {
    await device.popErrorScope();
    throw new ShaderCompileError(kernel, firstError.lineNum, firstError.linePos, firstError.message);
  }
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({ label: `${kernel}.${entryPoint}`, layout: 'auto', compute: { module, entryPoint } });
  } catch (error) {
    await device.popErrorScope();
    throw new GpuValidationError(kernel, error instanceof Error ? error.message : String(error));
  }
  const validation = await device.popErrorScope();
  if (validation) throw new GpuValidationError(kernel, validation.message);
  return pipeline;
}

/** Runs `body` inside a validation scope and throws if the GPU rejected anything it encoded. */
export async function withValidation<T>(device: GPUDevice, kernel: string, body: () => T): Promise<T> {
  device.pushErrorScope('validation');
  const result = body();
  const error = await device.popErrorScope();
  if (error) throw new GpuValidationError(kernel, error.message);
  return result;
}

/** Copies a GPU buffer's contents back to the CPU (the source needs COPY_SRC usage). */
export async function readBuffer(device: GPUDevice, source: GPUBuffer, byteLength = source.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

/** Creates a storage buffer holding `data` (padded to 4 bytes, never empty). */
export function createStorageBuffer(device: GPUDevice, data: ArrayBufferView, label: string, extraUsage = 0): GPUBuffer {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buffer = device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}
