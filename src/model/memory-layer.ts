/**
 * The product-key memory layer (docs/method.md §1; Lample et al. 2019, Berges et al. 2024 "Memory+"), as tf ops.
 * This is the reference path, and the one that runs on wasm and cpu; on webgpu the model can hand `lookup`
 * and `valueRead` to the kernels helper's WGSL kernels (MemoryKernels below) with the same contract.
 *
 *   q = Wq h + b                 query BatchNorm (eval mode) is folded into Wq, b by the exporter
 *   s1 = K1 q1, s2 = K2 q2       per head, per half: [H, M, nKeys]
 *   top-K of s1, top-K of s2     then the K*K sums s1[i] + s2[j] for slot i * nKeys + j, top-K of those
 *   w = softmax(top-K sums)      per head
 *   y = sum_h sum_j w V[slot]    one value table shared by heads (and by memory layers)
 *   out = W2 (y * silu(W1 h))    swilu output
 *
 * Gradients never reach V densely: the read is not differentiated w.r.t. V at all. A learner taps the read
 * with `readDelta` (dL/dy, [M, Dv]) and turns it into gradients for chosen rows only with
 * `sparseRowGradient`, which builds a [t, M] weight matrix on the CPU and multiplies: t x Dv floats, whatever N.
 *
 * The query projection, keys, w1 and w2 are differentiable as ordinary tf ops, except the top-K selection:
 * tfjs has no TopK gradient, and the int32 slot ids would sit on the tape. `differentiableLookup` runs the
 * same lookup inside a custom gradient (productKeyLookupWithGrad) for the baselines that train them.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';
import { linear, type LinearAdapters } from './linear';

export interface MemoryWeights {
  /** [H*Kd, D] (torch Linear layout), BatchNorm folded. */
  readonly queryWeight: tf.Tensor2D;
  readonly queryBias: tf.Tensor1D;
  /** [H, 2, nKeys, Kd/2] */
  readonly keys: tf.Tensor4D;
  /** [Dv, D] swilu projection */
  readonly w1: tf.Tensor2D;
  /** [D, Dv] value projection */
  readonly w2: tf.Tensor2D;
}

/** The kernels helper's WGSL path (src/kernels/memory-kernels-tf.ts) satisfies this structurally. */
export interface MemoryKernels {
  lookup(queries: tf.Tensor3D, subKeys: tf.Tensor4D, k: number): { slotIds: tf.Tensor3D; weights: tf.Tensor3D };
  valueRead(
    table: { shards: tf.Tensor2D[]; numSlots: number; dim: number; rowsPerShard: number; numShards: number },
    slotIds: tf.Tensor3D,
    weights: tf.Tensor3D,
  ): tf.Tensor2D;
}

export interface MemoryReadResult {
  /** [M, D] the layer's output, added to the residual stream by the block. */
  readonly out: tf.Tensor2D;
  /** [M, H, K] int32 slot ids, best first. */
  readonly ids: tf.Tensor3D;
  /** [M, H, K] softmax weights. */
  readonly weights: tf.Tensor3D;
}

/** Per-head product-key top-K: queries [M, H, Kd] -> ids [M, H, K] int32, weights [M, H, K]. */
export function productKeyLookup(queries: tf.Tensor3D, keys: tf.Tensor4D, k: number): { ids: tf.Tensor3D; weights: tf.Tensor3D } {
  return tf.tidy(() => {
    const [M, H, Kd] = queries.shape;
    const nKeys = keys.shape[2];
    const half = Kd / 2;
    // [M, H, 2, half] -> [H*2, M, half], matching keys viewed as [H*2, nKeys, half]
    const q = queries.reshape([M, H * 2, half]).transpose([1, 0, 2]) as tf.Tensor3D;
    const s = tf.matMul(q, keys.reshape([H * 2, nKeys, half]) as tf.Tensor3D, false, true); // [H*2, M, nKeys]
    const { values: v, indices: i } = tf.topk(s, k); // [H*2, M, K]
    const v4 = v.reshape([H, 2, M, k]);
    const i4 = i.reshape([H, 2, M, k]);
    const [v1, v2] = tf.unstack(v4, 1) as tf.Tensor3D[]; // [H, M, K]
    const [i1, i2] = tf.unstack(i4, 1) as tf.Tensor3D[];
    const cand = tf.add(v1.expandDims(3), v2.expandDims(2)).reshape([H, M, k * k]); // [H, M, K*K]
    const { values: best, indices: pos } = tf.topk(cand, k); // [H, M, K]
    // Gather i1[h, m, pos / K] and i2[h, m, pos % K] as a flat gather with explicit row offsets: tfjs-wasm 4.22's
    // GatherV2 with batchDims > 0 returns wrong values (measured: indices outside the source's range).
    const kk = tf.scalar(k, 'int32');
    const rowBase = tf.mul(tf.range(0, H * M, 1, 'int32'), kk).reshape([H, M, 1]); // [H, M, 1]
    const a = tf.gather(i1.reshape([H * M * k]), tf.add(rowBase, tf.floorDiv(pos, kk)).reshape([H * M * k])).reshape([H, M, k]);
    const b = tf.gather(i2.reshape([H * M * k]), tf.add(rowBase, tf.mod(pos, kk)).reshape([H * M * k])).reshape([H, M, k]);
    const ids = tf.add(tf.mul(a, tf.scalar(nKeys, 'int32')), b);
    const weights = tf.softmax(best);
    return {
      ids: ids.transpose([1, 0, 2]) as tf.Tensor3D, // [M, H, K]
      weights: weights.transpose([1, 0, 2]) as tf.Tensor3D,
    };
  });
}

