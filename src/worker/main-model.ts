/**
 * The page's model and what belongs with it: the checkpoint, the tokenizer, the pretrained value table (kept for
 * the base model's answers, for reset and for undo), the background statistics and the sparse learner built from
 * the current settings. The engine's jobs share this one object; none of them keeps its own copy of a tensor.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Fact } from '../facts/fact';
import { createLearner } from '../learn/methods';
import type { SparseMemoryLearner } from '../learn/sparse-learner';
import type { EarlierFacts } from '../learn/teaching-batch';
import type { PatchModel } from '../learn/patch-file';
import { backgroundOf, type BackgroundStats } from '../learn/tfidf';
import { RelationBackground } from '../learn/relation-background';
import type { Checkpoint } from '../model/checkpoint';
import { nSlots } from '../model/config';
import type { EngramTokenizer } from '../model/tokenizer';
import type { EngramModel } from '../model/transformer';
import { ownedCopy, readRows, teachStep, type LearningStep } from './learning-step';
import type { LearnSettings } from './protocol';
import type { TableShape } from './stored-fact-check';

export interface LoadedModel {
  readonly checkpoint: Checkpoint;
  readonly tokenizer: EngramTokenizer;
  readonly model: EngramModel;
  readonly dataUrl: string;
}

export class MainModel {
  model!: EngramModel;
  tokenizer!: EngramTokenizer;
  checkpoint!: Checkpoint;
  background!: BackgroundStats;
  /** The pretrained value table. Sparse steps change only V, so this is all that differs from the base model. */
  private baseValues!: tf.Tensor2D;
  private learner!: SparseMemoryLearner;

  constructor(private settingsNow: LearnSettings) {}

  /**
   * `known`: the facts the model was pretrained on, less the retention probe's; `counted`: the per-relation
   * background as shipped (public/data/relation-background.bin). A relation missing there is counted from the known
   * facts the first time it is taught (src/learn/relation-background.ts).
   */
  attach(loaded: LoadedModel, known: readonly Fact[], counted?: ReadonlyMap<string, BackgroundStats>): void {
    this.checkpoint = loaded.checkpoint;
    this.tokenizer = loaded.tokenizer;
    const background = backgroundOf(loaded.checkpoint);
    if (!background) throw new Error('The checkpoint has no background statistics; sparse memory finetuning needs them.');
    this.background = { ...background, relations: new RelationBackground(loaded.tokenizer, known, undefined, counted) };
    this.reattach(loaded.model);
  }

  /** New model tensors (after a lost device): the pretrained table is copied again and the learner rebuilt. */
  reattach(model: EngramModel): void {
    this.model = model;
    this.baseValues = ownedCopy(model.values!);
    this.learner = this.makeLearner();
  }

  get settings(): LearnSettings {
    return this.settingsNow;
  }

  setSettings(settings: LearnSettings): void {
    this.settingsNow = settings;
    this.learner = this.makeLearner();
  }

  get modelSha(): string {
    return this.checkpoint.manifest.files.weights.sha256;
  }

  get shape(): TableShape {
    return { slots: nSlots(this.model.cfg), valueDim: this.model.cfg.valueDim };
  }

  get patchModel(): PatchModel {
    return { ...this.shape, checkpointSha256: this.modelSha };
  }

  /**
   * One learning step of `fact` on the model, recorded as the taught-facts log keeps it; `earlier`: the earlier
   * taught facts its batch teaches again (TaughtFacts.earlierFor); `written`: the rows each earlier taught fact
   * wrote (TaughtFacts.writtenBefore), from which the learner counts how often a row was written before.
   */
  step(fact: Fact, earlier: EarlierFacts, written: readonly { subject: string; slots: Int32Array }[]): Promise<LearningStep> {
    this.learner.countWritten(written);
    return teachStep(this.learner, this.model, this.tokenizer, fact, this.settingsNow.paraphrases, earlier);
  }

  /** The current table's rows of `slots`. */
  readRows(slots: Int32Array): Promise<Float32Array> {
    return readRows(this.model.values!, slots);
  }

  /** The pretrained table's rows of `slots`. */
  readBaseRows(slots: Int32Array): Promise<Float32Array> {
    return readRows(this.baseValues, slots);
  }

  /** Back to the pretrained table, with a fresh learner. */
  resetValues(): void {
    this.model.values!.dispose();
    this.model.values = ownedCopy(this.baseValues);
    this.learner = this.makeLearner();
  }

  /** Runs `job` with the pretrained value table swapped in (only V differs between base and taught model). */
  async withBaseValues<T>(job: () => Promise<T>): Promise<T> {
    const taught = this.model.values;
    this.model.values = this.baseValues;
    try {
      return await job();
    } finally {
      this.model.values = taught;
    }
  }

  /** Through the method registry, which puts the WGSL memory kernels under the learner on webgpu. */
  private makeLearner(): SparseMemoryLearner {
    const { t, lr, steps } = this.settingsNow;
    return createLearner('sparse', this.model, this.background, { t, lr, steps }) as SparseMemoryLearner;
  }
}
