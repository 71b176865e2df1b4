/**
 * Every method's default settings, as plain data: the registry (src/learn/methods.ts) builds learners with them,
 * and the app's settings (src/worker/settings.ts, also loaded on the page's main thread, which must not pull in
 * TensorFlow.js) show them. Chosen by the ablations in README ("Learning that sticks", "Learning versus
 * forgetting").
 */

/** Every setting any method takes; each method reads the ones it knows. */
export interface MethodSettings {
  t?: number;
  lr?: number;
  steps?: number;
  /** Sparse methods: more steps, up to this many, while a wording of the batch is not yet answered. */
  maxSteps?: number;
  /** With maxSteps: the answer tokens' least probability for a fact to count as answered (0: the argmax alone). */
  answerProb?: number;
  /** Sparse methods: ranking penalty for rows earlier facts wrote (0 = none). */
  writtenPenalty?: number;
  /** Sparse methods: a row's step scaled by c / (c + facts that wrote it) (0 = off). */
  writtenDamping?: number;
  /** Sparse methods, with writtenDamping: how much an earlier fact about the same subject counts as a writer (0-1). */
  subjectWriterWeight?: number;
  /** Sparse methods, with writtenDamping: only a fact's first this-many steps are damped (0 = every step). */
  dampedSteps?: number;
  /** Sparse methods: weight of the per-relation background in the ranking (0 = none). */
  relationWeight?: number;
  /** Sparse methods: a row's step scaled by its relation idf (0-1) to this power (0 = off). */
  relationDamping?: number;
  /** Sparse methods: whose reads the TF counts take, every token's or only the loss's positions' ('answer'). */
  countOn?: 'tokens' | 'answer' | 'prompt' | 'subject-answer';
  rank?: number;
  alpha?: number;
  /** LoRA: rank of the value table's adapter (0: the table is not adapted). */
  valueRank?: number;
  weightDecay?: number;
  /** Full finetuning and LoRA: 'adamw' (the paper's baselines) or 'sgd'. */
  optimizer?: 'adamw' | 'sgd';
  /** Full finetuning with SGD: the value table's own learning rate. */
  valueLr?: number;
}

export const METHOD_DEFAULTS = {
  // One step at lr 8, then more (up to 12) while a wording of the batch is not yet answered with every answer
  // token the greedy choice at probability 0.5 or more. Under the damping below a fact whose rows others wrote
  // needs more steps: a cap of 12 instead of 8 learns 2-4 points more over 1,000 facts at the same forgetting, and
  // changes nothing over 200 (README, "Bounding how far shared rows move"). Slots are also ranked against the per-relation background
  // (relation-background.ts): rows every known fact of the relation reads are left alone, which leaves room for
  // t 1000 rows a fact (README, "Learning that sticks"). A row's step shrinks with the earlier facts about other
  // subjects that wrote it, by 4 / (4 + writers): over 1,000 facts that forgets about half as much as the plain
  // step, for a few points of recall (README, "Bounding how far shared rows move"). The 262,144-slot memory takes
  // lr 8: a fact's reads spread over four times the rows of the 65,536-slot one, which took lr 2 (README, "Room").
  sparse: { t: 1000, lr: 8, steps: 1, maxSteps: 12, answerProb: 0.5, relationWeight: 1, writtenDamping: 4, subjectWriterWeight: 0 },
  'sparse-tf': { t: 500, lr: 2, steps: 1, maxSteps: 12, answerProb: 0.5 },
  'sparse-all': { t: 500, lr: 2, steps: 1, maxSteps: 12, answerProb: 0.5 },
  'sparse-stream': { t: 500, lr: 2, steps: 1, maxSteps: 12, answerProb: 0.5 },
  'sparse-adamw': { t: 500, lr: 0.5, steps: 2, weightDecay: 0.1 },
  // The baselines take the same stopping rule as sparse (the same cap of 12 steps), so each fact is learned as it
  // comes. Full finetuning runs plain SGD (dense weights at 1e-5, the value table at its own rate, 3): over stream 1
  // (100 facts) on the shipped model it answers 76% of the facts at the end against sparse's 81% (matched learning:
  // 90% of sparse's or more; at 2 it answered 72%, short of it) and loses 3.6% of what the model knew against
  // sparse's 1.0%. With AdamW no rate kept more than 31% of the stream. LoRA adapts the
  // value table too (a rank-32 adapter, as PEFT adapts an embedding table; lora-learner.ts) and runs plain SGD
  // like full finetuning: the value adapter at 0.1, the rank-8 linear adapters at 1e-5. Without the value adapter
  // no rate or rank kept more than 17% of a stream; with it, over stream 1 it keeps 72% (sparse 81%) and loses
  // 5.6% of what the model knew. Higher value rates learn faster and forget more, their own facts too (0.15: 71%
  // and 7.3%, 0.2: 67% and 7.9%; README, "At matched learning").
  full: { optimizer: 'sgd', lr: 1e-5, valueLr: 3, steps: 1, maxSteps: 12, answerProb: 0.5 },
  lora: { optimizer: 'sgd', lr: 1e-5, valueRank: 32, valueLr: 0.1, steps: 1, maxSteps: 12, answerProb: 0.5, rank: 8, alpha: 16 },
} as const satisfies Record<string, MethodSettings>;
