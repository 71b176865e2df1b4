/**
 * Golden test on WebGPU (Dawn in Node over a software Vulkan driver): the TypeScript model reproduces the
 * trainer's golden batch with tfjs-webgpu's own ops, and with the WGSL memory kernels doing the lookup and the
 * value read (see test/model-golden.ts for what is compared and the tolerances).
 */
import { describe, expect, it } from 'vitest';
import { createTfMemoryKernels } from '../../src/kernels/memory-kernels-tf';
import { initBackend } from '../../src/gpu/tf-backend';
import { checkGolden, loadShippedModel, readGolden } from '../model-golden';
import { installNodeWebGPU } from './node-webgpu';

describe('model golden batch on webgpu', () => {
  it('reproduces logits, loss and memory reads with tf ops and with the WGSL memory kernels', async () => {
    const info = await initBackend({ gpu: installNodeWebGPU(), secureContext: true });
    expect(info.name).toBe('webgpu');
    const golden = readGolden();
    const { model, sha } = await loadShippedModel();
    expect(golden.weights_sha256).toBe(sha);
    await checkGolden(model, golden);
    const kernels = await createTfMemoryKernels();
    expect(kernels).not.toBeNull();
    await checkGolden(model, golden, kernels);
    model.dispose();
  });
});