/** y[m] = sum_{h,j} w[m,h,j] V[ids[m,h,j]]  ->  [M, Dv]. Not differentiated w.r.t. V (see file header). */
export function valueReadTf(values: tf.Tensor2D, ids: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [M, H, K] = ids.shape;
    const Dv = values.shape[1];
    const rows = tf.gather(values, ids.reshape([M * H * K])).reshape([M, H * K, Dv]); // [M, H*K, Dv]
    return tf.matMul(weights.reshape([M, 1, H * K]), rows).reshape([M, Dv]) as tf.Tensor2D; // [M, Dv]
  });
}

/**
 * productKeyLookup with a gradient from the read weights to the queries and the keys, as PyTorch's topk gives
 * it: the selection is piecewise constant, and each kept score best[m,h,j] = q1.K1[a] + q2.K2[b] (a, b the two
 * halves of slot ids[m,h,j]) passes its gradient to both halves' queries and to sub-keys a and b. The forward
 * values are productKeyLookup's, bit for bit. The slot ids are computed inside the custom op (never on the tape:
 * int32 tensors have no gradient) and handed out kept: the caller disposes them, as forward()'s reads.
 */
export function productKeyLookupWithGrad(queries: tf.Tensor3D, keys: tf.Tensor4D, k: number): { ids: tf.Tensor3D; weights: tf.Tensor3D } {
  let ids: tf.Tensor3D | undefined;
  const lookup = tf.customGrad((q, subKeys, save) => {
    const r = productKeyLookup(q as tf.Tensor3D, subKeys as tf.Tensor4D, k);
    ids = tf.keep(r.ids);
    (save as tf.GradSaveFunc)([q as tf.Tensor, subKeys as tf.Tensor, r.ids, r.weights]);
    return { value: r.weights, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => lookupGradient(dy as tf.Tensor3D, saved) };
  });
  const weights = lookup(queries, keys) as tf.Tensor3D;
  return { ids: ids!, weights };
}

