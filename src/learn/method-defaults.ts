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

/**
 * The stopping rule every method shares, so a race compares methods that may each step as long: one step, then
 * more, up to maxSteps, while some wording of the batch does not yet give the answer with every answer token the
 * greedy choice at probability answerProb or more. The cap was 8, then 12, and is 20 since the relation damping
 * below: under it a fact whose rows its relation shares takes smaller steps and needs more of them (README,
 * "Bounding the rows a relation shares").
 */
export const UNTIL_ANSWERED = { steps: 1, maxSteps: 20, answerProb: 0.5 } as const;

export const METHOD_DEFAULTS = {
  // Sparse memory finetuning ranks a fact's rows by TF-IDF against the pretraining background and against the
  // per-relation background (relation-background.ts): rows every known fact of the relation reads are left alone,
  // which leaves room for t 1000 rows a fact (README, "Learning that sticks"). Two dampings bound how far shared rows
  // move. A row's step shrinks with the earlier facts about other subjects that wrote it, by 4 / (4 + writers): over
  // 1,000 facts that forgets about half as much as the plain step (README, "Bounding how far shared rows move"). It
  // also shrinks by the row's relation idf squared (1 where no known fact of the relation reads it, 0 where all do):
  // with the cap of 20 steps, over 1,000 facts about the same recall at 40-50% less forgetting, and over 200 facts a
  // little more recall (README, "Bounding the rows a relation shares"). The 262,144-slot memory takes lr 8: a fact's
  // reads spread over four times the rows of the 65,536-slot one, which took lr 2 (README, "Room").
  sparse: { t: 1000, lr: 8, ...UNTIL_ANSWERED, relationWeight: 1, writtenDamping: 4, subjectWriterWeight: 0, relationDamping: 2 },
  'sparse-tf': { t: 500, lr: 2, ...UNTIL_ANSWERED },
  'sparse-all': { t: 500, lr: 2, ...UNTIL_ANSWERED },
  'sparse-stream': { t: 500, lr: 2, ...UNTIL_ANSWERED },
  'sparse-adamw': { t: 500, lr: 0.5, steps: 2, weightDecay: 0.1 },
  // The baselines take the same stopping rule as sparse, so each fact is learned as it comes. Full finetuning runs
  // plain SGD (dense weights at 1e-5, the value table at its own rate, 3): with AdamW no rate kept more than 31% of
  // a stream. LoRA adapts the value table too (a rank-32 adapter, as PEFT adapts an embedding table;
  // lora-learner.ts) and runs plain SGD like full finetuning: the value adapter at 0.1, the rank-8 linear adapters
  // at 1e-5; without the value adapter no rate or rank kept more than 17% of a stream. How far each learns and
  // forgets against sparse, and at which rates they reach matched learning: README, "At matched learning".
  full: { optimizer: 'sgd', lr: 1e-5, valueLr: 3, ...UNTIL_ANSWERED },
  lora: { optimizer: 'sgd', lr: 1e-5, valueRank: 32, valueLr: 0.1, ...UNTIL_ANSWERED, rank: 8, alpha: 16 },
} as const satisfies Record<string, MethodSettings>;
