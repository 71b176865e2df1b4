/**
 * Full finetuning, the paper's first baseline (docs/method.md §3; Lin et al. 2025): AdamW with weight decay 0.1 (or,
 * as an option, plain SGD with its own rate for the value table) on EVERY parameter of the model for each step on a fact's teaching batch: embeddings, positions, norms,
 * attention, the memory layer's query projection, keys, w1, w2, and the whole value table.
 *
 * The value table's gradient comes from the dL/dy tap at the memory read (readDeltas) turned into rows for
 * every row the batch read (sparseRowGradient's sum, accumulated read by read on the host); it is zero elsewhere, so it goes to AdamW by rows
 * (RowGradient, adamw.ts) and no dense [N, Dv] gradient is built; that is exactly dL/dV. AdamW then runs on
 * the whole table, as real full finetuning does: rows not read this step still decay (weight decay) and keep
 * moving on their moments from earlier facts (on wasm and cpu in one fused pass over the table).
 * The lookup's top-K is differentiated with the custom gradient in memory-layer.ts (differentiableLookup).
 *
 * A non-finite loss, gradient or update rolls the fact back (parameters and optimizer moments) and throws
 * NonFiniteStepError (optimizer-steps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { EngramModel } from '../model/transformer';
import { AdamW, type Gradient, type RowGradient } from './adamw';
import { stepsLabel, teachByOptimizer, type Gradients, type StepOptimizer, type TensorStore } from './optimizer-steps';
import { Sgd } from './sgd';
import type { Learner, StepReport } from './learner';
import { summedNextTokenLoss } from './next-token-loss';
import type { TeachingBatch } from './teaching-batch';
import { answerEvidence, readAnswered, stopRule, type AnswerEvidence } from './answer-check';

export interface FullFinetuneSettings {
  /** AdamW learning rate (on the sum-reduced loss). */
  readonly lr: number;
  /** Steps per fact (default 1). */
  readonly steps?: number;
  /** More steps, up to this many, while a wording of the batch is not yet answered (default: steps). */
  readonly maxSteps?: number;
  /** With maxSteps: the answer tokens' least probability for answered (default 0: the argmax), answer-check.ts. */
  readonly answerProb?: number;
  /** Decoupled weight decay on every parameter (default 0.1, as in the paper; AdamW only). */
  readonly weightDecay?: number;
  /** 'adamw' (default, the paper's baseline) or 'sgd' (plain SGD, sgd.ts: the optimizer sparse finetuning uses). */
  readonly optimizer?: 'adamw' | 'sgd';
  /** SGD only: the value table's learning rate (default: lr); its row gradients are tiny next to the dense weights'. */
  readonly valueLr?: number;
}

const VALUES = 'mem_values';

export class FullFinetuneLearner implements Learner {
  readonly method = 'full' as const;
  readonly label: string;
  readonly settings: Required<FullFinetuneSettings>;
  private readonly optimizer: StepOptimizer;

  constructor(readonly model: EngramModel, settings: FullFinetuneSettings) {
    // Unset (or explicitly undefined) settings take their defaults.
    this.settings = { ...settings, weightDecay: settings.weightDecay ?? 0.1, optimizer: settings.optimizer ?? 'adamw', valueLr: settings.valueLr ?? settings.lr, ...stopRule(settings) };
    const s = this.settings;
    if (s.optimizer === 'sgd') {
      this.optimizer = new Sgd((name) => (name === VALUES ? s.valueLr : s.lr));
      this.label = `full sgd lr=${s.lr}${s.valueLr !== s.lr ? ` value-lr=${s.valueLr}` : ''}${stepsLabel(s)}`;
    } else {
      this.optimizer = new AdamW({ lr: s.lr, weightDecay: s.weightDecay });
      this.label = `full lr=${s.lr}${s.weightDecay !== 0.1 ? ` wd=${s.weightDecay}` : ''}${stepsLabel(s)}`;
    }
  }

  /** Floats in the model: what one step of full finetuning writes. */
  get parameterCount(): number {
    let n = 0;
    for (const t of this.model.parameters().values()) n += t.size;
    return n;
  }

