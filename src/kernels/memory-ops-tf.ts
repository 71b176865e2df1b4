/**
 * The memory layer's kernels written with plain tfjs ops (matMul + topk + gather, and gather's dense gradient):
 * the reference the custom kernels are checked and benchmarked against, with the same signatures as
 * memory-kernels-tf.ts. Costs that grow with N here: the dense [N, Dv] gradient of gather, and the update,
 * which rewrites the whole table. (On wasm, gather's gradient is missing: docs/testing-webgpu.md, pitfall 7.)
 */
import * as tf from '@tensorflow/tfjs';

/** queries [T, H, Dk], subKeys [H, 2, nKeys, Dk/2] -> slotIds [T, H, K] int32, scores and softmax weights. */
export function lookupOps(queries: tf.Tensor3D, subKeys: tf.Tensor4D, k: number): { slotIds: tf.Tensor3D; scores: tf.Tensor3D; weights: tf.Tensor3D } {
  return tf.tidy(() => {
    const [numTokens, heads, keyDim] = queries.shape;
    const nKeys = subKeys.shape[2];
    const half = keyDim / 2;
    const q = queries.reshape([numTokens, heads, 2, half]).transpose([1, 2, 0, 3]); // [H, 2, T, Dk/2]
    const halves = tf.matMul(q, subKeys, false, true); // [H, 2, T, nKeys]
    const top = tf.topk(halves, k); // [H, 2, T, K]
    const [v1, v2] = tf.unstack(top.values, 1); // [H, T, K] each
    const [i1, i2] = tf.unstack(top.indices, 1);
    const sums = tf.add(v1.expandDims(3), v2.expandDims(2)).reshape([heads, numTokens, k * k]); // [H, T, K*K]
    const best = tf.topk(sums, k); // [H, T, K]
    const kInt = tf.scalar(k, 'int32');
    const rowIdx = tf.floorDiv(best.indices, kInt); // candidate c = i * K + j
    const colIdx = tf.sub(best.indices, tf.mul(rowIdx, kInt));
    const slot = tf.add(tf.mul(tf.gather(i1, rowIdx, 2, 2), tf.scalar(nKeys, 'int32')), tf.gather(i2, colIdx, 2, 2)); // [H, T, K]
    const scores = best.values.transpose([1, 0, 2]) as tf.Tensor3D; // [T, H, K]
    // On webgpu this int32 transpose needs the guard in gpu/tf-op-guards.ts (installed by initBackend).
    const slotIds = tf.transpose(slot, [1, 0, 2]) as tf.Tensor3D;
    return { slotIds, scores, weights: tf.softmax(scores) as tf.Tensor3D };
  });
}

/** values [N, Dv], slotIds / weights [T, H, K] -> [T, Dv]. Ids must be in [0, N). */
export function valueReadOps(values: tf.Tensor2D, slotIds: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [numTokens, heads, k] = slotIds.shape;
    const rows = tf.gather(values, slotIds.reshape([numTokens, heads * k])); // [T, H*K, Dv]
    return tf.matMul(weights.reshape([numTokens, 1, heads * k]), rows).reshape([numTokens, values.shape[1]]) as tf.Tensor2D;
  });
}

/** Row gradients of `slots` through gather's dense [N, Dv] gradient; dWeights[t,h,j] = dY[t] . V[slot]. */
export function readBackwardOps(
  values: tf.Tensor2D,
  dY: tf.Tensor2D,
  slotIds: tf.Tensor3D,
  weights: tf.Tensor3D,
  slots: Int32Array,
  withWeightGrads = false,
): { rowGrads: tf.Tensor2D; dWeights?: tf.Tensor3D } {
  return tf.tidy(() => {
    const dense = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(valueReadOps(v as tf.Tensor2D, slotIds, weights), dY)))(values); // [N, Dv]
    const rowGrads = tf.gather(dense, tf.tensor1d(slots, 'int32')) as tf.Tensor2D;
    if (!withWeightGrads) return { rowGrads };
    const [numTokens, heads, k] = slotIds.shape;
    const rows = tf.gather(values, slotIds.reshape([numTokens, heads * k])); // [T, H*K, Dv]
    const dWeights = tf.matMul(rows, dY.reshape([numTokens, values.shape[1], 1])).reshape([numTokens, heads, k]) as tf.Tensor3D;
    return { rowGrads, dWeights };
  });
}

/** values -= lr * scatter(rowGrads at slots): a dense rewrite of the whole [N, Dv] table. */
export function sparseUpdateOps(values: tf.Variable<tf.Rank.R2>, slots: Int32Array, rowGrads: tf.Tensor2D, lr: number): void {
  tf.tidy(() => {
    const delta = tf.scatterND(tf.tensor2d(slots, [slots.length, 1], 'int32'), tf.mul(rowGrads, lr), values.shape);
    values.assign(tf.sub(values, delta));
  });
}
