/**
 * One fact's optimizer steps for the dense baselines (full finetuning, LoRA; AdamW as in the paper, or SGD), with the non-finite guard: a step
 * whose loss, gradient or update is not finite rolls the whole fact back (parameters and optimizer moments,
 * bit for bit) and throws NonFiniteStepError; any other error rolls back too before it propagates.
 */
import * as tf from '@tensorflow/tfjs';
import { gradientTensor, type Gradient } from './adamw';
import { allFinite } from './all-finite';
import { NonFiniteStepError, type MethodName, type StepReport } from './learner';
import { targetMask } from './next-token-loss';
import type { TeachingBatch } from './teaching-batch';
import { untilAnsweredLabel, type StopRule } from './answer-check';

/** What runs a step: AdamW (adamw.ts, the paper's baselines) or plain SGD (sgd.ts). */
export interface StepOptimizer {
  /** New values for every parameter in `grads` (new tensors, the caller's); nothing is disposed. */
  step(params: ReadonlyMap<string, tf.Tensor>, grads: ReadonlyMap<string, Gradient>): Map<string, tf.Tensor>;
  /** After step(): per parameter the optimizer itself checked, whether its new value is all finite. */
  readonly checkedFinite: ReadonlyMap<string, boolean>;
  /** Brackets one fact's steps: rollback() returns the optimizer's state to begin()'s. */
  begin(): void;
  commit(): void;
  rollback(): void;
  dispose(): void;
}

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
  /** dL/dp by parameter name, dense or by rows (RowGradient); runOptimizerSteps disposes them. */
  readonly grads: Map<string, Gradient>;
  /** Whether the forward pass answers every wording (answer-check.ts), when asked for (the until-answered check). */
  readonly answered?: boolean;
}

/** How many steps a fact gets: `steps`, then more up to `maxSteps` while the forward does not answer it. */
export interface StepPlan {
  readonly steps: number;
  readonly maxSteps: number;
}

/** What runOptimizerSteps did: the loss before the first step, the steps taken, and whether a check found it answered. */
export interface StepsTaken {
  readonly firstLoss: number;
  readonly steps: number;
  readonly answered: boolean;
}

/**
 * Runs the plan's steps of `gradients` + the optimizer on `store`: `steps` of them, then (up to `maxSteps`) one more
 * while the step's own forward pass does not answer every wording; a forward that does stops before updating
 * anything, so an answered fact costs no extra step. `gradients(check)` is asked for the argmax when the
 * step may stop.
 */
export async function runOptimizerSteps(store: TensorStore, optimizer: StepOptimizer, plan: StepPlan, gradients: (check: boolean) => Promise<Gradients>): Promise<StepsTaken> {
  const atStart = new Map(store.current()); // kept alive until the fact is done: the rollback point
  optimizer.begin();
  let firstLoss = NaN;
  let taken = 0;
  let wasAnswered = false;
  try {
    for (let step = 0; step < Math.max(plan.steps, plan.maxSteps); step++) {
      const check = step >= plan.steps;
      const { loss, grads, answered } = await gradients(check);
      try {
        if (!Number.isFinite(loss)) throw new NonFiniteStepError(`a non-finite loss (${loss})`);
        if (step === 0) firstLoss = loss;
        if (check && answered) {
          wasAnswered = true;
          break; // the finally below frees the unused gradients
        }
        if (!(await allFinite([...grads.values()].map(gradientTensor)))) throw new NonFiniteStepError('a non-finite gradient');
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
        taken++;
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
  return { firstLoss, steps: taken, answered: wasAnswered };
}

/**
 * One fact taught by optimizer steps (the baselines' teach()): `steps`, then up to `maxSteps` while a wording of
 * the batch is not yet answered (as the sparse learner does). The batch goes to the backend once, the
 * gradients function gets it as [B, T] tokens and a [B*T, V] target mask (and whether to return the argmax),
 * and the report is the common one.
 */
export async function teachByOptimizer(
  method: MethodName,
  batch: TeachingBatch,
  vocabSize: number,
  store: TensorStore,
  optimizer: StepOptimizer,
  steps: StepPlan,
  paramsTouched: number,
  gradients: (tokens: tf.Tensor2D, mask: tf.Tensor2D, check: boolean) => Promise<Gradients>,
): Promise<StepReport> {
  const started = performance.now();
  const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
  const mask = targetMask(batch, vocabSize);
  let taken: StepsTaken;
  try {
    taken = await runOptimizerSteps(store, optimizer, steps, (check) => gradients(tokens, mask, check));
  } finally {
    tf.dispose([tokens, mask]);
  }
  return {
    method,
    loss: taken.firstLoss / Math.max(1, batch.numTargets),
    steps: taken.steps,
    ...(steps.maxSteps > steps.steps ? { answered: taken.answered } : {}),
    paramsTouched,
    ms: performance.now() - started,
  };
}

/** " steps=4", " steps=1 until-answered<=8", or "" for one fixed step: the part of a baseline's label. */
export function stepsLabel(rule: StopRule): string {
  const until = untilAnsweredLabel(rule);
  return `${rule.steps > 1 || until ? ` steps=${rule.steps}` : ''}${until ? ` ${until}` : ''}`;
}
