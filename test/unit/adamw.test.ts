/**
 * AdamW (src/learn/adamw.ts) against a plain float64 twin of PyTorch's AdamW update, rollback to begin(),
 * leak-freedom; the fused kernel (adamw-kernel.ts) and row gradients against the tf-ops formula with the
 * zero-filled dense gradient, on cpu and wasm; and runOptimizerSteps' non-finite guard (a NaN gradient mid-fact
 * rolls parameters and moments back).
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW, type Gradient } from '../../src/learn/adamw';
import { runOptimizerSteps, type StepPlan, type TensorStore } from '../../src/learn/optimizer-steps';
import { NonFiniteStepError } from '../../src/learn/learner';
import { seededRandom } from '../seeded-random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** torch.optim.AdamW, one parameter, in float64. */
function adamwTwin(p: number[], grads: number[][], lr: number, wd: number): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, s) => {
    const step = s + 1;
    for (let i = 0; i < x.length; i++) {
      x[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= (lr * m[i]) / (1 - b1 ** step) / (Math.sqrt(v[i] / (1 - b2 ** step)) + eps);
    }
  });
  return x;
}

function store(tensors: Map<string, tf.Tensor>): TensorStore {
  return {
    current: () => new Map(tensors),
    replace: (name, t) => {
      const old = tensors.get(name)!;
      tensors.set(name, t);
      return old;
    },
  };
}

