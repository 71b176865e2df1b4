/**
 * Sparse memory finetuning (method.md §2; Lin et al. 2025) and its ablations, behind the Learner interface.
 * For each step on a fact's teaching batch: forward with a dL/dy tap at the memory read, count the slots the
 * non-pad tokens read (TF), rank them (TF-IDF against background df, TF only, or every accessed slot), and
 * move ONLY the top-t value rows: plain SGD by default, or lazily-stated AdamW (the ablation). Everything else
 * stays bit-identical, and the step records the rows it overwrote so it can be undone bit for bit.
 *
 * The value gradient is never dense: dL/dy is turned into gradients for the chosen rows only
 * (sparseRowGradient: t x Dv floats whatever N). Reference path (tf ops), so it runs on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { EngramModel } from '../model/transformer';
import { nSlots } from '../model/config';
import { sparseRowGradient } from '../model/memory-layer';
import { slotCountsReference } from '../kernels/slot-counts-reference';
import { selectTopT, tfidfScores, type BackgroundStats } from './tfidf';
import type { TeachingBatch } from './teaching-batch';
import { NonFiniteStepError, type Learner, type StepReport } from './learner';
import { summedNextTokenLoss, targetMask } from './next-token-loss';

export interface SparseSettings {
  /** Value rows trained per step (paper: 500 of 1M slots for facts). Ignored by ranking 'all'. */
  readonly t: number;
  /** Learning rate on the sum-reduced loss. */
  readonly lr: number;
  /** Steps per fact (default 1). */
  readonly steps?: number;
  /** 'tfidf' (the method), 'tf' (ablation: no background), 'all' (ablation: every accessed slot). */
  readonly ranking?: 'tfidf' | 'tf' | 'all';
  /** Where df comes from: the shipped pretraining statistics, or the teaching stream itself (ablation). */
  readonly background?: 'pretrain' | 'stream';
  /** 'sgd' (the method: no momentum, no weight decay) or 'adamw' (ablation). */
  readonly optimizer?: 'sgd' | 'adamw';
  /** AdamW only (default 0.1, as in the paper's baselines). */
  readonly weightDecay?: number;
}

/** What a fact's steps overwrote: restoring these rows undoes the fact exactly. */
export interface RowsSnapshot {
  readonly slots: Int32Array;
  /** [slots.length, Dv] the rows' values before the fact. */
  readonly rows: Float32Array;
}

export interface SparseStepReport extends StepReport {
  readonly undo: RowsSnapshot;
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

export class SparseMemoryLearner implements Learner {
  readonly method = 'sparse' as const;
  readonly label: string;
  readonly settings: Required<SparseSettings>;
  private readonly streamDf: Uint32Array | null;
  private streamBatches = 0;
  /** AdamW ablation: moments and step count per row, created lazily for rows that were ever trained. */
  private readonly adam = new Map<number, { m: Float32Array; v: Float32Array; step: number }>();

  constructor(readonly model: EngramModel, private readonly pretrainBackground: BackgroundStats | null, settings: SparseSettings) {
    if (!model.values) throw new Error('this model has no memory layer to train');
    if (model.cfg.memoryLayers.length !== 1) throw new Error(`the sparse learner expects one memory layer, the model has ${model.cfg.memoryLayers.length}`);
    this.settings = { steps: 1, ranking: 'tfidf', background: 'pretrain', optimizer: 'sgd', weightDecay: 0.1, ...settings };
    const s = this.settings;
    if (!(s.lr > 0) || !Number.isFinite(s.lr)) throw new RangeError(`lr must be a positive number, got ${s.lr}`);
    if (!Number.isInteger(s.t) || s.t < 1) throw new RangeError(`t must be a positive integer, got ${s.t}`);
    if (!Number.isInteger(s.steps) || s.steps < 1) throw new RangeError(`steps must be a positive integer, got ${s.steps}`);
    if (s.ranking === 'tfidf' && s.background === 'pretrain' && !pretrainBackground) {
      throw new Error('TF-IDF ranking against pretraining needs the background df (the checkpoint has none)');
    }
    this.streamDf = s.background === 'stream' ? new Uint32Array(nSlots(model.cfg)) : null;
    const parts = [`sparse ${s.ranking === 'all' ? 'all-accessed' : s.ranking}`];
    if (s.ranking !== 'all') parts.push(`t=${s.t}`);
    parts.push(`lr=${s.lr}`);
    if (s.background === 'stream') parts.push('bg=stream');
    if (s.optimizer === 'adamw') parts.push('adamw');
    if (s.steps > 1) parts.push(`steps=${s.steps}`);
    this.label = parts.join(' ');
  }

