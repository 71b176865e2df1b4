/**
 * The tfjs ops the model relies on, forward and gradient, on tfjs-webgpu 4.22 over this adapter, checked
 * against the cpu backend; plus the two silent failures the guards fix (src/gpu/tf-op-guards.ts), shown
 * failing without the guard, at the storage-buffer boundary, on the adapter-limit device and on a device
 * with default limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { initBackend } from '../../src/gpu/tf-backend';
import { installTfOpGuards } from '../../src/gpu/tf-op-guards';
import { flushTfjs } from '../../src/gpu/tf-interop';
import { seededRandom } from '../seeded-random';
import { closeness, randomFloats } from '../kernel-cases';

const gpuErrors: string[] = [];
let adapterLimit = 0;
let defaultDevice: GPUDevice;

beforeAll(async () => {
  const info = await initBackend({ preference: ['webgpu'], onGpuError: (e) => gpuErrors.push(e.message) });
  expect(info.name).toBe('webgpu');
  adapterLimit = info.device!.limits.maxStorageBuffersPerShaderStage;
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  // A second backend on a device with default limits (what tfjs's own factory would ask for), with
  // tfjs's unguarded kernels copied under its own name.
  const adapter = (await navigator.gpu.requestAdapter())!;
  defaultDevice = await adapter.requestDevice();
  defaultDevice.addEventListener('uncapturederror', (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
  installTfOpGuards('webgpu')(); // initBackend installed the guards: take them off to copy tfjs's originals
  for (const config of tf.getKernelsForBackend('webgpu')) tf.registerKernel({ ...config, backendName: 'webgpu-default' });
  installTfOpGuards('webgpu');
  tf.registerBackend('webgpu-default', () => new WebGPUBackend(defaultDevice, adapter.info), 1);
});
afterAll(() => {
  expect(gpuErrors).toEqual([]);
});

type Data = { values: Float32Array | Int32Array; shape: number[] };
type Values = Array<Float32Array | Int32Array>;

/** Runs `f` on fresh tensors of `inputs` and returns every output's values. */
async function evaluate(inputs: Data[], f: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Values> {
  const xs = inputs.map((d) => tf.tensor(d.values, d.shape, d.values instanceof Int32Array ? 'int32' : 'float32'));
  const out = tf.tidy(() => [f(xs)].flat());
  const values = await Promise.all(out.map((t) => t.data() as Promise<Float32Array | Int32Array>));
  tf.dispose([...xs, ...out]);
  return values;
}

/** Same computation on the cpu backend and on `backend`; validation errors are caught in a scope. */
async function compare(backend: string, inputs: Data[], f: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<{ worst: number; gpuError: string | null }> {
  await tf.setBackend('cpu');
  const expected = await evaluate(inputs, f);
  await tf.setBackend(backend);
  const webgpu = tf.backend() as WebGPUBackend;
  webgpu.device.pushErrorScope('validation');
  const pending = evaluate(inputs, f);
  flushTfjs(webgpu);
  const actual = await pending;
  const error = await webgpu.device.popErrorScope();
  const worst = Math.max(...actual.map((a, i) => closeness(a, expected[i], 1e-4, 1e-3)));
  return { worst, gpuError: error ? error.message : null };
}

const rand = seededRandom(51);
const f32 = (...shape: number[]): Data => ({ values: randomFloats(rand, shape.reduce((a, b) => a * b, 1)), shape });
const ids = (hi: number, ...shape: number[]): Data => ({ values: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(rand() * hi)), shape });
const grads = (f: (...xs: tf.Tensor[]) => tf.Tensor, floatCount: number) => (xs: tf.Tensor[]) => {
  const floats = xs.slice(0, floatCount);
  const rest = xs.slice(floatCount);
  const g = tf.grads((...fx: tf.Tensor[]) => tf.sum(tf.mul(f(...fx, ...rest), 0.5)))(floats);
  return [f(...xs), ...g];
};

const OPS: Array<[string, Data[], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
  ['matMul + grads', [f32(5, 7), f32(7, 6)], grads((a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), 2)],
  ['batchMatMul (transposeB, 4-D) + grads', [f32(2, 3, 5, 8), f32(2, 3, 6, 8)], grads((a, b) => tf.matMul(a, b, false, true), 2)],
  ['softmax + grad', [f32(4, 33), f32(4, 33)], grads((x, w) => tf.mul(tf.softmax(x), w), 2)],
  ['logSoftmax cross-entropy (oneHot) + grad', [f32(6, 40), ids(40, 6)], grads((x, y) => tf.mul(tf.logSoftmax(x), tf.oneHot(y as tf.Tensor1D, 40)), 1)],
  ['topk values and indices', [f32(3, 200)], ([x]) => { const t = tf.topk(x, 16); return [t.values, t.indices]; }],
  ['gather + dense gradient', [f32(20, 6), ids(20, 4, 5)], grads((p, i) => tf.gather(p, i), 1)],
  ['gather with batchDims 2', [f32(2, 3, 10), ids(10, 2, 3, 4)], ([p, i]) => tf.gather(p, i, 2, 2)],
  ['concat of 14 inputs + grads', Array.from({ length: 14 }, () => f32(3, 2)), grads((...xs) => tf.concat(xs, 1), 14)],
  ['layerNorm via moments + grads', [f32(5, 16), f32(16), f32(16)], grads((x, g, b) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  }, 3)],
  ['silu gate and relu + grads', [f32(7, 9), f32(7, 9)], grads((a, b) => tf.mul(tf.mul(a, tf.sigmoid(a)), tf.relu(b)), 2)],
  ['unsortedSegmentSum', [f32(12, 5), ids(4, 12)], ([x, s]) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, 4)],
  ['scatterND', [ids(30, 6, 1), f32(6, 4)], ([i, u]) => tf.scatterND(i, u, [30, 4])],
  ['transpose float 4-D + grad', [f32(2, 3, 4, 5)], grads((x) => tf.transpose(x, [2, 0, 3, 1]), 1)],
  ['transpose int32 3-D', [ids(1 << 30, 3, 4, 5)], ([x]) => tf.transpose(x, [1, 0, 2])],
  ['int32 arithmetic (floorDiv, mul, add, cast)', [ids(1_000_000, 50)], ([x]) => [tf.floorDiv(x, tf.scalar(1024, 'int32')), tf.add(tf.mul(x, tf.scalar(3, 'int32')), x), tf.cast(x, 'float32')]],
  ['reductions (sum, mean, max, argMax) + grads', [f32(6, 11)], grads((x) => tf.add(tf.add(tf.sum(x, 1), tf.mean(x, 1)), tf.max(x, 1)), 1)],
  ['slice, stack, unstack, tile, expandDims + grads', [f32(4, 6)], grads((x) => tf.stack([...tf.unstack(tf.slice(x, [1, 0], [3, 6]), 0), tf.tile(tf.expandDims(tf.slice(x, [0, 0], [1, 6]), 0), [1, 1, 1]).reshape([6])]), 1)],
];

