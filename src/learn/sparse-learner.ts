/**
 * Sparse memory finetuning (docs/method.md §2; Lin et al. 2025) and its ablations, behind the Learner interface.
 * For each step on a fact's teaching batch: forward with a dL/dy tap at the memory read, count the slots the
 * non-pad tokens read (TF), rank them (TF-IDF against background df, TF only, or every accessed slot), and
 * move ONLY the top-t value rows: plain SGD by default, or lazily-stated AdamW (the ablation). Everything else
 * stays bit-identical, and the step records the rows it overwrote so it can be undone bit for bit.
 *
 * The value gradient is never dense: dL/dy is turned into gradients for the chosen rows only
 * (sparseRowGradient: t x Dv floats whatever N). Reference path (tf ops), so it runs on every backend.
 *
 * Kernel path (webgpu, when constructed with `kernels`): the same step with the WGSL memory kernels doing the
 * lookup and the read, readBackward the chosen rows' gradients, and sparseUpdate the SGD step in the table's
 * own GPUBuffer; undo writes the saved rows back in place. Nothing copies the N x Dv table, except once when
 * model.values shares its buffer with another tensor (tf.clone does): the learner then takes a private copy
 * first, as writeRows below would, so the other tensor never changes under its owner.
 */
import * as tf from '@tensorflow/tfjs';
import type { EngramModel } from '../model/transformer';
import { nSlots } from '../model/config';
import { sparseRowGradient } from '../model/memory-layer';
// Type only: the kernels module imports WGSL with ?raw, which plain Node scripts (tsx) cannot load.
import type { TfMemoryKernels, TfValueTable } from '../kernels/memory-kernels-tf';
import { tfidfTopT } from '../kernels/select-top-t';
import { KernelError } from '../gpu/gpu-errors';
import type { BackgroundStats } from './tfidf';
import { readSlots, relationDivisor, relationIdf } from './relation-background';
import type { TeachingBatch } from './teaching-batch';
import { answerEvidence, readAnswered, stopRule, untilAnsweredLabel, type AnswerEvidence } from './answer-check';
import { NonFiniteStepError, type Learner, type StepReport } from './learner';
import { summedNextTokenLoss, targetMask } from './next-token-loss';

