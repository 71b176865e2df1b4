import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../../src/gpu/wasm-kernel-fixes';
import { seededRandom } from '../seeded-random';

async function onBackend(name: string, f: () => tf.Tensor): Promise<{ data: Float32Array | Int32Array; shape: number[] }> {
  await tf.setBackend(name);
  const out = f();
  const result = { data: (await out.data()) as Float32Array, shape: out.shape };
  out.dispose();
  return result;
}

describe('wasm kernel fixes agree with the cpu backend', () => {
  const random = seededRandom(7);
  const values = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);

  it('BatchMatMul with transposeA and / or transposeB (2-D and batched), and the plain paths it leaves alone', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 7], [3, 7], false, true],
      [[7, 5], [3, 7], true, true],
      [[7, 5], [7, 3], true, false],
      [[2, 6, 4], [2, 6, 9], true, false],
      [[2, 6, 4], [2, 9, 6], true, true],
      [[2, 4, 6], [2, 9, 6], false, true],
      [[5, 7], [7, 3], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = values(sa.reduce((x, y) => x * y));
      const b = values(sb.reduce((x, y) => x * y));
      const run = () => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb);
      const cpu = await onBackend('cpu', run);
      const wasm = await onBackend('wasm', run);
      expect(wasm.shape).toEqual(cpu.shape);
      wasm.data.forEach((v, i) => expect(v).toBeCloseTo(cpu.data[i], 5));
    }
  });

  it('BatchMatMul of a few large items (multiplied one at a time), with and without transposeB, sizes above and below the split', async () => {
    // [3, 70, 40] x [3, 40, 100] is 280,000 multiply-adds per item: split; [3, 30, 20] x [3, 20, 10] is not.
    const cases: [number[], number[], boolean][] = [
      [[3, 70, 40], [3, 40, 100], false],
      [[3, 70, 40], [3, 100, 40], true],
      [[3, 30, 20], [3, 20, 10], false],
    ];
    for (const [sa, sb, tb] of cases) {
      const a = values(sa.reduce((x, y) => x * y));
      const b = values(sb.reduce((x, y) => x * y));
      const run = () => tf.matMul(tf.tensor3d(a, sa as [number, number, number]), tf.tensor3d(b, sb as [number, number, number]), false, tb);
      const cpu = await onBackend('cpu', run);
      const wasm = await onBackend('wasm', run);
      expect(wasm.shape).toEqual(cpu.shape);
      let worst = 0;
      wasm.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - cpu.data[i]))));
      expect(worst).toBeLessThan(1e-4);
      // Each item is exactly what a batch of one gives.
      const [m, n] = [wasm.shape[1], wasm.shape[2]];
      for (let i = 0; i < sa[0]; i++) {
        const item = await onBackend('wasm', () =>
          tf.matMul(tf.tensor3d(a.subarray(i * sa[1] * sa[2], (i + 1) * sa[1] * sa[2]), [1, sa[1], sa[2]]), tf.tensor3d(b.subarray(i * sb[1] * sb[2], (i + 1) * sb[1] * sb[2]), [1, sb[1], sb[2]]), false, tb),
        );
        expect(Array.from(item.data)).toEqual(Array.from(wasm.data.subarray(i * m * n, (i + 1) * m * n)));
      }
    }
  });

  it('GatherV2 of whole rows copies exactly the indexed rows, duplicates included, and refuses bad indices', async () => {
    const table = values(50 * 32);
    const ids = [3, 0, 49, 3, 17];
    const run = () => tf.gather(tf.tensor2d(table, [50, 32]), tf.tensor1d(ids, 'int32'));
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    expect(wasm.shape).toEqual([5, 32]);
    expect(Array.from(wasm.data)).toEqual(Array.from(cpu.data));
    const nested = await onBackend('wasm', () => tf.gather(tf.tensor2d(table, [50, 32]), tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32')));
    expect(nested.shape).toEqual([2, 2, 32]);
    expect(Array.from(nested.data.subarray(3 * 32, 4 * 32))).toEqual(Array.from(table.subarray(4 * 32, 5 * 32)));
    await tf.setBackend('wasm');
    expect(() => tf.gather(tf.tensor2d(table, [50, 32]), tf.tensor1d([50], 'int32'))).toThrow(/not in \[0, 49\]/);
  });
});
