/**
 * Causal multi-head self-attention, as train/model.py's Attention computes it (no biases, scale 1/sqrt(hd)).
 * Rows are right-padded single documents, so a causal mask alone keeps real tokens from seeing pads.
 */
import * as tf from '@tensorflow/tfjs';
import { linear, type LinearAdapters } from './linear';

export interface AttentionWeights {
  /** [3D, D] torch Linear layout (out x in): q, k, v stacked. */
  readonly qkv: tf.Tensor2D;
  /** [D, D] */
  readonly proj: tf.Tensor2D;
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above. */
export function causalMask(T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
    return tf.mul(tf.sub(1, lower), -1e9) as tf.Tensor2D;
  });
}

/** Keys and values of the positions seen so far, per head: each [B, h, T, hd] (incremental decoding). */
export interface KeyValues {
  readonly k: tf.Tensor4D;
  readonly v: tf.Tensor4D;
}

/**
 * x [B, T, D] -> [B, T, D]. `prefix` names the block's parameters ("blocks.0.") for `adapters`.
 */
export function attention(x: tf.Tensor3D, w: AttentionWeights, nHeads: number, mask: tf.Tensor2D, adapters?: LinearAdapters, prefix = ''): tf.Tensor3D {
  const { q, k, v } = project(x, w, nHeads, adapters, prefix);
  return attend(q, k, v, mask, w, adapters, prefix);
}

/**
 * Attention of new positions x [B, Tq, D] over `past` keys and values followed by their own, for incremental
 * decoding: returns the output and all keys and values so far (past ones first). `mask` is additive and
 * broadcasts to [B, h, Tq, Tpast + Tq] (0 where a query may look, -1e9 where not).
 */
export function attentionWithPast(
  x: tf.Tensor3D,
  w: AttentionWeights,
  nHeads: number,
  mask: tf.Tensor,
  past: KeyValues | undefined,
  adapters?: LinearAdapters,
  prefix = '',
): { y: tf.Tensor3D; kv: KeyValues } {
  const own = project(x, w, nHeads, adapters, prefix);
  const k = past ? (tf.concat([past.k, own.k], 2) as tf.Tensor4D) : own.k;
  const v = past ? (tf.concat([past.v, own.v], 2) as tf.Tensor4D) : own.v;
  return { y: attend(own.q, k, v, mask, w, adapters, prefix), kv: { k, v } };
}

/** q, k, v [B, h, T, hd] from x [B, T, D]. */
function project(x: tf.Tensor3D, w: AttentionWeights, nHeads: number, adapters: LinearAdapters | undefined, prefix: string): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
  const [B, T, D] = x.shape;
  const hd = D / nHeads;
  // The 3D outputs are laid out (q | k | v) x (h, hd). Split first, then one 4-D transpose each: the single
  // rank-5 transpose this replaces took ~78 ms per layer on wasm for a 64-row evaluation batch (0.3 ms as 4-D).
  const qkv = linear(x.reshape([B * T, D]), w.qkv, `${prefix}attn.qkv`, adapters).reshape([B, T, 3 * D]);
  const [q, k, v] = tf.split(qkv, 3, 2).map((part) => part.reshape([B, T, nHeads, hd]).transpose([0, 2, 1, 3])) as tf.Tensor4D[];
  return { q, k, v };
}

/** Softmax(q k^T / sqrt(hd) + mask) v, heads merged and projected: [B, Tq, D]. */
function attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor, w: AttentionWeights, adapters: LinearAdapters | undefined, prefix: string): tf.Tensor3D {
  const [B, h, T, hd] = q.shape;
  const D = h * hd;
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask); // [B, h, Tq, Tk]
  const y = tf.matMul(tf.softmax(scores), v); // [B, h, Tq, hd]
  const merged = y.transpose([0, 2, 1, 3]).reshape([B * T, D]);
  return linear(merged as tf.Tensor2D, w.proj, `${prefix}attn.proj`, adapters).reshape([B, T, D]) as tf.Tensor3D;
}