export interface SparseSettings {
  /** Value rows trained per step (paper: 500 of 1M slots for facts). Ignored by ranking 'all'. */
  readonly t: number;
  /** Learning rate on the sum-reduced loss. */
  readonly lr: number;
  /** Steps per fact (default 1). */
  readonly steps?: number;
  /**
   * Up to this many steps per fact (default: `steps`): after the first `steps`, more are taken only while some
   * wording in the teaching batch does not yet give the object as its greedy continuation (every answer token
   * the argmax). The check reuses the next step's forward pass, so a fact that is answered costs no extra step.
   */
  readonly maxSteps?: number;
  /**
   * With maxSteps: answered also needs every answer token at least this probable under teacher forcing (default
   * 0: the argmax alone), src/learn/answer-check.ts.
   */
  readonly answerProb?: number;
  /** 'tfidf' (the method), 'tf' (ablation: no background), 'all' (ablation: every accessed slot). */
  readonly ranking?: 'tfidf' | 'tf' | 'all';
  /** Where df comes from: the shipped pretraining statistics, or the teaching stream itself (ablation). */
  readonly background?: 'pretrain' | 'stream';
  /** 'sgd' (the method: no momentum, no weight decay) or 'adamw' (ablation). */
  readonly optimizer?: 'sgd' | 'adamw';
  /** AdamW only (default 0.1, as in the paper's baselines). */
  readonly weightDecay?: number;
  /**
   * Ranking penalty for rows earlier facts of this learner wrote: a slot's score is divided by
   * 1 + writtenPenalty x (facts that wrote it). 0 (default) ranks as the paper does.
   */
  readonly writtenPenalty?: number;
  /**
   * c > 0: a row's step is scaled by c / (c + the earlier facts that wrote it), so rows that many facts have
   * written (those every fact of a kind reads) move less and less, and a new fact leans on its own rows.
   * 0 (default) steps every chosen row at lr, as the paper does (README, "Bounding how far shared rows move").
   * The learner counts the facts it teaches; the app sets the counts from its taught list before each step
   * (countWritten), so a reload, an undo, an import or a rebuilt learner teach the next fact the same way.
   */
  readonly writtenDamping?: number;
  /**
   * With writtenDamping: how much an earlier fact about the same subject counts among a row's writers (1, default:
   * as any fact; 0: not at all, so the rows a subject's earlier facts wrote, which its rehearsal must move, are not
   * damped for its next fact).
   */
  readonly subjectWriterWeight?: number;
  /**
   * With writtenDamping: only a fact's first this-many steps are damped; a fact they leave unanswered takes its
   * later steps (up to maxSteps) whole, so the damping bounds what easy facts write and does not stop a hard one
   * from being learned. 0 (default): every step is damped.
   */
  readonly dampedSteps?: number;
  /**
   * Weight of the per-relation background (relation-background.ts): a slot's score is multiplied by its
   * relation idf (normalised to [0, 1]) to this power, so rows every known fact of the relation reads are left
   * alone. 0 (default) ranks as the paper does; needs the background's byRelation.
   */
  readonly relationWeight?: number;
  /**
   * q > 0: a row's step is also scaled by its relation idf (normalised to [0, 1], relation-background.ts) to the
   * power q, so the rows many known facts of the fact's relation read (where a step reaches them all) move less than
   * the rows only this fact's subject and object read. 0 (default): off. Needs the per-relation background.
   */
  readonly relationDamping?: number;
  /**
   * Which positions' reads the TF counts take: 'tokens' (every non-pad token, as the paper counts) or 'answer'
   * (only positions whose prediction the loss weighs: with the default answer-only loss, the reads that predict
   * the object), so the t rows go where the loss's gradient is; or 'prompt' (only the positions up to the one
   * that predicts the object's first token: the rows read inside the answer, which every answer of its kind
   * reads, digits above all, are left alone); or 'subject-answer' (the subject's tokens and the answer's, not the
   * relation's wording around them, which every fact of the relation reads).
   */
  readonly countOn?: 'tokens' | 'answer' | 'prompt' | 'subject-answer';
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

export interface SparseLearnerOptions {
  /**
   * The WGSL memory kernels (createTfMemoryKernels, webgpu only), or a promise of them (compiling takes a
   * while; createLearner passes one). Absent or null: the reference path. If the active backend is no longer
   * the kernels' own (a device was lost and tfjs fell back), the learner uses the reference path.
   */
  readonly kernels?: TfMemoryKernels | Promise<TfMemoryKernels | null> | null;
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
  /** 1 + writtenPenalty x (facts that wrote the row), the ranking's divisor (only kept when writtenPenalty > 0). */
  private readonly writtenDivisor: Float32Array | null;
  /** writtenDamping > 0: how many facts have written each row (counted when a fact's steps end). */
  private readonly factsWrote: Uint16Array | null;
  /** writtenDamping > 0: the rows each earlier fact wrote, by subject (for subjectWriterWeight). */
  private readonly subjectWrote = new Map<string, Int32Array[]>();
  /** During a fact's steps: how many earlier facts about its subject wrote each row (subjectWriterWeight < 1). */
  private ownSubjectWrote: Map<number, number> | null = null;
  /** During a fact's steps: which of them runs now (0 first), for dampedSteps. */
  private stepOfFact = 0;
  /** relationWeight > 0: the ranking's divisor per relation (relationDivisor), made on first use. */
  private readonly relationDivisors = new Map<string, Float32Array | null>();
  /** relationDamping > 0: each relation's normalised idf per slot (relationIdf), made on first use. */
  private readonly relationIdfs = new Map<string, Float32Array>();
  /** During a fact's steps, with relationDamping: its relation's idf per slot (null: no background for it). */
  private factRelationIdf: Float32Array | null = null;
  /** AdamW ablation: moments and step count per row, created lazily for rows that were ever trained. */
  private readonly adam = new Map<number, { m: Float32Array; v: Float32Array; step: number }>();
  private kernelsPending: Promise<TfMemoryKernels | null> | null;
  private kernels: TfMemoryKernels | null = null;