  async teach(batch: TeachingBatch): Promise<SparseStepReport> {
    const started = performance.now();
    const Dv = this.model.cfg.valueDim;
    const before = new Map<number, Float32Array>(); // first-seen values of every row this fact writes
    let firstLoss = NaN;
    let last: StepOutcome | undefined;
    const streamSlots = new Set<number>();
    try {
      for (let step = 0; step < this.settings.steps; step++) {
        last = await this.step(batch, before);
        if (step === 0) firstLoss = last.loss;
        for (const s of last.readSlots) streamSlots.add(s);
      }
    } catch (error) {
      if (error instanceof NonFiniteStepError) this.restore(snapshotOf(before, Dv));
      throw error;
    }
    if (this.streamDf) {
      for (const s of streamSlots) this.streamDf[s]++;
      this.streamBatches++;
    }
    const undo = snapshotOf(before, Dv);
    const current = await this.readRows(undo.slots);
    const norms = new Float32Array(last!.slots.length);
    const index = new Map<number, number>();
    undo.slots.forEach((s, u) => index.set(s, u));
    last!.slots.forEach((s, i) => {
      const u = index.get(s)!;
      let sq = 0;
      for (let d = 0; d < Dv; d++) sq += (current[u * Dv + d] - undo.rows[u * Dv + d]) ** 2;
      norms[i] = Math.sqrt(sq);
    });
    return {
      method: 'sparse',
      loss: firstLoss / Math.max(1, batch.numTargets),
      steps: this.settings.steps,
      slots: last!.slots,
      scores: last!.scores,
      reads: last!.reads,
      updateNorms: norms,
      paramsTouched: Math.round(undo.slots.length / this.settings.steps) * Dv,
      ms: performance.now() - started,
      undo,
    };
  }

  /** Puts back rows a fact overwrote; the values become bit-identical to before it. */
  restore(snapshot: RowsSnapshot): void {
    restoreRows(this.model, snapshot);
  }

  dispose(): void {
    this.adam.clear();
  }

  private background(): BackgroundStats | null {
    if (this.streamDf) return this.streamBatches > 0 ? { df: this.streamDf, numBatches: this.streamBatches } : null;
    return this.pretrainBackground;
  }

