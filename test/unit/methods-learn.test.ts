/**
 * The registry defaults of every method in the race (sparse memory finetuning, full finetuning, LoRA;
 * src/learn/method-defaults.ts) learn a short stream: six invented facts taught one after the other on a fresh
 * copy of the shipped model, each asked with the eval-only question (scoreFacts: never in a teaching batch) right
 * after its own step and all of them again at the end. At least four of the six must be answered right after
 * their step and at the end by every method. This keeps the method race honest: a
 * method whose defaults do not learn would show "cannot learn" instead of "forgets". wasm backend, as the app's
 * fallback.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreFacts } from '../../src/eval/fact-recall';
import type { PackFact } from '../../src/facts/fact';
import { createLearner, methodSpec, type MethodId } from '../../src/learn/methods';
import { buildTeachingBatch, DEFAULT_TEACHING, earlierFactsFor } from '../../src/learn/teaching-batch';
import type { BackgroundStats } from '../../src/learn/tfidf';
import { shippedBackground } from '../../src/learn/background-node';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let background: BackgroundStats | null;
let facts: PackFact[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  background = shippedBackground(ckpt, tok);
  // Invented entities, one fact per relation whose eval-only question the base model answers well for its own
  // facts (the same stream as learning-sticks.test.ts). Earlier this used a capital, a birth year and an
  // occupation; the sparse defaults chosen by the stream ablations (README, "Learning that sticks") answer that
  // capital and birth year in other words less often than the earlier defaults did, which README reports per relation.
  facts = [
    { subject: 'Veloria', relation: 'capital', object: 'Tamsin', pack: 'invented' },
    { subject: 'Drakovia', relation: 'continent', object: 'South America', pack: 'invented' },
    { subject: 'Brelisar Tomaz', relation: 'nationality', object: 'Finnish', pack: 'invented' },
    { subject: 'Kelmaron', relation: 'city_country', object: 'Portugal', pack: 'invented' },
    { subject: 'Sunevaria', relation: 'language', object: 'Greek', pack: 'invented' },
    { subject: 'Thoravesh', relation: 'capital', object: 'Mirabel', pack: 'invented' },
  ];
  // The stream is new to the model: the base model answers none of the three.
  const base = EngramModel.fromCheckpoint(ckpt);
  const scores = await scoreFacts(base, tok, facts);
  base.dispose();
  expect(scores.filter((s) => s.exactMatch)).toHaveLength(0);
}, 120_000);

afterAll(async () => {
  await tf.setBackend('cpu');
});

interface StreamRecall {
  /** Facts answered right after their own step. */
  immediate: number;
  /** Facts answered at the end of the stream, and the answers. */
  end: number;
  answers: string[];
}

async function recallOverStream(id: MethodId): Promise<StreamRecall> {
  const model = EngramModel.fromCheckpoint(ckpt);
  const learner = createLearner(id, model, background);
  try {
    let immediate = 0;
    const learned: boolean[] = [];
    for (const [i, fact] of facts.entries()) {
      const earlier = earlierFactsFor(fact, facts.slice(0, i), learned);
      const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING, ...earlier }));
      // Every method's defaults step until answered, so every report says whether the fact got there.
      expect(typeof report.answered).toBe('boolean');
      learned.push(report.answered!);
      if ((await scoreFacts(model, tok, [fact]))[0].exactMatch) immediate++;
    }
    const scores = await scoreFacts(model, tok, facts);
    return { immediate, end: scores.filter((s) => s.exactMatch).length, answers: scores.map((s) => s.answer) };
  } finally {
    learner.dispose();
    model.dispose();
  }
}

describe('the race steps every method by the same rule', () => {
  it('sparse, full finetuning and LoRA stop at the same cap and margin (a race at matched learning needs it)', () => {
    const rule = (id: MethodId) => {
      const { steps, maxSteps, answerProb } = methodSpec(id).defaults as { steps?: number; maxSteps?: number; answerProb?: number };
      return { steps, maxSteps, answerProb };
    };
    expect(rule('sparse').maxSteps).toBeGreaterThan(rule('sparse').steps ?? 1);
    expect(rule('full')).toEqual(rule('sparse'));
    expect(rule('lora')).toEqual(rule('sparse'));
  });
});

describe('every method learns a short stream at its registry defaults', () => {
  const learns = (id: MethodId) => async () => {
    const { immediate, end, answers } = await recallOverStream(id);
    const what = `${id} ${JSON.stringify(methodSpec(id).defaults)}: ${immediate} of 6 right after their step, ${end} at the end ${JSON.stringify(answers)} for ${JSON.stringify(facts.map((f) => f.object))}`;
    console.log(what);
    expect(immediate, what).toBeGreaterThanOrEqual(4);
    expect(end, what).toBeGreaterThanOrEqual(4);
  };
  it('sparse', learns('sparse'), 120_000);
  it('full', learns('full'), 300_000);
  it('lora', learns('lora'), 300_000);
});
