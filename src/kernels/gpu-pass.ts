/**
 * Small helpers shared by the kernel wrappers: uniform blocks, bind groups by binding number, and one
 * compute pass per dispatch. Every helper that allocates returns the buffer so the caller can destroy it
 * once the command buffer is submitted (no leaks: docs/architecture.md §3).
 */
import { dispatchSize } from './dispatch';

/** A uniform buffer holding `fields`, written as u32 unless listed in `floatFields` (by position). */
export function uniformBuffer(device: GPUDevice, label: string, fields: number[], floatFields: number[] = []): GPUBuffer {
  const words = Math.max(4, Math.ceil(fields.length / 4) * 4);
  const data = new ArrayBuffer(words * 4);
  const asU32 = new Uint32Array(data);
  const asF32 = new Float32Array(data);
  fields.forEach((value, i) => {
    if (floatFields.includes(i)) asF32[i] = value;
    else {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`${label}: uniform field ${i} must be a u32, got ${value}`);
      asU32[i] = value;
    }
  });
  const buffer = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** A zero-filled storage buffer of at least `bytes` (never empty). */
export function scratchBuffer(device: GPUDevice, label: string, bytes: number): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(4, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

/**
 * Encodes one dispatch of `pipeline` with the given bindings (binding number -> buffer). With layout 'auto'
 * a pipeline's bind group must hold exactly the bindings its entry point uses, so each pass names its own.
 * `workgroups` is a flat count, folded into 2-D when it exceeds the per-dimension limit.
 */
export function encodeDispatch(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  bindings: Record<number, GPUBuffer>,
  workgroups: number,
  label: string,
): void {
  const bindGroup = device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: Object.entries(bindings).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
  });
  const pass = encoder.beginComputePass({ label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  const [x, y] = dispatchSize(workgroups, 1, device.limits.maxComputeWorkgroupsPerDimension);
  pass.dispatchWorkgroups(x, y);
  pass.end();
}

/** Workgroups needed for `invocations` threads of `workgroupSize`. */
export function groupsFor(invocations: number, workgroupSize = 64): number {
  return Math.max(1, Math.ceil(invocations / workgroupSize));
}