describe('AdamW', () => {
  it('matches the float64 twin over several steps, with weight decay', async () => {
    const rand = seededRandom(1);
    const p0 = Array.from({ length: 20 }, () => rand() * 2 - 1);
    const grads = Array.from({ length: 4 }, () => p0.map(() => rand() - 0.5));
    const opt = new AdamW({ lr: 0.01, weightDecay: 0.1 });
    let p: tf.Tensor = tf.tensor1d(p0);
    for (const g of grads) {
      const gt = tf.tensor1d(g);
      const next = opt.step(new Map([['p', p]]), new Map([['p', gt]])).get('p')!;
      tf.dispose([p, gt]);
      p = next;
    }
    const want = adamwTwin(p0, grads, 0.01, 0.1);
    Array.from(await p.data()).forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
    expect(opt.stateSize).toBe(40);
    opt.dispose();
    p.dispose();
  });

  it('rollback() returns the moments to begin(); nothing leaks', async () => {
    const p = tf.tensor1d([0.5, -1, 2]);
    const g1 = tf.tensor1d([0.1, 0.2, -0.3]);
    const g2 = tf.tensor1d([5, -5, 5]);
    const before = tf.memory().numTensors;
    const a = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    const b = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    tf.dispose([...a.step(new Map([['p', p]]), new Map([['p', g1]])).values(), ...b.step(new Map([['p', p]]), new Map([['p', g1]])).values()]);
    b.begin();
    tf.dispose([...b.step(new Map([['p', p]]), new Map([['p', g2]])).values()]);
    tf.dispose([...b.step(new Map([['p', p]]), new Map([['p', g2]])).values()]);
    b.rollback();
    const fromA = a.step(new Map([['p', p]]), new Map([['p', g1]])).get('p')!;
    const fromB = b.step(new Map([['p', p]]), new Map([['p', g1]])).get('p')!;
    expect(Array.from(await fromB.data())).toEqual(Array.from(await fromA.data()));
    tf.dispose([fromA, fromB]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([p, g1, g2]);
  });

  it('refuses bad settings with a clear message', () => {
    expect(() => new AdamW({ lr: 0, weightDecay: 0.1 })).toThrow(/lr must be a positive number/);
    expect(() => new AdamW({ lr: Number.NaN, weightDecay: 0.1 })).toThrow(/lr/);
    expect(() => new AdamW({ lr: 1e-3, weightDecay: -1 })).toThrow(/weight decay/);
  });
});

describe('fused AdamW kernel and row gradients', () => {
  /** `steps` AdamW steps on a [rows, width] parameter; gradients given dense or by rows (zero elsewhere). */
  async function run(backend: string, fused: boolean, byRows: boolean, seed: number): Promise<{ p: Float32Array; m: number }> {
    await tf.setBackend(backend);
    const rand = seededRandom(seed);
    const [rows, width] = [12, 5];
    const before = tf.memory().numTensors;
    let p: tf.Tensor = tf.tensor2d(Float32Array.from({ length: rows * width }, () => rand() * 2 - 1), [rows, width]);
    const opt = new AdamW({ lr: 0.01, weightDecay: 0.1, fused });
    // Step 1 touches rows 0-5, step 2 rows 3-8 (rows 0-2 then move on their moments alone), step 3 rows 9-11
    // (rows 0-8 move on moments only, rows 9-11 get their first gradient on step 3), step 4 every row.
    const touched = [[0, 1, 2, 3, 4, 5], [8, 3, 6, 4, 7, 5], [11, 9, 10], Array.from({ length: rows }, (_, r) => r)];
    for (const slotList of touched) {
      const slots = Int32Array.from(slotList);
      const rowValues = Float32Array.from({ length: slots.length * width }, () => rand() - 0.5);
      const dense = new Float32Array(rows * width);
      slots.forEach((s, u) => dense.set(rowValues.subarray(u * width, (u + 1) * width), s * width));
      const g: Gradient = byRows ? { slots, rows: tf.tensor2d(rowValues, [slots.length, width]) } : tf.tensor2d(dense, [rows, width]);
      const next = opt.step(new Map([['p', p]]), new Map([['p', g]])).get('p')!;
      if (fused && tf.getKernel('EngramAdamW', backend)) expect(opt.checkedFinite.get('p')).toBe(true);
      else expect(opt.checkedFinite.has('p')).toBe(false);
      tf.dispose([p, byRows ? (g as { rows: tf.Tensor }).rows : (g as tf.Tensor)]);
      p = next;
    }
    const out = { p: Float32Array.from(await p.data()), m: opt.stateSize };
    opt.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
    return out;
  }

  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: the fused kernel matches the tf-ops formula, and a row gradient is the zero-filled dense one exactly`, async () => {
      const reference = await run(backend, false, false, 3); // tf ops, dense zero-filled gradient: the straightforward path
      const opsRows = await run(backend, false, true, 3);
      const fusedDense = await run(backend, true, false, 3);
      const fusedRows = await run(backend, true, true, 3);
      expect(Array.from(opsRows.p)).toEqual(Array.from(reference.p));
      expect(Array.from(fusedRows.p)).toEqual(Array.from(fusedDense.p));
      let worst = 0;
      fusedRows.p.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - reference.p[i]))));
      expect(worst).toBeLessThan(1e-6);
      expect(fusedRows.m).toBe(reference.m);
    });
  }

  it('the fused kernel flags a non-finite result and refuses a row listed twice', async () => {
    await tf.setBackend('cpu');
    const opt = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    const p = tf.tensor2d([1, 2, 3, Number.POSITIVE_INFINITY], [2, 2]);
    const g = tf.tensor2d([0.1, 0.1, 0.1, 0.1], [2, 2]);
    tf.dispose([...opt.step(new Map([['p', p]]), new Map([['p', g]])).values()]);
    expect(opt.checkedFinite.get('p')).toBe(false);
    const rows = tf.tensor2d([1, 1, 1, 1], [2, 2]);
    expect(() => opt.step(new Map([['p', p]]), new Map([['p', { slots: Int32Array.of(1, 1), rows }]]))).toThrow(/listed twice/);
    opt.dispose();
    tf.dispose([p, g, rows]);
  });
});

/** A plan of exactly n steps (never asks whether the batch is answered). */
const fixed = (n: number): StepPlan => ({ steps: n, maxSteps: n });

describe('runOptimizerSteps', () => {
  it('takes the fixed steps, then more only while the forward does not answer, and stops before updating', async () => {
    const tensors = new Map<string, tf.Tensor>([['w', tf.tensor1d([1, 2, 3])]]);
    const opt = new AdamW({ lr: 0.1, weightDecay: 0 });
    const asked: boolean[] = [];
    // The forward "answers" once w[0] has dropped below 0.75 (each step moves it by about lr = 0.1).
    const gradients = async (check: boolean) => {
      asked.push(check);
      const w0 = (await tensors.get('w')!.data())[0];
      return { loss: 1, grads: new Map<string, tf.Tensor>([['w', tf.tensor1d([1, 1, 1])]]), answered: check ? w0 < 0.75 : undefined };
    };
    const plan: StepPlan = { steps: 1, maxSteps: 8 };
    const before = tf.memory().numTensors;
    const taken = await runOptimizerSteps(store(tensors), opt, plan, gradients);
    // Steps 1-3 bring w[0] to 0.7; the 4th forward sees it answered and updates nothing.
    expect(taken).toEqual({ firstLoss: 1, steps: 3, answered: true });
    expect(asked).toEqual([false, true, true, true]);
    expect((await tensors.get('w')!.data())[0]).toBeCloseTo(0.7, 5);
    expect(tf.memory().numTensors).toBe(before + 2); // w's new moments m and v; the stopping forward's gradients are freed
    // Never answered: the cap holds.
    const never = async (check: boolean) => ({ ...(await gradients(check)), answered: check ? false : undefined });
    const capped = await runOptimizerSteps(store(tensors), opt, { steps: 2, maxSteps: 5 }, never);
    expect(capped.steps).toBe(5);
    expect(capped.answered).toBe(false);
    opt.dispose();
    tf.dispose([...tensors.values()]);
  });

  it('rolls parameters and moments back and throws NonFiniteStepError when a step goes non-finite', async () => {
    const tensors = new Map<string, tf.Tensor>([['w', tf.tensor1d([1, 2, 3])]]);
    const opt = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    const grad = (values: number[]) => async () => ({ loss: 1, grads: new Map<string, tf.Tensor>([['w', tf.tensor1d(values)]]) });
    await runOptimizerSteps(store(tensors), opt, fixed(1), grad([0.5, 0.5, 0.5])); // a committed fact
    const committed = Array.from(await tensors.get('w')!.data());
    const before = tf.memory().numTensors;
    let calls = 0;
    const thirdIsNaN = async () => ({ loss: 1, grads: new Map<string, tf.Tensor>([['w', tf.tensor1d(++calls === 3 ? [0, Number.NaN, 0] : [1, 1, 1])]]) });
    await expect(runOptimizerSteps(store(tensors), opt, fixed(4), thirdIsNaN)).rejects.toThrow(NonFiniteStepError);
    expect(calls).toBe(3);
    expect(Array.from(await tensors.get('w')!.data())).toEqual(committed);
    expect(tf.memory().numTensors).toBe(before);
    await expect(runOptimizerSteps(store(tensors), opt, fixed(1), async () => ({ loss: Number.POSITIVE_INFINITY, grads: new Map() }))).rejects.toThrow(/non-finite loss/);

    // The moments are as after the committed fact: the next step equals a fresh replay of the same history.
    const replay = new Map<string, tf.Tensor>([['w', tf.tensor1d([1, 2, 3])]]);
    const opt2 = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    await runOptimizerSteps(store(replay), opt2, fixed(1), grad([0.5, 0.5, 0.5]));
    await runOptimizerSteps(store(replay), opt2, fixed(1), grad([0.2, -0.1, 0.3]));
    await runOptimizerSteps(store(tensors), opt, fixed(1), grad([0.2, -0.1, 0.3]));
    expect(Array.from(await tensors.get('w')!.data())).toEqual(Array.from(await replay.get('w')!.data()));
    opt.dispose();
    opt2.dispose();
    tf.dispose([...tensors.values(), ...replay.values()]);
  });
});
