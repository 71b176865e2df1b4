/**
 * One fact's learning step on the main (sparse) model (with the earlier taught facts about its subject rehearsed
 * and a few others reviewed in its batch, teaching-batch.ts), recorded the way the taught-facts log keeps it: the rows
 * the step left (`after`), a summary of the step, and what the slot map shows. The engine, the Node soak and the
 * tests all teach through this one function, so they exercise the same record the app keeps for undo and export.
 */
import * as tf from '@tensorflow/tfjs';
import type { Fact } from '../facts/fact';
import { buildTeachingBatch, type EarlierFacts } from '../learn/teaching-batch';
import type { RowsSnapshot, SparseMemoryLearner } from '../learn/sparse-learner';
import type { EngramTokenizer } from '../model/tokenizer';
import type { EngramModel } from '../model/transformer';
import type { SlotStepData, StepSummary } from './protocol';

export interface LearningStep {
  readonly after: RowsSnapshot;
  readonly step: StepSummary;
  /** The slot map's view of the step (reads, selected rows, scores, update norms). */
  readonly slots: Omit<SlotStepData, 'factId'>;
}

export async function teachStep(
  learner: SparseMemoryLearner,
  model: EngramModel,
  tokenizer: EngramTokenizer,
  fact: Fact,
  paraphrases: number,
  earlier: EarlierFacts = { rehearse: [], review: [] },
): Promise<LearningStep> {
  const batch = buildTeachingBatch(fact, tokenizer, { context: model.cfg.context, paraphrases, ...earlier });
  const report = await learner.teach(batch);
  const after: RowsSnapshot = { slots: report.undo.slots, rows: await readRows(model.values!, report.undo.slots) };
  const step: StepSummary = { method: 'sparse', loss: report.loss, ms: report.ms, paramsTouched: report.paramsTouched };
  if (report.answered !== undefined) step.answered = report.answered;
  const slots = {
    readSlots: report.reads!.slots,
    readCounts: report.reads!.counts,
    selected: report.slots!,
    scores: Float32Array.from(report.scores!),
    updateNorms: report.updateNorms!,
  };
  return { after, step, slots };
}

/** Rows `slots` of `table`, [slots, Dv], as a host copy. */
export async function readRows(table: tf.Tensor2D, slots: Int32Array): Promise<Float32Array> {
  if (slots.length === 0) return new Float32Array(0);
  const rows = tf.tidy(() => tf.gather(table, tf.tensor1d(slots, 'int32')));
  const data = (await rows.data()) as Float32Array;
  rows.dispose();
  return data;
}

/**
 * A copy with its own buffer: tf.clone shares the data, and the kernel path writes value rows in place, which
 * must never reach a table kept aside (the pretrained one, or an undo's snapshot).
 */
export function ownedCopy(values: tf.Tensor2D): tf.Tensor2D {
  return tf.keep(tf.tidy(() => tf.mul(values, tf.scalar(1)) as tf.Tensor2D));
}
