/**
 * Plain SGD for the dense baselines (src/learn/sgd.ts): p - lr g with each parameter's own rate; a row gradient
 * moves exactly its rows and leaves every other row bit-identical; bad rates and shapes are refused; and the
 * runOptimizerSteps guard still rolls a fact back when an SGD step goes non-finite.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sgd } from '../../src/learn/sgd';
import { runOptimizerSteps, type TensorStore } from '../../src/learn/optimizer-steps';
import { NonFiniteStepError } from '../../src/learn/learner';
import { seededRandom } from '../seeded-random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomArray(n: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

describe('Sgd', () => {
  it('moves each parameter by its own rate times its gradient', async () => {
    const w = tf.tensor2d(randomArray(12, 1), [3, 4]);
    const b = tf.tensor1d(randomArray(4, 2));
    const gw = tf.tensor2d(randomArray(12, 3), [3, 4]);
    const gb = tf.tensor1d(randomArray(4, 4));
    const sgd = new Sgd((name) => (name === 'w' ? 0.5 : 0.01));
    const next = sgd.step(new Map<string, tf.Tensor>([['w', w], ['b', b]]), new Map<string, tf.Tensor>([['w', gw], ['b', gb]]));
    const [wNow, bNow, wOld, bOld, gW, gB] = await Promise.all([next.get('w')!, next.get('b')!, w, b, gw, gb].map((t) => t.data()));
    wNow.forEach((x, i) => expect(x).toBeCloseTo(wOld[i] - 0.5 * gW[i], 6));
    bNow.forEach((x, i) => expect(x).toBeCloseTo(bOld[i] - 0.01 * gB[i], 6));
    tf.dispose([w, b, gw, gb, ...next.values()]);
  });

  it('a row gradient moves only its rows; every other row stays bit-identical', async () => {
    const table = tf.tensor2d(randomArray(40, 5), [10, 4]);
    const slots = Int32Array.from([7, 2]);
    const rows = tf.tensor2d(randomArray(8, 6), [2, 4]);
    const next = new Sgd(() => 2).step(new Map([['values', table]]), new Map([['values', { slots, rows }]]));
    const [now, old, g] = await Promise.all([next.get('values')!.data(), table.data(), rows.data()]);
    for (let r = 0; r < 10; r++) {
      const u = [...slots].indexOf(r);
      for (let d = 0; d < 4; d++) {
        const i = r * 4 + d;
        if (u < 0) expect(now[i]).toBe(old[i]);
        else expect(now[i]).toBeCloseTo(old[i] - 2 * g[u * 4 + d], 6);
      }
    }
    tf.dispose([table, rows, ...next.values()]);
  });

  it('refuses a non-positive rate, an unknown parameter and a mismatched gradient', () => {
    const p = tf.zeros([2, 2]);
    const g = tf.zeros([2, 2]);
    expect(() => new Sgd(() => 0).step(new Map([['p', p]]), new Map([['p', g]]))).toThrow(/learning rate of "p"/);
    expect(() => new Sgd(() => 1).step(new Map(), new Map([['p', g]]))).toThrow(/no such parameter/);
    const wrong = tf.zeros([3]);
    expect(() => new Sgd(() => 1).step(new Map([['p', p]]), new Map([['p', wrong]]))).toThrow(/is \[2,2\] but its gradient/);
    tf.dispose([p, g, wrong]);
  });

  it('under runOptimizerSteps, a non-finite step rolls the fact back bit for bit', async () => {
    const start = tf.tensor1d(randomArray(6, 7));
    const before = await start.data();
    let current = start;
    const store: TensorStore = {
      current: () => new Map([['p', current]]),
      replace: (_name, tensor) => {
        const old = current;
        current = tensor as tf.Tensor1D;
        return old;
      },
    };
    let calls = 0;
    const gradients = async () => {
      calls++;
      const g = calls === 1 ? tf.ones([6]) : tf.fill([6], Number.POSITIVE_INFINITY);
      return { loss: 1, grads: new Map([['p', g]]) };
    };
    await expect(runOptimizerSteps(store, new Sgd(() => 0.1), { steps: 2, maxSteps: 2 }, gradients)).rejects.toBeInstanceOf(NonFiniteStepError);
    expect(calls).toBe(2);
    expect(current).toBe(start);
    expect(Array.from(await current.data())).toEqual(Array.from(before));
    start.dispose();
  });
});