  constructor(
    readonly model: EngramModel,
    private readonly pretrainBackground: BackgroundStats | null,
    settings: SparseSettings,
    options: SparseLearnerOptions = {},
  ) {
    if (!model.values) throw new Error('this model has no memory layer to train');
    if (model.cfg.memoryLayers.length !== 1) throw new Error(`the sparse learner expects one memory layer, the model has ${model.cfg.memoryLayers.length}`);
    this.settings = { ranking: 'tfidf', background: 'pretrain', optimizer: 'sgd', weightDecay: 0.1, writtenPenalty: 0, writtenDamping: 0, subjectWriterWeight: 1, dampedSteps: 0, relationWeight: 0, relationDamping: 0, countOn: 'tokens', ...settings, ...stopRule(settings) };
    const s = this.settings;
    if (!(s.lr > 0) || !Number.isFinite(s.lr)) throw new RangeError(`lr must be a positive number, got ${s.lr}`);
    if (!Number.isInteger(s.t) || s.t < 1) throw new RangeError(`t must be a positive integer, got ${s.t}`);
    if (s.ranking === 'tfidf' && s.background === 'pretrain' && !pretrainBackground) {
      throw new Error('TF-IDF ranking against pretraining needs the background df (the checkpoint has none)');
    }
    const relationDamping = s.relationDamping ?? 0;
    if (!(relationDamping >= 0) || !Number.isFinite(relationDamping)) throw new RangeError(`relationDamping must be 0 or a positive number, got ${relationDamping}`);
    if ((s.relationWeight > 0 || relationDamping > 0) && !pretrainBackground?.relations) {
      throw new Error('relationWeight and relationDamping need the per-relation background (BackgroundStats.relations, src/learn/relation-background.ts)');
    }
    this.streamDf = s.background === 'stream' ? new Uint32Array(nSlots(model.cfg)) : null;
    this.writtenDivisor = s.writtenPenalty > 0 ? new Float32Array(nSlots(model.cfg)).fill(1) : null;
    // A setting passed as undefined (the registry passes every key) means off, like an absent one.
    const damping = s.writtenDamping ?? 0;
    if (!(damping >= 0) || !Number.isFinite(damping)) throw new RangeError(`writtenDamping must be 0 or a positive number, got ${damping}`);
    this.factsWrote = damping > 0 ? new Uint16Array(nSlots(model.cfg)) : null;
    const subjectWeight = s.subjectWriterWeight ?? 1;
    if (!(subjectWeight >= 0 && subjectWeight <= 1)) throw new RangeError(`subjectWriterWeight must be between 0 and 1, got ${subjectWeight}`);
    const dampedSteps = s.dampedSteps ?? 0;
    if (!Number.isInteger(dampedSteps) || dampedSteps < 0) throw new RangeError(`dampedSteps must be 0 or a positive integer, got ${dampedSteps}`);
    const parts = [`sparse ${s.ranking === 'all' ? 'all-accessed' : s.ranking}`];
    if (s.ranking !== 'all') parts.push(`t=${s.t}`);
    parts.push(`lr=${s.lr}`);
    if (s.background === 'stream') parts.push('bg=stream');
    if (s.optimizer === 'adamw') parts.push('adamw');
    if (s.steps > 1) parts.push(`steps=${s.steps}`);
    const until = untilAnsweredLabel(s);
    if (until) parts.push(until);
    if (s.writtenPenalty > 0) parts.push(`written-penalty=${s.writtenPenalty}`);
    if (s.writtenDamping > 0) parts.push(`written-damping=${s.writtenDamping}`);
    if (s.writtenDamping > 0 && (s.subjectWriterWeight ?? 1) !== 1) parts.push(`subject-writers=${s.subjectWriterWeight}`);
    if (s.writtenDamping > 0 && (s.dampedSteps ?? 0) > 0) parts.push(`damped-steps=${s.dampedSteps}`);
    if (s.relationWeight > 0) parts.push(`relation-idf=${s.relationWeight}`);
    if (relationDamping > 0) parts.push(`relation-damping=${relationDamping}`);
    if (s.countOn !== 'tokens' && s.countOn !== undefined) parts.push(`count=${s.countOn}`);
    this.label = parts.join(' ');
    this.kernelsPending = options.kernels ? Promise.resolve(options.kernels) : null;
  }