/** dL/dweights [M, H, K] -> [dL/dqueries [M, H, Kd], dL/dkeys [H, 2, nKeys, Kd/2]]. */
function lookupGradient(dy: tf.Tensor3D, saved: tf.Tensor[]): tf.Tensor[] {
  const [queries, keys, ids, weights] = saved as [tf.Tensor3D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
  const [M, H, Kd] = queries.shape;
  const K = ids.shape[2];
  const nKeys = keys.shape[2];
  const half = Kd / 2;
  const dBest = tf.mul(weights, tf.sub(dy, tf.sum(tf.mul(dy, weights), -1, true))); // softmax backward, [M, H, K]
  // Row of each kept sub-key in keys viewed as [H*2*nKeys, half]: (h*2 + c) * nKeys + (a for c = 0, b for c = 1).
  const nk = tf.scalar(nKeys, 'int32');
  const headBase = tf.mul(tf.range(0, H, 1, 'int32'), tf.scalar(2 * nKeys, 'int32')).reshape([1, H, 1]); // [1, H, 1]
  const rowA = tf.add(headBase, tf.floorDiv(ids, nk));
  const rowB = tf.add(tf.add(headBase, nk), tf.mod(ids, nk));
  const rows = tf.stack([rowA, rowB], 3).reshape([M * H * K * 2]) as tf.Tensor1D; // [M, H, K, 2] flattened
  const kept = tf.gather(keys.reshape([H * 2 * nKeys, half]), rows).reshape([M * H, K, Kd]); // [M*H, K, Kd]: both halves side by side, as in q
  const dQueries = tf.matMul(dBest.reshape([M * H, 1, K]), kept).reshape([M, H, Kd]); // [M, H, Kd]
  const perRead = tf.mul(dBest.reshape([M, H, K, 1, 1]), queries.reshape([M, H, 1, 2, half])); // [M, H, K, 2, half]
  const dKeys = tf.unsortedSegmentSum(perRead.reshape([M * H * K * 2, half]), rows, H * 2 * nKeys).reshape(keys.shape); // [H, 2, nKeys, half]
  return [dQueries, dKeys];
}

export interface MemoryForwardOptions {
  /** Added to the read y ([M, Dv]); differentiate the loss w.r.t. it to get dL/dy for sparse row gradients. */
  readDelta?: tf.Tensor2D;
  /** Ablation: read zeros instead of V (shows how much the model's knowledge lives in the memory). */
  zeroValues?: boolean;
  kernels?: MemoryKernels | null;
  /** Differentiate the lookup w.r.t. queries and keys (productKeyLookupWithGrad); needs the tf-ops path. */
  differentiableLookup?: boolean;
  /** Low-rank (or other) additive deltas on the query projection, w1 and w2 and, where given, the value table (linear.ts). */
  adapters?: LinearAdapters;
  /** This layer's parameter name prefix, e.g. "blocks.2.", for `adapters`. */
  prefix?: string;
}

/** h [M, D] (already RMS-normalised) -> out [M, D] plus the reads. */
export function memoryLayer(h: tf.Tensor2D, w: MemoryWeights, values: tf.Tensor2D, cfg: ModelConfig, opts: MemoryForwardOptions = {}): MemoryReadResult {
  const M = h.shape[0];
  const { memHeads: H, keyDim: Kd, topk: K } = cfg;
  const p = opts.prefix ?? '';
  const queries = tf.add(linear(h, w.queryWeight, `${p}mem.query.weight`, opts.adapters), w.queryBias).reshape([M, H, Kd]) as tf.Tensor3D; // [M, H, Kd]
  let ids: tf.Tensor3D;
  let weights: tf.Tensor3D;
  if (opts.differentiableLookup) {
    if (opts.kernels) throw new Error('memoryLayer: the differentiable lookup runs on tf ops; pass no kernels with it');
    ({ ids, weights } = productKeyLookupWithGrad(queries, w.keys, K));
  } else if (opts.kernels) {
    const r = opts.kernels.lookup(queries, w.keys, K);
    ids = r.slotIds;
    weights = r.weights;
  } else {
    ({ ids, weights } = productKeyLookup(queries, w.keys, K));
  }
  let y: tf.Tensor2D;
  if (opts.zeroValues) y = tf.zeros([M, cfg.valueDim]);
  else if (opts.kernels) {
    const [N, Dv] = values.shape;
    y = opts.kernels.valueRead({ shards: [values], numSlots: N, dim: Dv, rowsPerShard: N, numShards: 1 }, ids, weights);
  }
  else y = valueReadTf(values, ids, weights);
  const adapted = opts.adapters?.valueDelta?.(ids, weights);
  if (adapted) y = tf.add(y, adapted);
  if (opts.readDelta) y = tf.add(y, opts.readDelta);
  const gate = linear(h, w.w1, `${p}mem.w1`, opts.adapters); // [M, Dv]
  const out = linear(tf.mul(y, tf.mul(gate, tf.sigmoid(gate))) as tf.Tensor2D, w.w2, `${p}mem.w2`, opts.adapters); // [M, D]
  return { out, ids, weights };
}

/**
 * dL/dV for the rows `slots` only: grad[u] = sum over reads (m, h, j) with ids[m,h,j] = slots[u] of
 * w[m,h,j] * dY[m]. ids / weights are the host copies of a forward pass's reads ([M*H*K], row-major).
 * Returns [t, Dv]. The (t x M) coefficient matrix is built on the CPU, then one matMul.
 */
export function sparseRowGradient(ids: Int32Array, weights: Float32Array, readsPerToken: number, dY: tf.Tensor2D, slots: Int32Array): tf.Tensor2D {
  const M = dY.shape[0];
  if (ids.length !== M * readsPerToken || weights.length !== ids.length) {
    throw new Error(`sparseRowGradient: expected ${M} x ${readsPerToken} reads, got ${ids.length} ids and ${weights.length} weights`);
  }
  const row = new Map<number, number>();
  slots.forEach((s, u) => {
    if (row.has(s)) throw new Error(`sparseRowGradient: slot ${s} is listed twice`);
    row.set(s, u);
  });
  const coef = new Float32Array(slots.length * M);
  for (let r = 0; r < ids.length; r++) {
    const u = row.get(ids[r]);
    if (u !== undefined) coef[u * M + Math.floor(r / readsPerToken)] += weights[r];
  }
  return tf.tidy(() => tf.matMul(tf.tensor2d(coef, [slots.length, M]), dY));
}
