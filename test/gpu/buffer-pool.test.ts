/**
 * trimBufferPool (src/gpu/tf-interop.ts) on the real tfjs-webgpu backend: buffers that disposed tensors of many
 * sizes leave in tfjs's pool are destroyed once they pass the limit, the bookkeeping matches, and work right
 * after (including work recorded but not yet submitted before the trim) still computes the right values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { initBackend } from '../../src/gpu/tf-backend';
import { activeWebGPUBackend, gpuBufferBytes, trimBufferPool } from '../../src/gpu/tf-interop';

beforeAll(async () => {
  const info = await initBackend({ preference: ['webgpu'] });
  expect(info.name).toBe('webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
});

/** A result computed on the GPU from shapes of every length 1..n, all disposed but the sum. */
async function churn(n: number): Promise<number> {
  let total = 0;
  for (let len = 1; len <= n; len++) {
    const x = tf.tidy(() => tf.sum(tf.mul(tf.range(0, len * 64, 1, 'float32'), 2)));
    total += (await x.data())[0];
    x.dispose();
  }
  return total;
}

describe('trimming tfjs-webgpu buffer pool', () => {
  it('destroys pooled buffers past the limit and leaves the backend computing correctly', async () => {
    const backend = activeWebGPUBackend()!;
    expect(backend).not.toBeNull();
    const expected = Array.from({ length: 40 }, (_, i) => (i + 1) * 64).reduce((sum, m) => sum + m * (m - 1), 0);
    expect(await churn(40)).toBe(expected);
    const before = gpuBufferBytes(backend);
    expect(before.allocated - before.used).toBeGreaterThan(40 * 64 * 4); // every length left buffers behind

    // Under the limit nothing happens.
    expect(await trimBufferPool(backend, before.allocated)).toBe(0);
    expect(gpuBufferBytes(backend)).toEqual(before);

    // Work recorded but not submitted when the trim runs, then the trim to zero pooled bytes.
    const kept = tf.tensor1d([1, 2, 3, 4]);
    const pending = tf.mul(kept, 3);
    const mid = gpuBufferBytes(backend);
    const freed = await trimBufferPool(backend, 0);
    // Submitting tfjs's pending work first returns its uniforms to the pool too, so a little more than `mid` showed.
    expect(freed).toBeGreaterThanOrEqual(mid.allocated - mid.used);
    expect(freed).toBeGreaterThan(40 * 64 * 4);
    const after = gpuBufferBytes(backend);
    expect(after.allocated).toBe(after.used);
    expect(Array.from(await pending.data())).toEqual([3, 6, 9, 12]);
    tf.dispose([kept, pending]);

    // The pool refills from new buffers and results stay right.
    expect(await churn(40)).toBe(expected);
  });
});