  async teach(batch: TeachingBatch): Promise<StepReport> {
    const model = this.model;
    const store: TensorStore = { current: () => model.parameters(), replace: (name, tensor) => model.setParameter(name, tensor) };
    return teachByOptimizer('full', batch, model.cfg.vocabSize, store, this.optimizer, this.settings, this.parameterCount, (tokens, mask, check) =>
      this.gradients(batch, tokens, mask, check),
    );
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  /** Sum-reduced loss and dL/dp for every parameter (the value table's by rows, from the read tap). */
  private async gradients(batch: TeachingBatch, tokens: tf.Tensor2D, mask: tf.Tensor2D, check: boolean): Promise<Gradients> {
    const model = this.model;
    const cfg = model.cfg;
    const [B, T] = tokens.shape;
    const M = B * T;
    const params = model.parameters();
    const names = [...params.keys()].filter((n) => n !== VALUES);
    const deltas = cfg.memoryLayers.map(() => tf.zeros([M, cfg.valueDim]) as tf.Tensor2D);
    let reads: { ids: tf.Tensor3D; weights: tf.Tensor3D }[] = [];
    let evidence: AnswerEvidence | undefined;
    const lossOf = () => {
      const result = model.forward(tokens, { readDeltas: deltas, differentiableLookup: true });
      reads = result.reads;
      if (check) evidence = answerEvidence(batch, result.logits, this.settings.answerProb); // off the gradient's path
      return summedNextTokenLoss(result.logits, mask);
    };
    let result: { value: tf.Scalar; grads: tf.Tensor[] };
    try {
      result = tf.valueAndGrads(lossOf)([...names.map((n) => params.get(n)!), ...deltas]);
    } finally {
      tf.dispose(deltas);
    }
    const { value, grads } = result;
    const readData = await Promise.all(reads.map(async (r) => ({ ids: (await r.ids.data()) as Int32Array, weights: (await r.weights.data()) as Float32Array })));
    const loss = (await value.data())[0];
    const out = new Map<string, Gradient>(names.map((n, i) => [n, grads[i]]));
    const dYs = grads.slice(names.length) as tf.Tensor2D[];
    tf.dispose([value, ...reads.flatMap((r) => [r.ids, r.weights])]);
    const dYData = await Promise.all(dYs.map(async (d) => (await d.data()) as Float32Array));
    tf.dispose(dYs);
    if (model.values) out.set(VALUES, valueTableGradient(readData, dYData, cfg.memHeads * cfg.topk, cfg.valueDim));
    return { loss, grads: out, answered: evidence ? await readAnswered(batch, evidence, this.settings.answerProb) : undefined };
  }
}

/**
 * dL/dV by rows: grad[slot] = sum over every memory layer's reads (m, h, j) of slot of w[m,h,j] dY[m], for every
 * slot read (the rows sparseRowGradient gives, summed over the layers that share the table); every other row's
 * gradient is zero. Accumulated on the host read by read (M x H x K x Dv multiply-adds, float64 sums): the
 * [t, M] coefficient matrix and its matMul cost several times more for the thousands of rows a batch reads.
 */
export function valueTableGradient(reads: { ids: Int32Array; weights: Float32Array }[], dYs: Float32Array[], readsPerToken: number, Dv: number): RowGradient {
  const read = new Set<number>();
  for (const r of reads) for (const id of r.ids) read.add(id);
  const slots = Int32Array.from(read).sort();
  const rowOf = new Map<number, number>();
  slots.forEach((s, u) => rowOf.set(s, u));
  const sum = new Float64Array(slots.length * Dv);
  reads.forEach((r, layer) => {
    const dY = dYs[layer];
    if (r.ids.length !== r.weights.length || dY.length !== (r.ids.length / readsPerToken) * Dv) {
      throw new Error(`valueTableGradient: ${r.ids.length} reads, ${r.weights.length} weights and dY of ${dY.length} floats do not fit ${readsPerToken} reads per token`);
    }
    for (let i = 0; i < r.ids.length; i++) {
      const to = rowOf.get(r.ids[i])! * Dv;
      const from = Math.floor(i / readsPerToken) * Dv;
      const w = r.weights[i];
      for (let d = 0; d < Dv; d++) sum[to + d] += w * dY[from + d];
    }
  });
  return { slots, rows: tf.tensor2d(Float32Array.from(sum), [slots.length, Dv]) };
}
