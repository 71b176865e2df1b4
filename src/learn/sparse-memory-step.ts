/**
 * One sparse memory finetuning step (method.md §2; Lin et al. 2025) on the reference path (tf ops; runs on
 * every backend): forward the teaching batch, count the slots its non-pad tokens read, rank them by TF-IDF
 * against the background df, and move ONLY the top-t value rows by plain SGD on the sum-reduced next-token
 * loss. Everything else stays bit-identical. Returns what changed, so the step can be undone bit for bit.
 *
 * The value gradient is never dense: dL/dy is tapped at the memory read (readDeltas) and turned into
 * gradients for the t chosen rows only (sparseRowGradient).
 */
import * as tf from '@tensorflow/tfjs';
import type { EngramModel } from '../model/transformer';
import { sparseRowGradient } from '../model/memory-layer';
import { slotCountsReference } from '../kernels/slot-counts-reference';
import { selectTopT, tfidfScores, type BackgroundStats, type Ranking } from './tfidf';
import type { TeachingBatch } from './teaching-batch';

export interface SparseStepSettings {
  /** How many value rows to train (paper: 500 of 1M for facts). */
  t: number;
  /** SGD learning rate on the sum-reduced loss. */
  lr: number;
  ranking?: Ranking;
}

export interface SparseStepReport {
  /** Mean next-token loss over the batch's targets, before the step. */
  loss: number;
  slots: Int32Array;
  scores: Float64Array;
  /** Floats written: t x Dv. */
  paramsTouched: number;
  ms: number;
}

/** What a step overwrote: restoring these rows undoes it exactly. */
export interface RowsSnapshot {
  readonly slots: Int32Array;
  /** [t, Dv] the rows' values before the step. */
  readonly rows: Float32Array;
}

export async function sparseMemoryStep(
  model: EngramModel,
  batch: TeachingBatch,
  background: BackgroundStats,
  settings: SparseStepSettings,
): Promise<{ report: SparseStepReport; undo: RowsSnapshot }> {
  const started = performance.now();
  const cfg = model.cfg;
  if (!model.values) throw new Error('this model has no memory layer to train');
  if (cfg.memoryLayers.length !== 1) throw new Error(`sparseMemoryStep expects one memory layer, the model has ${cfg.memoryLayers.length}`);
  const { B, T } = batch;
  const M = B * T;
  const readsPerToken = cfg.memHeads * cfg.topk;
  const tokens = tf.tensor2d(batch.tokens, [B, T], 'int32');
  const targetIdx = [] as number[];
  const targetTok = [] as number[];
  batch.targets.forEach((target, i) => {
    if (target >= 0) {
      targetIdx.push(i);
      targetTok.push(target);
    }
  });
  const at = tf.tensor1d(targetIdx, 'int32');
  const want = tf.tensor1d(targetTok, 'int32');
  let ids: tf.Tensor3D | undefined;
  let weights: tf.Tensor3D | undefined;
  const lossOf = (delta: tf.Tensor) => {
    const result = model.forward(tokens, { readDeltas: [delta as tf.Tensor2D] });
    ids = result.reads[0].ids;
    weights = result.reads[0].weights;
    const logp = tf.logSoftmax(result.logits.reshape([M, cfg.vocabSize]));
    result.logits.dispose();
    const picked = tf.gather(logp, at).mul(tf.oneHot(want, cfg.vocabSize)).sum();
    return tf.neg(picked) as tf.Scalar; // sum-reduced: per-row gradients do not shrink with the batch size
  };
  const delta = tf.zeros([M, cfg.valueDim]);
  const { value, grad } = tf.valueAndGrad(lossOf)(delta);
  const [lossSum, hostIds, hostWeights] = await Promise.all([value.data(), ids!.data(), weights!.data()]);
  tf.dispose([tokens, at, want, delta, value, ids!, weights!]);

  // TF: reads per slot over non-pad tokens only (method.md §2 step 3).
  const nonPad = Uint8Array.from(batch.tokens, (token) => (token === cfg.padId ? 0 : 1));
  const { counts } = slotCountsReference(hostIds as Int32Array, nonPad, readsPerToken, cfg.nKeys * cfg.nKeys);
  const { slots, scores } = selectTopT(tfidfScores(counts, background, settings.ranking ?? 'tfidf'), settings.t);

  const indices = tf.tensor2d(slots, [slots.length, 1], 'int32');
  const old = tf.gatherND(model.values, indices) as tf.Tensor2D; // [t, Dv]
  const oldRows = (await old.data()) as Float32Array;
  const rowGrads = sparseRowGradient(hostIds as Int32Array, hostWeights as Float32Array, readsPerToken, grad as tf.Tensor2D, slots);
  grad.dispose();
  const updated = tf.tidy(() => tf.sub(old, tf.mul(rowGrads, settings.lr))) as tf.Tensor2D;
  replaceRows(model, indices, updated);
  tf.dispose([old, rowGrads, updated, indices]);
  return {
    report: {
      loss: lossSum[0] / Math.max(1, batch.numTargets),
      slots,
      scores,
      paramsTouched: slots.length * cfg.valueDim,
      ms: performance.now() - started,
    },
    undo: { slots, rows: Float32Array.from(oldRows) },
  };
}

/** Puts back the rows a step overwrote: the values become bit-identical to before the step. */
export function restoreRows(model: EngramModel, snapshot: RowsSnapshot): void {
  if (!model.values) throw new Error('this model has no memory layer');
  const t = snapshot.slots.length;
  const indices = tf.tensor2d(snapshot.slots, [t, 1], 'int32');
  const rows = tf.tensor2d(snapshot.rows, [t, model.cfg.valueDim]);
  replaceRows(model, indices, rows);
  tf.dispose([indices, rows]);
}

// Reference path: a new table with the rows replaced (tensorScatterUpdate copies N x Dv once). On webgpu the
// kernels' in-place sparseUpdate (src/kernels/memory-kernels-tf.ts) avoids the copy.
function replaceRows(model: EngramModel, indices: tf.Tensor2D, rows: tf.Tensor2D): void {
  const next = tf.tensorScatterUpdate(model.values!, indices, rows) as tf.Tensor2D;
  model.values!.dispose();
  model.values = next;
}