  /**
   * writtenDamping: the counts of facts that wrote each row, set anew from the rows each earlier fact wrote (one
   * list of slots per fact, as its undo or `after` snapshot keeps them). A no-op when damping is off.
   */
  countWritten(written: Iterable<{ readonly subject: string; readonly slots: Int32Array }>): void {
    if (!this.factsWrote) return;
    this.factsWrote.fill(0);
    this.subjectWrote.clear();
    for (const { subject, slots } of written) this.noteWritten(subject, slots);
  }

  private noteWritten(subject: string, slots: Int32Array): void {
    const wrote = this.factsWrote!;
    for (let i = 0; i < slots.length; i++) wrote[slots[i]] = Math.min(0xffff, wrote[slots[i]] + 1);
    const lists = this.subjectWrote.get(subject);
    if (lists) lists.push(slots);
    else this.subjectWrote.set(subject, [slots]);
  }

  /** Whether the next step runs on the WGSL kernels (known once the first teach() has resolved them). */
  get usesKernels(): boolean {
    return this.liveKernels() !== null;
  }

  async teach(batch: TeachingBatch): Promise<SparseStepReport> {
    const started = performance.now();
    const Dv = this.model.cfg.valueDim;
    const before = new Map<number, Float32Array>(); // first-seen values of every row this fact writes
    let firstLoss = NaN;
    let last: StepOutcome | undefined;
    let taken = 0;
    let answered = false;
    const streamSlots = new Set<number>();
    if (this.kernelsPending) {
      this.kernels = await this.kernelsPending;
      this.kernelsPending = null;
    }
    // Counted once per relation, before anything is written (reads do not depend on the values).
    if (this.settings.relationWeight > 0 || this.relationDampingOn) await this.pretrainBackground!.relations!.forRelation(batch.fact.relation, this.model);
    this.factRelationIdf = this.relationDampingOn ? this.relationIdfFor(batch.fact.relation) : null;
    this.ownSubjectWrote = null;
    if (this.factsWrote && this.settings.subjectWriterWeight < 1) {
      this.ownSubjectWrote = new Map();
      for (const slots of this.subjectWrote.get(batch.fact.subject) ?? []) for (const slot of slots) this.ownSubjectWrote.set(slot, (this.ownSubjectWrote.get(slot) ?? 0) + 1);
    }
    try {
      for (let step = 0; step < this.settings.maxSteps; step++) {
        this.stepOfFact = step;
        const kernels = this.liveKernels();
        // Past the fixed steps, a step whose forward finds every wording answered stops before writing anything.
        const stopIfAnswered = step >= this.settings.steps;
        const outcome = kernels ? await this.kernelStep(batch, before, kernels, stopIfAnswered) : await this.step(batch, before, stopIfAnswered);
        if (step === 0) firstLoss = outcome.loss;
        if (outcome.skipped) {
          answered = true;
          break;
        }
        last = outcome;
        taken++;
        for (const s of outcome.readSlots) streamSlots.add(s);
      }
    } catch (error) {
      // A kernel the GPU rejected (KernelError) is rolled back like a non-finite step: rows written so far go back.
      if (error instanceof NonFiniteStepError || error instanceof KernelError) this.restore(snapshotOf(before, Dv));
      throw error;
    }
    if (this.streamDf) {
      for (const s of streamSlots) this.streamDf[s]++;
      this.streamBatches++;
    }
    const undo = snapshotOf(before, Dv);
    if (this.writtenDivisor) for (const slot of undo.slots) this.writtenDivisor[slot] += this.settings.writtenPenalty;
    if (this.factsWrote) this.noteWritten(batch.fact.subject, undo.slots);
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
      steps: taken,
      ...(this.settings.maxSteps > this.settings.steps ? { answered } : {}),
      slots: last!.slots,
      scores: last!.scores,
      reads: last!.reads,
      updateNorms: norms,
      paramsTouched: last!.slots.length * Dv, // per step; undo.slots is the union over the fact's steps
      ms: performance.now() - started,
      undo,
    };
  }

