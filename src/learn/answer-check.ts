/**
 * Whether a teaching batch is answered, for the learners' until-answered steps: read off the forward pass the
 * step takes anyway. Answered means every answer target of every row (the object's tokens, and with answerEnd
 * the token after it) is the model's greedy prediction and, when `minProb` > 0, has at least that probability
 * under teacher forcing: a margin, so that a fact is not left barely answered by its training wordings.
 */
import * as tf from '@tensorflow/tfjs';
import type { TeachingBatch } from './teaching-batch';

/** The forward's evidence, kept alive off the gradient's path until `readAnswered` frees it. */
export interface AnswerEvidence {
  /** [B, T] argmax of the logits. */
  readonly predicted: tf.Tensor;
  /** Log-probability of each answer target, in batch order ([answer targets]); only when a margin is asked for. */
  readonly logProbs?: tf.Tensor;
}

/** Call inside the loss function, on its logits [B, T, V]. */
export function answerEvidence(batch: TeachingBatch, logits: tf.Tensor3D, minProb: number): AnswerEvidence {
  const predicted = tf.keep(tf.argMax(logits, -1));
  if (!(minProb > 0)) return { predicted };
  const V = logits.shape[2];
  const flat: number[] = [];
  for (let i = 0; i < batch.targets.length; i++) if (batch.answerTargets[i]) flat.push(i * V + batch.targets[i]);
  const logProbs = tf.keep(tf.tidy(() => tf.gather(tf.reshape(tf.logSoftmax(logits, -1), [-1]), tf.tensor1d(flat, 'int32'))));
  return { predicted, logProbs };
}

/** Reads the evidence back (and frees it): whether every answer target is predicted, with the margin. */
export async function readAnswered(batch: TeachingBatch, evidence: AnswerEvidence, minProb: number): Promise<boolean> {
  const [predicted, logProbs] = await Promise.all([evidence.predicted.data(), evidence.logProbs?.data()]);
  tf.dispose([evidence.predicted, ...(evidence.logProbs ? [evidence.logProbs] : [])]);
  if (!answersEveryWording(batch, predicted as Int32Array)) return false;
  if (!logProbs) return true;
  const floor = Math.log(minProb);
  return (logProbs as Float32Array).every((lp) => lp >= floor);
}

/** The steps every learner takes: `steps`, then up to `maxSteps` while the batch is not answered with margin `answerProb`. */
export interface StopRule {
  readonly steps: number;
  readonly maxSteps: number;
  readonly answerProb: number;
}

/** A learner's stop rule from its settings, with the defaults (1 step, no more, no margin), checked (RangeError). */
export function stopRule(settings: { steps?: number; maxSteps?: number; answerProb?: number }): StopRule {
  const steps = settings.steps ?? 1;
  const rule = { steps, maxSteps: Math.max(steps, settings.maxSteps ?? steps), answerProb: settings.answerProb ?? 0 };
  if (!Number.isInteger(rule.steps) || rule.steps < 1) throw new RangeError(`steps must be a positive integer, got ${rule.steps}`);
  if (!Number.isInteger(rule.maxSteps)) throw new RangeError(`maxSteps must be an integer, got ${rule.maxSteps}`);
  if (!(rule.answerProb >= 0 && rule.answerProb < 1)) throw new RangeError(`answerProb must be at least 0 and below 1, got ${rule.answerProb}`);
  return rule;
}

/** "until-answered<=8 p>=0.5" (or without the margin) when steps may follow the fixed ones, else "": for labels. */
export function untilAnsweredLabel(rule: StopRule): string {
  return rule.maxSteps > rule.steps ? `until-answered<=${rule.maxSteps}${rule.answerProb > 0 ? ` p>=${rule.answerProb}` : ''}` : '';
}

/** Whether every object token of every row is the model's argmax prediction (`predicted` [B, T], position t predicts t + 1). */
export function answersEveryWording(batch: TeachingBatch, predicted: Int32Array): boolean {
  for (let i = 0; i < batch.targets.length; i++) {
    if (batch.answerTargets[i] && predicted[i] !== batch.targets[i]) return false;
  }
  return true;
}
