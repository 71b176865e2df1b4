/**
 * Our UnsortedSegmentSum kernel for tfjs-backend-wasm (src/gpu/wasm-segment-sum.ts) against tfjs's cpu kernel:
 * random shapes, duplicate ids, ids out of range (dropped), int32 values; and
 * tf.gather's gradient (the reason it exists) on wasm against cpu.
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../seeded-random';

afterAll(async () => {
  await tf.setBackend('cpu');
});

async function on<T>(backend: string, f: () => tf.Tensor): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  const t = f();
  const out = { shape: t.shape, values: Array.from(await t.data()) };
  t.dispose();
  return out;
}

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered', () => {
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined();
  });

  it('matches the cpu kernel on random cases', async () => {
    const rand = seededRandom(3);
    for (let trial = 0; trial < 12; trial++) {
      const idShape: [number] = [randomInt(rand, 1, 9)];
      const inner = Array.from({ length: randomInt(rand, 0, 3) }, () => randomInt(rand, 1, 5));
      const numSegments = randomInt(rand, 1, 7);
      const dtype = trial % 4 === 3 ? 'int32' : 'float32';
      const xShape = [...idShape, ...inner];
      const size = xShape.reduce((a, b) => a * b, 1);
      const nIds = idShape.reduce((a, b) => a * b, 1);
      const xs = Array.from({ length: size }, () => (dtype === 'int32' ? randomInt(rand, -50, 50) : rand() * 2 - 1));
      const ids = Array.from({ length: nIds }, () => randomInt(rand, -1, numSegments + 1)); // some out of range
      const run = () => tf.unsortedSegmentSum(tf.tensor(xs, xShape, dtype), tf.tensor(ids, idShape, 'int32'), numSegments);
      const cpu = await on('cpu', run);
      const wasm = await on('wasm', run);
      expect(wasm.shape, `trial ${trial}`).toEqual([numSegments, ...inner]);
      expect(cpu.shape).toEqual(wasm.shape);
      wasm.values.forEach((v, i) => expect(v, `trial ${trial} element ${i}`).toBeCloseTo(cpu.values[i], 5));
    }
  });

  it("makes tf.gather's gradient work on wasm, equal to cpu's", async () => {
    const rand = seededRandom(5);
    const table = Array.from({ length: 9 * 4 }, () => rand() * 2 - 1);
    const indices = [3, 0, 3, 8, 1, 3];
    const upstream = Array.from({ length: indices.length * 4 }, () => rand() * 2 - 1);
    const run = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d(indices, 'int32')), tf.tensor2d(upstream, [indices.length, 4]))))(tf.tensor2d(table, [9, 4]));
    const cpu = await on('cpu', run);
    const before = tf.memory().numTensors;
    const wasm = await on('wasm', run);
    expect(wasm.shape).toEqual([9, 4]);
    wasm.values.forEach((v, i) => expect(v).toBeCloseTo(cpu.values[i], 6));
    expect(wasm.values.slice(2 * 4, 3 * 4)).toEqual([0, 0, 0, 0]); // row 2 was never gathered
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 3); // the inputs made inside run(); nothing from the kernel
  });
});
