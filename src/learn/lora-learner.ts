/**
 * LoRA, the paper's second baseline (docs/method.md §3; Hu et al. 2021): low-rank adapters W + (alpha / r) B A on the
 * attention and feed-forward matrices, trained with AdamW (weight decay 0.1, the paper's) or plain SGD while every
 * base weight stays bit-identical. This model has no dense feed-forward block: the memory layer is its only MLP, so its dense
 * matrices (the query projection, w1 and w2; README "Model") take the place of the FFN matrices the paper
 * adapts, next to attention's qkv and proj in every block. (A config with dense FFNs gets ffn.w1/w3/w2 too.)
 * With `valueRank` > 0 the memory's value table is adapted too, as PEFT adapts an embedding table: the table is
 * a lookup, so its delta is per row, dV[i] = (alpha / valueRank) A_v[i] B_v with A_v [N, valueRank] at zero and
 * B_v [valueRank, Dv] standard normal (PEFT's init for embeddings), and a read adds the delta of the rows it
 * reads (valueDelta). This is where this model keeps its facts, as the FFN matrices do in the paper's dense
 * model; without it (valueRank 0) LoRA can only steer attention and the memory's query and output. The keys
 * are never adapted.
 *
 * A [r, in] starts uniform in +-1/sqrt(in) (PyTorch's kaiming_uniform(a = sqrt(5)), as PEFT), B [out, r] at
 * zero, so the adapted model starts as the base model. The learner installs itself as `model.adapters`, so
 * every later forward pass (evaluation, the Ask box) sees the adapters; dispose() takes them out again.
 */
import * as tf from '@tensorflow/tfjs';
import type { LinearAdapters } from '../model/linear';
import type { EngramModel } from '../model/transformer';
import { AdamW } from './adamw';
import { stepsLabel, teachByOptimizer, type Gradients, type StepOptimizer, type TensorStore } from './optimizer-steps';
import { Sgd } from './sgd';
import type { Learner, StepReport } from './learner';
import { summedNextTokenLoss } from './next-token-loss';
import type { TeachingBatch } from './teaching-batch';
import { answerEvidence, readAnswered, stopRule, type AnswerEvidence } from './answer-check';

export interface LoraSettings {
  /** AdamW learning rate (on the sum-reduced loss). */
  readonly lr: number;
  /** Adapter rank r (default 8). */
  readonly rank?: number;
  /** Scale numerator: the adapter adds (alpha / r) B A x (default 16). */
  readonly alpha?: number;
  /** Steps per fact (default 1). */
  readonly steps?: number;
  /** More steps, up to this many, while a wording of the batch is not yet answered (default: steps). */
  readonly maxSteps?: number;
  /** With maxSteps: the answer tokens' least probability for answered (default 0: the argmax), answer-check.ts. */
  readonly answerProb?: number;
  /** Decoupled weight decay on the adapters (default 0.1, as in the paper; AdamW only). */
  readonly weightDecay?: number;
  /** 'adamw' (default, the paper's baseline) or 'sgd' (plain SGD, sgd.ts). */
  readonly optimizer?: 'adamw' | 'sgd';
  /** Seed of A's initialisation (default 0). */
  readonly seed?: number;
  /** Rank of the value table's adapter; 0 (default) leaves the table alone. */
  readonly valueRank?: number;
  /** SGD: the value table adapter's own learning rate (default lr). */
  readonly valueLr?: number;
}

/** The value table's adapter names: "mem_values.A" [N, valueRank], "mem_values.B" [valueRank, Dv]. */
const VALUES_A = 'mem_values.A';
const VALUES_B = 'mem_values.B';

/** The linear layers LoRA adapts, by parameter name: attention in every block, the memory layer's dense matrices. */
const TARGET = /^blocks\.\d+\.(attn\.qkv|attn\.proj|mem\.query\.weight|mem\.w1|mem\.w2|ffn\.w1|ffn\.w3|ffn\.w2)$/;

export class LoraLearner implements Learner, LinearAdapters {
  readonly method = 'lora' as const;
  readonly label: string;
  readonly settings: Required<LoraSettings>;
  /** Adapted weight names, in model order. */
  readonly targets: readonly string[];
  /** "<weight>.A" [r, in] and "<weight>.B" [out, r] for every target. */
  private readonly adapterTensors = new Map<string, tf.Tensor2D>();
  private readonly optimizer: StepOptimizer;
  private readonly scale: number;
  private readonly valueScale: number;

