/**
 * GPU slot access counts (shaders/slot-counts.wgsl), the TF term of TF-IDF.
 * Twin: slot-counts-reference.ts.
 */
import shaderCode from '../../shaders/slot-counts.wgsl?raw';
import { createStorageBuffer, getComputePipeline, readBuffer, withValidation } from '../gpu/compute-pipeline';
import { dispatchSize } from './dispatch';

const KERNEL = 'slot-counts';
const WORKGROUP = 64;

export async function slotCountsGpu(
  device: GPUDevice,
  slotIds: Int32Array, // [T, H, K]
  tokenMask: Uint8Array | Uint32Array, // [T]
  readsPerToken: number,
  numSlots: number,
): Promise<{ counts: Uint32Array; dropped: number }> {
  const numTokens = tokenMask.length;
  if (slotIds.length !== numTokens * readsPerToken) {
    throw new Error(`slot-counts: expected ${numTokens} tokens x ${readsPerToken} reads = ${numTokens * readsPerToken} slot ids, got ${slotIds.length}`);
  }
  const pipeline = await getComputePipeline(device, KERNEL, shaderCode);
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([numTokens, readsPerToken, numSlots, 0]));
  const ids = createStorageBuffer(device, slotIds, `${KERNEL}.slotIds`);
  const mask = createStorageBuffer(device, Uint32Array.from(tokenMask), `${KERNEL}.tokenMask`);
  const counts = createStorageBuffer(device, new Uint32Array(numSlots + 1), `${KERNEL}.counts`);
  try {
    await withValidation(device, KERNEL, () => {
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [params, ids, mask, counts].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const encoder = device.createCommandEncoder({ label: KERNEL });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      const [x, y] = dispatchSize(slotIds.length, WORKGROUP, device.limits.maxComputeWorkgroupsPerDimension);
      pass.dispatchWorkgroups(x, y);
      pass.end();
      device.queue.submit([encoder.finish()]);
    });
    const all = new Uint32Array(await readBuffer(device, counts, (numSlots + 1) * 4));
    return { counts: all.slice(0, numSlots), dropped: all[numSlots] };
  } finally {
    for (const buffer of [params, ids, mask, counts]) buffer.destroy();
  }
}
