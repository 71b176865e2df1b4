/**
 * One fact's AdamW steps for the dense baselines (full finetuning, LoRA), with the non-finite guard: a step
 * whose loss, gradient or update is not finite rolls the whole fact back (parameters and optimizer moments,
 * bit for bit) and throws NonFiniteStepError; any other error rolls back too before it propagates.
 */
import * as tf from '@tensorflow/tfjs';
import { gradientTensor, type AdamW, type Gradient } from './adamw';
import { allFinite } from './all-finite';
import { NonFiniteStepError, type MethodName, type StepReport } from './learner';
import { targetMask } from './next-token-loss';
import type { TeachingBatch } from './teaching-batch';

/** Where the trained tensors live: the model's parameters, or a learner's adapters. */
export interface TensorStore {
  /** The current tensors by name (the store's own). */
  current(): Map<string, tf.Tensor>;
  /** Installs `tensor` (the store now owns it) and returns the one it replaced (the caller's now). */
  replace(name: string, tensor: tf.Tensor): tf.Tensor;
}

export interface Gradients {
  /** The sum-reduced loss before the step. */
  readonly loss: number;
  /** dL/dp by parameter name, dense or by rows (RowGradient); runAdamWSteps disposes them. */
  readonly grads: Map<string, Gradient>;
}

/** Runs `steps` steps of `gradients` + AdamW on `store`; returns the loss before the first step. */
export async function runAdamWSteps(store: TensorStore, optimizer: AdamW, steps: number, gradients: () => Promise<Gradients>): Promise<number> {
  const atStart = new Map(store.current()); // kept alive until the fact is done: the rollback point
  optimizer.begin();
  let firstLoss = NaN;
  try {
    for (let step = 0; step < steps; step++) {
      const { loss, grads } = await gradients();
      try {
        if (!Number.isFinite(loss)) throw new NonFiniteStepError(`a non-finite loss (${loss})`);
        if (!(await allFinite([...grads.values()].map(gradientTensor)))) throw new NonFiniteStepError('a non-finite gradient');
        if (step === 0) firstLoss = loss;
        const next = optimizer.step(store.current(), grads);
        // The fused AdamW kernel checked what it wrote; only tensors it did not update need the check.
        const checked = optimizer.checkedFinite;
        const unchecked = [...next].filter(([name]) => !checked.has(name)).map(([, t]) => t);
        if (![...checked.values()].every(Boolean) || !(await allFinite(unchecked))) {
          tf.dispose([...next.values()]);
          throw new NonFiniteStepError('a non-finite update');
        }
        for (const [name, tensor] of next) {
          const old = store.replace(name, tensor);
          if (old !== atStart.get(name)) old.dispose();
        }
      } finally {
        tf.dispose([...grads.values()].map(gradientTensor));
      }
    }
  } catch (error) {
    for (const [name, tensor] of atStart) {
      const current = store.replace(name, tensor);
      if (current !== tensor) current.dispose();
    }
    optimizer.rollback();
    throw error;
  }
  optimizer.commit();
  const now = store.current();
  for (const [name, tensor] of atStart) if (now.get(name) !== tensor) tensor.dispose();
  return firstLoss;
}

/**
 * One fact taught by `steps` AdamW steps (the baselines' teach()): the batch goes to the backend once, the
 * gradients function gets it as [B, T] tokens and a [B*T, V] target mask, and the report is the common one.
 */
export async function teachByAdamW(
  method: MethodName,
  batch: TeachingBatch,
  vocabSize: number,
  store: TensorStore,
  optimizer: AdamW,
  steps: number,
  paramsTouched: number,
  gradients: (tokens: tf.Tensor2D, mask: tf.Tensor2D) => Promise<Gradients>,
): Promise<StepReport> {
  const started = performance.now();
  const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
  const mask = targetMask(batch, vocabSize);
  let firstLoss: number;
  try {
    firstLoss = await runAdamWSteps(store, optimizer, steps, () => gradients(tokens, mask));
  } finally {
    tf.dispose([tokens, mask]);
  }
  return { method, loss: firstLoss / Math.max(1, batch.numTargets), steps, paramsTouched, ms: performance.now() - started };
}