  /**
   * The rows a first step on `batch` would train (the same forward and ranking, nothing written): what the step is
   * about to overwrite, for choosing which earlier facts to review with it.
   */
  async plannedSlots(batch: TeachingBatch): Promise<Int32Array> {
    if (this.settings.relationWeight > 0) await this.pretrainBackground!.relations!.forRelation(batch.fact.relation, this.model);
    return this.select(batch, await readSlots(this.model, batch.tokens, batch.B, batch.T)).slots;
  }

  /** Puts back rows a fact overwrote; the values become bit-identical to before it. */
  restore(snapshot: RowsSnapshot): void {
    const kernels = this.liveKernels();
    if (!kernels || snapshot.slots.length === 0) {
      restoreRows(this.model, snapshot);
      return;
    }
    kernels.writeRows(this.ownTable(kernels), snapshot.slots, snapshot.rows);
  }

  dispose(): void {
    this.adam.clear();
  }

  private background(): BackgroundStats | null {
    if (this.streamDf) return this.streamBatches > 0 ? { df: this.streamDf, numBatches: this.streamBatches } : null;
    return this.pretrainBackground;
  }

  private async step(batch: TeachingBatch, before: Map<number, Float32Array>, stopIfAnswered: boolean): Promise<StepOutcome> {
    const model = this.model;
    const cfg = model.cfg;
    const M = batch.B * batch.T;
    const readsPerToken = cfg.memHeads * cfg.topk;
    const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
    const mask = targetMask(batch, cfg.vocabSize);
    let ids: tf.Tensor3D | undefined;
    let weights: tf.Tensor3D | undefined;
    let evidence: AnswerEvidence | undefined;
    const lossOf = (delta: tf.Tensor) => {
      const result = model.forward(tokens, { readDeltas: [delta as tf.Tensor2D] });
      ids = result.reads[0].ids;
      weights = result.reads[0].weights;
      if (stopIfAnswered) evidence = answerEvidence(batch, result.logits, this.settings.answerProb); // off the gradient's path
      return summedNextTokenLoss(result.logits, mask);
    };
    const delta = tf.zeros([M, cfg.valueDim]);
    const { value, grad } = tf.valueAndGrad(lossOf)(delta);
    const [lossData, hostIds, hostWeights, answered] = await Promise.all([
      value.data(),
      ids!.data(),
      weights!.data(),
      evidence ? readAnswered(batch, evidence, this.settings.answerProb) : false,
    ]);
    tf.dispose([tokens, mask, delta, value, ids!, weights!]);
    const loss = lossData[0];
    if (!Number.isFinite(loss)) {
      grad.dispose();
      throw new NonFiniteStepError(`a non-finite loss (${loss})`);
    }
    if (answered) {
      grad.dispose();
      return skippedStep(loss);
    }

    const { slots, scores, reads } = this.select(batch, hostIds as Int32Array);
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
    const next = this.settings.optimizer === 'adamw' ? this.adamw(slots, old, g) : sgd(old, this.damped(slots, g), this.settings.lr);
    for (let i = 0; i < next.length; i++) {
      if (!Number.isFinite(next[i])) throw new NonFiniteStepError('a non-finite update');
    }
    writeRows(model, slots, next);
    return { loss, slots, scores, reads, readSlots: reads.slots };
  }