describe('tfjs-webgpu ops the model uses, forward and gradient, against the cpu backend', () => {
  it.each(OPS.map(([name, inputs, f]) => ({ name, inputs, f })))('$name', async ({ inputs, f }) => {
    const { worst, gpuError } = await compare('webgpu', inputs, f);
    expect(gpuError).toBeNull();
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('addN is right below, at and far above the storage-buffer limit (guarded), forward and gradient', async () => {
    for (const n of [adapterLimit - 1, adapterLimit, 3 * adapterLimit + 2]) {
      const inputs = Array.from({ length: n }, () => f32(3, 5));
      const { worst, gpuError } = await compare('webgpu', inputs, grads((...xs) => tf.addN(xs), n));
      expect(gpuError, `addN of ${n}`).toBeNull();
      expect(worst, `addN of ${n}`).toBeLessThanOrEqual(1);
    }
  });
});

describe('the failures the guards exist for (tfjs-backend-webgpu 4.22)', () => {
  it('int32 element-wise ops go through f32: exact to 2^24, not beyond (a limit, not guarded)', async () => {
    const data: Data[] = [{ values: Int32Array.from([2 ** 24, 2 ** 24 + 1, 2 ** 30 + 3]), shape: [3] }];
    await tf.setBackend('webgpu');
    const [sum] = await evaluate(data, ([x]) => tf.add(x, tf.scalar(0, 'int32')));
    expect(sum[0]).toBe(2 ** 24);
    expect([sum[1], sum[2]]).not.toEqual([2 ** 24 + 1, 2 ** 30 + 3]); // would pass if tfjs computed in i32
  });

  const addNCase = (n: number): [Data[], (xs: tf.Tensor[]) => tf.Tensor] => [Array.from({ length: n }, () => f32(4, 4)), (xs) => tf.addN(xs)];

  it('unguarded addN fails silently with limit inputs, on a default-limits device (8) and at the adapter limit', async () => {
    const defaultLimit = defaultDevice.limits.maxStorageBuffersPerShaderStage;
    expect(defaultLimit).toBe(8);
    for (const [backend, limit] of [['webgpu-default', defaultLimit], ['webgpu-default', defaultLimit - 1]] as const) {
      const result = await compare(backend, ...addNCase(limit));
      if (limit === defaultLimit) expect(result.gpuError ?? (result.worst > 1 ? 'wrong values' : null), `${limit} inputs`).not.toBeNull();
      else expect(result).toEqual({ worst: expect.any(Number), gpuError: null });
    }
    const restore = installTfOpGuards('webgpu'); // idempotent: already installed by initBackend
    restore(); // now unguarded
    try {
      const atLimit = await compare('webgpu', ...addNCase(adapterLimit));
      expect(atLimit.gpuError ?? (atLimit.worst > 1 ? 'wrong values' : null)).not.toBeNull();
    } finally {
      installTfOpGuards('webgpu');
    }
  });

  it('with the guard, addN is right on the default-limits device too', async () => {
    installTfOpGuards('webgpu-default');
    for (const n of [8, 9, 30]) {
      const { worst, gpuError } = await compare('webgpu-default', ...addNCase(n));
      expect(gpuError).toBeNull();
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('unguarded int32 transpose of rank 3 does not compile; the guard makes it exact for |x| <= 2^24', async () => {
    const values = Int32Array.from([2 ** 24, -(2 ** 24), -1, 0, 65535, 65536, -65537, 1_048_575, ...Array.from({ length: 16 }, () => Math.floor((rand() * 2 - 1) * 2 ** 24))]);
    const data: Data[] = [{ values, shape: [2, 3, 4] }];
    const f = ([x]: tf.Tensor[]) => tf.transpose(x, [2, 0, 1]);
    const restore = installTfOpGuards('webgpu');
    restore();
    try {
      const unguarded = await compare('webgpu', data, f);
      expect(unguarded.gpuError).toMatch(/setOutputAtIndex/);
    } finally {
      installTfOpGuards('webgpu');
    }
    await tf.setBackend('cpu');
    const expected = await evaluate(data, f);
    await tf.setBackend('webgpu');
    expect(Array.from((await evaluate(data, f))[0])).toEqual(Array.from(expected[0]));
  });
});
