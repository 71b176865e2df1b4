/**
 * One small interface for every way of teaching the model a fact: sparse memory finetuning and its
 * ablations, full finetuning, LoRA. A learner owns its model copy and changes it in place; teach() runs the
 * method's steps for one fact and says what it did. The app's method race and `npm run experiment` only ever
 * talk to this interface.
 */
import type { TeachingBatch } from './teaching-batch';

export type MethodName = 'sparse' | 'full' | 'lora';

export interface StepReport {
  readonly method: MethodName;
  /** Mean next-token loss over the teaching batch's targets, before this fact's first step. */
  readonly loss: number;
  /** Optimizer steps taken for this fact. */
  readonly steps: number;
  /**
   * With until-answered steps (every method): whether a check found every wording of the batch answered before
   * the step cap (false when the steps ran to the cap, even if the last one got there).
   */
  readonly answered?: boolean;
  /** Sparse methods: the value rows written, best first, with their ranking scores. */
  readonly slots?: Int32Array;
  readonly scores?: Float64Array;
  /** Sparse methods: every slot the batch's non-pad tokens read and how often (the TF counts), for the slot map. */
  readonly reads?: { readonly slots: Int32Array; readonly counts: Uint32Array };
  /** Sparse methods: L2 norm of each written row's change, aligned with `slots`. */
  readonly updateNorms?: Float32Array;
  /** Parameters written per step (floats). */
  readonly paramsTouched: number;
  /** Wall time for the whole fact, milliseconds (forward, backward, update, and waiting for the backend). */
  readonly ms: number;
}

export interface Learner {
  readonly method: MethodName;
  /** A short label for tables and charts, e.g. "sparse tfidf t=500 lr=10". */
  readonly label: string;
  teach(batch: TeachingBatch): Promise<StepReport>;
  /** Frees the learner's own state (optimizer moments, adapters); the model is the caller's. */
  dispose(): void;
}

/** Thrown when a step produced a non-finite loss or update; the learner has already rolled the step back. */
export class NonFiniteStepError extends Error {
  override name = 'NonFiniteStepError';
  constructor(readonly what: string) {
    super(`The learning step produced ${what}; it was rolled back and the model is unchanged. Try a smaller learning rate.`);
  }
}