  /**
   * The step on the WGSL kernels: same loss, selection and snapshot as `step`, with the forward's lookup and
   * read, the row gradients (readBackward) and the SGD update (sparseUpdate, in place) on the GPU. Rows agree
   * with the reference path to float32 rounding (summation order in the read and in the row gradients, and
   * lr * g rounded before the subtraction), not bit for bit.
   */
  private async kernelStep(batch: TeachingBatch, before: Map<number, Float32Array>, kernels: TfMemoryKernels, stopIfAnswered: boolean): Promise<StepOutcome> {
    const model = this.model;
    const cfg = model.cfg;
    const Dv = cfg.valueDim;
    const M = batch.B * batch.T;
    const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
    const mask = targetMask(batch, cfg.vocabSize);
    let ids: tf.Tensor3D | undefined;
    let weights: tf.Tensor3D | undefined;
    let evidence: AnswerEvidence | undefined;
    const lossOf = (delta: tf.Tensor) => {
      const result = model.forward(tokens, { readDeltas: [delta as tf.Tensor2D], kernels });
      ids = result.reads[0].ids; // [M, H, K], not on the tape: only dL/dy is differentiated
      weights = result.reads[0].weights;
      if (stopIfAnswered) evidence = answerEvidence(batch, result.logits, this.settings.answerProb); // off the gradient's path
      return summedNextTokenLoss(result.logits, mask);
    };
    const delta = tf.zeros([M, Dv]);
    const { value, grad } = tf.valueAndGrad(lossOf)(delta); // grad: dL/dy [M, Dv]
    tf.dispose([tokens, mask, delta]);
    const held: tf.Tensor[] = [value, grad, ids!, weights!];
    try {
      const [lossData, hostIds, answered] = await Promise.all([value.data(), ids!.data(), evidence ? readAnswered(batch, evidence, this.settings.answerProb) : false]);
      await kernels.checkErrors(); // the forward's lookup and read (KernelError: teach() rolls the fact back)
      const loss = lossData[0];
      if (!Number.isFinite(loss)) throw new NonFiniteStepError(`a non-finite loss (${loss})`);
      if (answered) return skippedStep(loss);
      const { slots, scores, reads } = this.select(batch, hostIds as Int32Array);
      if (slots.length === 0) return { loss, slots, scores, reads, readSlots: reads.slots };

      const table = this.ownTable(kernels);
      const { rowGrads } = kernels.readBackward(grad as tf.Tensor2D, ids!, weights!, slots, table); // [t, Dv]
      held.push(rowGrads);
      const indices = tf.tensor1d(slots, 'int32');
      const oldRows = tf.gather(model.values!, indices); // [t, Dv], recorded before the update below
      held.push(indices, oldRows);
      const [g, old] = (await Promise.all([rowGrads.data(), oldRows.data()])) as [Float32Array, Float32Array];
      await kernels.checkErrors(); // readBackward (and ownTable's copy), before anything is written
      for (let i = 0; i < g.length; i++) {
        if (!Number.isFinite(g[i])) throw new NonFiniteStepError('a non-finite gradient');
      }
      slots.forEach((s, u) => {
        if (!before.has(s)) before.set(s, old.slice(u * Dv, (u + 1) * Dv));
      });
      if (this.settings.optimizer === 'adamw') {
        const next = this.adamw(slots, old, g);
        for (let i = 0; i < next.length; i++) {
          if (!Number.isFinite(next[i])) throw new NonFiniteStepError('a non-finite update');
        }
        kernels.writeRows(table, slots, next);
      } else {
        // What the shader computes (f32 product, then f32 difference), checked before anything is written.
        const lr = Math.fround(this.settings.lr);
        const scaled = this.damped(slots, g);
        for (let i = 0; i < g.length; i++) {
          if (!Number.isFinite(Math.fround(old[i] - Math.fround(lr * scaled[i])))) throw new NonFiniteStepError('a non-finite update');
        }
        if (scaled === g) kernels.sparseUpdate(table, slots, rowGrads, this.settings.lr);
        else {
          const dampedGrads = tf.tensor2d(scaled, [slots.length, Dv]);
          held.push(dampedGrads);
          kernels.sparseUpdate(table, slots, dampedGrads, this.settings.lr);
        }
      }
      await kernels.checkErrors(); // the write itself
      return { loss, slots, scores, reads, readSlots: reads.slots };
    } finally {
      tf.dispose(held);
    }
  }

