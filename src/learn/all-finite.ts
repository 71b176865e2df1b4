/** The non-finite guard the dense learners share: one boolean downloaded for any number of tensors. */
import * as tf from '@tensorflow/tfjs';

/** True when every element of every tensor is finite. */
export async function allFinite(tensors: readonly tf.Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  const flag = tf.tidy(() => tensors.map((t) => tf.all(tf.isFinite(t))).reduce((a, b) => tf.logicalAnd(a, b)));
  const ok = (await flag.data())[0] === 1;
  flag.dispose();
  return ok;
}
