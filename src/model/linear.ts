/**
 * A linear layer in torch layout (W [out, in], y = x W^T) with an optional additive adapter. The adapter hook is
 * how LoRA (src/learn/lora-learner.ts) trains low-rank deltas while the base weights stay untouched: the model
 * asks `adapters.delta(name, x)` for every named weight and adds what comes back. Without adapters the layer is
 * exactly the one matMul it always was (the golden tests pin that).
 */
import * as tf from '@tensorflow/tfjs';

export interface LinearAdapters {
  /**
   * The extra output [M, out] of the linear layer whose weight parameter is `name` (e.g. "blocks.0.attn.qkv",
   * as in EngramModel.parameters()), given its input x [M, in]; undefined where that layer has no adapter.
   */
  delta(name: string, x: tf.Tensor2D): tf.Tensor2D | undefined;
  /**
   * Optional: the extra memory read [M, Dv] of an adapted value table, given a memory layer's reads (slot ids and
   * weights [M, H, K]); the memory layer adds it to what the value table gives. undefined: the table is not adapted.
   */
  valueDelta?(ids: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor2D | undefined;
}

/** x [M, in], w [out, in] -> [M, out] */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, name: string, adapters?: LinearAdapters): tf.Tensor2D {
  const y = tf.matMul(x, w, false, true) as tf.Tensor2D; // [M, out]
  const delta = adapters?.delta(name, x);
  return delta ? tf.add(y, delta) : y;
}