  private async step(batch: TeachingBatch, before: Map<number, Float32Array>): Promise<StepOutcome> {
    const model = this.model;
    const cfg = model.cfg;
    const M = batch.B * batch.T;
    const readsPerToken = cfg.memHeads * cfg.topk;
    const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
    const mask = targetMask(batch, cfg.vocabSize);
    let ids: tf.Tensor3D | undefined;
    let weights: tf.Tensor3D | undefined;
    const lossOf = (delta: tf.Tensor) => {
      const result = model.forward(tokens, { readDeltas: [delta as tf.Tensor2D] });
      ids = result.reads[0].ids;
      weights = result.reads[0].weights;
      return summedNextTokenLoss(result.logits, mask);
    };
    const delta = tf.zeros([M, cfg.valueDim]);
    const { value, grad } = tf.valueAndGrad(lossOf)(delta);
    const [lossData, hostIds, hostWeights] = await Promise.all([value.data(), ids!.data(), weights!.data()]);
    tf.dispose([tokens, mask, delta, value, ids!, weights!]);
    const loss = lossData[0];
    if (!Number.isFinite(loss)) {
      grad.dispose();
      throw new NonFiniteStepError(`a non-finite loss (${loss})`);
    }

    // TF: reads per slot over non-pad tokens only (method.md §2 step 3).
    const nonPad = Uint8Array.from(batch.tokens, (token) => (token === cfg.padId ? 0 : 1));
    const { counts } = slotCountsReference(hostIds as Int32Array, nonPad, readsPerToken, nSlots(cfg));
    const reads = readSlots(counts);
    const ranking = this.settings.ranking;
    const background = this.background();
    const { slots, scores } =
      ranking === 'all'
        ? { slots: reads.slots, scores: Float64Array.from(reads.counts) }
        : selectTopT(tfidfScores(counts, background ?? { df: new Uint32Array(counts.length), numBatches: 0 }, background ? ranking : 'tf'), this.settings.t);

    const rowGrads = sparseRowGradient(hostIds as Int32Array, hostWeights as Float32Array, readsPerToken, grad as tf.Tensor2D, slots);
    grad.dispose();
    const g = (await rowGrads.data()) as Float32Array;
    rowGrads.dispose();
    const old = await this.readRows(slots);
    const Dv = cfg.valueDim;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) throw new NonFiniteStepError('a non-finite gradient');
    }
    slots.forEach((s, u) => {
      if (!before.has(s)) before.set(s, old.slice(u * Dv, (u + 1) * Dv));
    });
    const next = this.settings.optimizer === 'adamw' ? this.adamw(slots, old, g) : sgd(old, g, this.settings.lr);
    for (let i = 0; i < next.length; i++) {
      if (!Number.isFinite(next[i])) throw new NonFiniteStepError('a non-finite update');
    }
    writeRows(model, slots, next);
    return { loss, slots, scores, reads, readSlots: reads.slots };
  }

  private adamw(slots: Int32Array, old: Float32Array, g: Float32Array): Float32Array {
    const Dv = this.model.cfg.valueDim;
    const { lr, weightDecay } = this.settings;
    const next = new Float32Array(old.length);
    slots.forEach((s, u) => {
      let state = this.adam.get(s);
      if (!state) this.adam.set(s, (state = { m: new Float32Array(Dv), v: new Float32Array(Dv), step: 0 }));
      state.step++;
      const c1 = 1 - ADAM_BETA1 ** state.step;
      const c2 = 1 - ADAM_BETA2 ** state.step;
      for (let d = 0; d < Dv; d++) {
        const i = u * Dv + d;
        state.m[d] = ADAM_BETA1 * state.m[d] + (1 - ADAM_BETA1) * g[i];
        state.v[d] = ADAM_BETA2 * state.v[d] + (1 - ADAM_BETA2) * g[i] * g[i];
        const p = old[i] * (1 - lr * weightDecay);
        next[i] = p - (lr * state.m[d]) / c1 / (Math.sqrt(state.v[d] / c2) + ADAM_EPS);
      }
    });
    return next;
  }

  private async readRows(slots: Int32Array): Promise<Float32Array> {
    if (slots.length === 0) return new Float32Array(0);
    const indices = tf.tensor1d(slots, 'int32');
    const rows = tf.gather(this.model.values!, indices);
    const data = (await rows.data()) as Float32Array;
    tf.dispose([indices, rows]);
    return data;
  }
}

interface StepOutcome {
  loss: number;
  slots: Int32Array;
  scores: Float64Array;
  reads: { slots: Int32Array; counts: Uint32Array };
  readSlots: Int32Array;
}

function sgd(old: Float32Array, g: Float32Array, lr: number): Float32Array {
  const next = new Float32Array(old.length);
  for (let i = 0; i < old.length; i++) next[i] = old[i] - lr * g[i];
  return next;
}

function readSlots(counts: Uint32Array): { slots: Int32Array; counts: Uint32Array } {
  const slots: number[] = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) slots.push(i);
  return { slots: Int32Array.from(slots), counts: Uint32Array.from(slots, (s) => counts[s]) };
}

function snapshotOf(before: Map<number, Float32Array>, Dv: number): RowsSnapshot {
  const slots = Int32Array.from([...before.keys()].sort((a, b) => a - b));
  const rows = new Float32Array(slots.length * Dv);
  slots.forEach((s, u) => rows.set(before.get(s)!, u * Dv));
  return { slots, rows };
}

/** Puts back rows a step overwrote: the values become bit-identical to before the step. */
export function restoreRows(model: EngramModel, snapshot: RowsSnapshot): void {
  writeRows(model, snapshot.slots, snapshot.rows);
}

/**
 * Reference path: a new table with the rows replaced (tensorScatterUpdate copies N x Dv once, ~30 MB at the
 * shipped size). On webgpu the kernels' in-place sparseUpdate (src/kernels/memory-kernels-tf.ts) avoids it.
 */
export function writeRows(model: EngramModel, slots: Int32Array, rows: Float32Array): void {
  if (!model.values) throw new Error('this model has no memory layer');
  if (slots.length === 0) return;
  const Dv = model.cfg.valueDim;
  const next = tf.tidy(() => tf.tensorScatterUpdate(model.values!, tf.tensor2d(slots, [slots.length, 1], 'int32'), tf.tensor2d(rows, [slots.length, Dv])));
  model.values.dispose();
  model.values = next as tf.Tensor2D;
}