  /**
   * TF counts over non-pad tokens, then the ranking's choice of rows (docs/method.md §2 step 3), in O(reads): nothing
   * here walks all N slots (src/kernels/select-top-t.ts).
   */
  private select(batch: TeachingBatch, hostIds: Int32Array): { slots: Int32Array; scores: Float64Array; reads: { slots: Int32Array; counts: Uint32Array } } {
    const cfg = this.model.cfg;
    const numSlots = nSlots(cfg);
    const counted = countedPositions(batch, this.settings.countOn, cfg.padId);
    const ranking = this.settings.ranking;
    const background = this.background();
    const chosen = tfidfTopT({
      slotIds: hostIds,
      tokenMask: counted,
      numSlots,
      df: background?.df ?? new Uint32Array(numSlots),
      numBackgroundBatches: background?.numBatches ?? 0,
      t: ranking === 'all' ? 0 : this.settings.t,
      // With no background yet (a stream background before its first fact) the ranking falls back to TF.
      ranking: ranking === 'tf' || !background ? 'tf' : 'tfidf',
      scoreDivisor: this.divisorFor(batch.fact.relation),
    });
    const { reads } = chosen;
    if (ranking === 'all') return { slots: reads.slots, scores: Float64Array.from(reads.counts), reads };
    return { slots: chosen.slots, scores: chosen.scores, reads };
  }

  /** The ranking's per-slot divisor for a fact of `relation`: written-rows penalty and relation idf, or null. */
  private divisorFor(relation: string): Float32Array | null {
    const weight = this.settings.relationWeight;
    const byRelation = weight > 0 ? this.pretrainBackground?.relations?.get(relation) : null;
    if (!byRelation) return this.writtenDivisor;
    let divisor = this.relationDivisors.get(relation);
    if (!divisor) this.relationDivisors.set(relation, (divisor = relationDivisor(byRelation, weight)));
    if (!this.writtenDivisor) return divisor;
    const written = this.writtenDivisor;
    return divisor.map((d, i) => d * written[i]);
  }

  private get relationDampingOn(): boolean {
    return (this.settings.relationDamping ?? 0) > 0;
  }

  /** The normalised relation idf per slot for `relation` (relationIdf), or null when it has no background. */
  private relationIdfFor(relation: string): Float32Array | null {
    const background = this.pretrainBackground?.relations?.get(relation);
    if (!background) return null;
    let idf = this.relationIdfs.get(relation);
    if (!idf) this.relationIdfs.set(relation, (idf = relationIdf(background)));
    return idf;
  }

  /**
   * The row gradients scaled by writtenDamping's c / (c + facts that wrote the row) and by relationDamping's
   * (relation idf) ^ q; `g` itself when both are off.
   */
  private damped(slots: Int32Array, g: Float32Array): Float32Array {
    const dampedSteps = this.settings.dampedSteps ?? 0;
    const wrote = dampedSteps > 0 && this.stepOfFact >= dampedSteps ? null : this.factsWrote;
    const relation = this.factRelationIdf;
    if (!wrote && !relation) return g;
    const c = this.settings.writtenDamping;
    const q = this.settings.relationDamping ?? 0;
    const own = this.ownSubjectWrote;
    const spared = 1 - this.settings.subjectWriterWeight;
    const Dv = this.model.cfg.valueDim;
    const out = new Float32Array(g.length);
    slots.forEach((slot, u) => {
      let scale = 1;
      if (wrote) scale = c / (c + (own ? wrote[slot] - spared * (own.get(slot) ?? 0) : wrote[slot]));
      if (relation) scale *= relation[slot] ** q;
      for (let d = 0; d < Dv; d++) out[u * Dv + d] = g[u * Dv + d] * scale;
    });
    return out;
  }

