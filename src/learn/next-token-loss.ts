/**
 * The teaching loss every learner minimises: the SUM over the batch's target positions of -log p(next token).
 * Sum, not mean: a per-row value gradient then does not shrink with the batch's token count (an
 * early calibration run's trap; docs/method.md §5), and the learning rates of different batch sizes stay comparable per token.
 *
 * Built from a dense [M, V] target mask rather than gather(): tfjs-backend-wasm 4.22 has no gradient kernel
 * for gather (UnsortedSegmentSum), and the mask costs one multiply of a tensor the softmax already made.
 */
import * as tf from '@tensorflow/tfjs';
import type { TeachingBatch } from './teaching-batch';

/**
 * [B*T, V] with the target's loss weight at (position, target) for every position that has a target: 1, or the
 * batch's answer weight on the object's tokens (src/learn/teaching-batch.ts).
 */
export function targetMask(batch: TeachingBatch, vocabSize: number): tf.Tensor2D {
  const M = batch.B * batch.T;
  const mask = new Float32Array(M * vocabSize);
  batch.targets.forEach((target, i) => {
    if (target >= 0) mask[i * vocabSize + target] = batch.weights[i];
  });
  return tf.tensor2d(mask, [M, vocabSize]);
}

/** logits [B, T, V] -> scalar sum of -log p(target) over target positions. */
export function summedNextTokenLoss(logits: tf.Tensor3D, mask: tf.Tensor2D): tf.Scalar {
  const [B, T, V] = logits.shape;
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits.reshape([B * T, V])), mask))) as tf.Scalar;
}