  constructor(readonly model: EngramModel, settings: LoraSettings) {
    this.settings = { rank: 8, alpha: 16, weightDecay: 0.1, seed: 0, valueRank: 0, ...settings, valueLr: settings.valueLr ?? settings.lr, optimizer: settings.optimizer ?? 'adamw', ...stopRule(settings) };
    const s = this.settings;
    if (!Number.isInteger(s.rank) || s.rank < 1) throw new RangeError(`rank must be a positive integer, got ${s.rank}`);
    if (!(s.alpha > 0) || !Number.isFinite(s.alpha)) throw new RangeError(`alpha must be a positive number, got ${s.alpha}`);
    if (!Number.isInteger(s.valueRank) || s.valueRank < 0) throw new RangeError(`valueRank must be 0 or a positive integer, got ${s.valueRank}`);
    if (model.adapters) throw new Error('this model already has adapters installed (another LoRA learner?); dispose that learner first');
    this.optimizer = s.optimizer === 'sgd' ? new Sgd((name) => (name === VALUES_A || name === VALUES_B ? s.valueLr : s.lr)) : new AdamW({ lr: s.lr, weightDecay: s.weightDecay });
    this.scale = s.alpha / s.rank;
    this.valueScale = s.valueRank > 0 ? s.alpha / s.valueRank : 0;
    this.targets = [...model.parameters().entries()].filter(([name, w]) => TARGET.test(name) && w.rank === 2).map(([name]) => name);
    this.targets.forEach((name, i) => {
      const [out, inDim] = model.parameters().get(name)!.shape;
      const bound = 1 / Math.sqrt(inDim);
      this.adapterTensors.set(`${name}.A`, tf.randomUniform([s.rank, inDim], -bound, bound, 'float32', s.seed * 1000 + i) as tf.Tensor2D);
      this.adapterTensors.set(`${name}.B`, tf.zeros([out, s.rank]) as tf.Tensor2D);
    });
    if (s.valueRank > 0 && model.values) {
      const [N, Dv] = model.values.shape;
      this.adapterTensors.set(VALUES_A, tf.zeros([N, s.valueRank]) as tf.Tensor2D);
      this.adapterTensors.set(VALUES_B, tf.randomNormal([s.valueRank, Dv], 0, 1, 'float32', s.seed * 1000 + this.targets.length) as tf.Tensor2D);
    }
    model.adapters = this;
    const optimizer = s.optimizer === 'sgd' ? ` sgd${s.valueRank > 0 && s.valueLr !== s.lr ? ` value-lr=${s.valueLr}` : ''}` : s.weightDecay !== 0.1 ? ` wd=${s.weightDecay}` : '';
    const values = this.adapterTensors.has(VALUES_A) ? ` values r=${s.valueRank}` : '';
    this.label = `lora r=${s.rank} alpha=${s.alpha}${values} lr=${s.lr}${optimizer}${stepsLabel(s)}`;
  }

  /** Floats in the adapters: what one step writes. */
  get parameterCount(): number {
    let n = 0;
    for (const t of this.adapterTensors.values()) n += t.size;
    return n;
  }

  /** The adapters' current tensors by name ("<weight>.A", "<weight>.B"); the learner's own. */
  adapterWeights(): Map<string, tf.Tensor2D> {
    return new Map(this.adapterTensors);
  }

  delta(name: string, x: tf.Tensor2D): tf.Tensor2D | undefined {
    const A = this.adapterTensors.get(`${name}.A`);
    if (!A) return undefined;
    const B = this.adapterTensors.get(`${name}.B`)!;
    return tf.mul(tf.matMul(tf.matMul(x, A, false, true), B, false, true), this.scale) as tf.Tensor2D; // [M, r] -> [M, out]
  }

  valueDelta(ids: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor2D | undefined {
    const A = this.adapterTensors.get(VALUES_A);
    if (!A) return undefined;
    const [M, H, K] = ids.shape;
    const codes = tf.gather(A, ids.reshape([M * H * K])).reshape([M, H * K, A.shape[1]]); // [M, H*K, r]
    const mixed = tf.matMul(weights.reshape([M, 1, H * K]), codes).reshape([M, A.shape[1]]); // the reads' weighted code
    return tf.mul(tf.matMul(mixed, this.adapterTensors.get(VALUES_B)!), this.valueScale) as tf.Tensor2D; // [M, Dv]
  }

  async teach(batch: TeachingBatch): Promise<StepReport> {
    const store: TensorStore = {
      current: () => new Map(this.adapterTensors),
      replace: (name, tensor) => {
        const old = this.adapterTensors.get(name)!;
        this.adapterTensors.set(name, tensor as tf.Tensor2D);
        return old;
      },
    };
    return teachByOptimizer('lora', batch, this.model.cfg.vocabSize, store, this.optimizer, this.settings, this.parameterCount, (tokens, mask, check) =>
      this.gradients(batch, tokens, mask, check),
    );
  }

  /** Takes the adapters out of the model (it is the base model again) and frees them and the moments. */
  dispose(): void {
    if (this.model.adapters === this) this.model.adapters = null;
    this.optimizer.dispose();
    tf.dispose([...this.adapterTensors.values()]);
    this.adapterTensors.clear();
  }

  private async gradients(batch: TeachingBatch, tokens: tf.Tensor2D, mask: tf.Tensor2D, check: boolean): Promise<Gradients> {
    const names = [...this.adapterTensors.keys()];
    let reads: { ids: tf.Tensor3D; weights: tf.Tensor3D }[] = [];
    let evidence: AnswerEvidence | undefined;
    const lossOf = () => {
      const result = this.model.forward(tokens, { adapters: this, differentiableLookup: true });
      reads = result.reads;
      if (check) evidence = answerEvidence(batch, result.logits, this.settings.answerProb); // off the gradient's path
      return summedNextTokenLoss(result.logits, mask);
    };
    const { value, grads } = tf.valueAndGrads(lossOf)(names.map((n) => this.adapterTensors.get(n)!));
    const loss = (await value.data())[0];
    tf.dispose([value, ...reads.flatMap((r) => [r.ids, r.weights])]);
    return { loss, grads: new Map(names.map((n, i) => [n, grads[i]])), answered: evidence ? await readAnswered(batch, evidence, this.settings.answerProb) : undefined };
  }
}