  /** The kernels, if they run on the active backend (after a device loss tfjs may have moved to wasm). */
  private liveKernels(): TfMemoryKernels | null {
    return this.kernels && this.kernels.backend === tf.backend() ? this.kernels : null;
  }

  /**
   * The value table as the kernels' in-place writes need it: model.values alone on its GPUBuffer. When another
   * tensor shares the buffer (tf.clone, tf.variable), it keeps the old values and the model gets a copy, as
   * with writeRows.
   */
  private ownTable(kernels: TfMemoryKernels): TfValueTable {
    let values = this.model.values!;
    if (kernels.backend.refCount(values.dataId) !== 1) {
      this.model.values = kernels.ownedCopy(values);
      values.dispose();
      values = this.model.values;
    }
    const [N, Dv] = values.shape;
    return { shards: [values], numSlots: N, dim: Dv, rowsPerShard: N, numShards: 1 };
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
  /** True when the step found every wording answered and wrote nothing. */
  skipped?: boolean;
}

/** Which positions' reads the TF counts take (SparseSettings.countOn): 1 where counted. */
function countedPositions(batch: TeachingBatch, countOn: SparseSettings['countOn'], padId: number): Uint8Array {
  switch (countOn) {
    case 'answer':
      return Uint8Array.from(batch.weights, (w) => (w > 0 ? 1 : 0));
    case 'prompt':
      return promptPositions(batch);
    case 'subject-answer':
      return subjectAndAnswerPositions(batch);
    default:
      return Uint8Array.from(batch.tokens, (token, p) => (token === padId || batch.checkOnly[(p / batch.T) | 0] ? 0 : 1));
  }
}

/** 1 at each row's positions up to and including the one that predicts the object's first token (none in a row without one, or in a check row). */
export function promptPositions(batch: Pick<TeachingBatch, 'B' | 'T' | 'answerTargets' | 'checkOnly'>): Uint8Array {
  const counted = new Uint8Array(batch.B * batch.T);
  for (let b = 0; b < batch.B; b++) {
    if (batch.checkOnly[b]) continue;
    const first = batch.answerTargets.subarray(b * batch.T, (b + 1) * batch.T).indexOf(1);
    if (first >= 0) counted.fill(1, b * batch.T, b * batch.T + first + 1);
  }
  return counted;
}

/** 1 at the subject's tokens and at the answer's (each position whose own token is an answer target), not in check rows. */
export function subjectAndAnswerPositions(batch: Pick<TeachingBatch, 'B' | 'T' | 'answerTargets' | 'checkOnly' | 'subjectTokens'>): Uint8Array {
  const counted = new Uint8Array(batch.B * batch.T);
  for (let b = 0; b < batch.B; b++) {
    if (batch.checkOnly[b]) continue;
    for (let t = 0; t < batch.T; t++) {
      const i = b * batch.T + t;
      counted[i] = batch.subjectTokens[i] || (t > 0 && batch.answerTargets[i - 1]) ? 1 : 0;
    }
  }
  return counted;
}

function skippedStep(loss: number): StepOutcome {
  const none = new Int32Array(0);
  return { loss, slots: none, scores: new Float64Array(0), reads: { slots: none, counts: new Uint32Array(0) }, readSlots: none, skipped: true };
}

function sgd(old: Float32Array, g: Float32Array, lr: number): Float32Array {
  const next = new Float32Array(old.length);
  for (let i = 0; i < old.length; i++) next[i] = old[i] - lr * g[i];
  return next;
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
  const next = tf.tidy(() => {
    // tfjs's cpu TensorScatterUpdate writes into its input's buffer, which a tf.clone of the table shares: give it
    // a private copy there (wasm and webgpu return a new buffer).
    const table = tf.getBackend() === 'cpu' ? tf.tensor2d((model.values!.dataSync() as Float32Array).slice(), model.values!.shape) : model.values!;
    return tf.tensorScatterUpdate(table, tf.tensor2d(slots, [slots.length, 1], 'int32'), tf.tensor2d(rows, [slots.length, Dv]));
  });
  model.values.dispose();
  model.values = next as tf.Tensor2D;
}
