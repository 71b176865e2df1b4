import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { buildTeachingBatch, type TeachingBatch } from '../../src/learn/teaching-batch';
import { promptPositions, SparseMemoryLearner, subjectAndAnswerPositions } from '../../src/learn/sparse-learner';
import { backgroundOf } from '../../src/learn/tfidf';
import type { Fact } from '../../src/facts/fact';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
const fact: Fact = { subject: 'Hainosvulium', relation: 'atomic_number', object: '199' };

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
}, 60_000);

/** The slots the batch reads at the positions whose prediction the loss weighs, and at all other real tokens. */
function slotsByPosition(model: EngramModel, batch: TeachingBatch): { answer: Set<number>; other: Set<number> } {
  const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
  const { logits, reads } = model.forward(tokens);
  const ids = reads[0].ids.dataSync();
  const perToken = ids.length / (batch.B * batch.T);
  const answer = new Set<number>();
  const other = new Set<number>();
  batch.tokens.forEach((token, p) => {
    if (token === model.cfg.padId) return;
    const into = batch.weights[p] > 0 ? answer : other;
    for (let r = 0; r < perToken; r++) into.add(ids[p * perToken + r]);
  });
  tf.dispose([tokens, logits, reads[0].ids, reads[0].weights]);
  return { answer, other };
}

describe('sparse learner, which reads the TF counts take (countOn)', () => {
  it("'answer' trains only rows read where the loss is; 'tokens' (the paper's count) also rows only the wording reads", async () => {
    const picked: Record<'tokens' | 'answer', Int32Array> = { tokens: new Int32Array(), answer: new Int32Array() };
    let answerSlots = new Set<number>();
    for (const countOn of ['tokens', 'answer'] as const) {
      const model = EngramModel.fromCheckpoint(ckpt);
      try {
        const batch = buildTeachingBatch(fact, tok, { context: model.cfg.context });
        answerSlots = slotsByPosition(model, batch).answer;
        const learner = new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 300, lr: 2, countOn });
        const report = await learner.teach(batch);
        picked[countOn] = report.slots!;
        if (countOn === 'answer') {
          expect(report.reads!.slots.every((s) => answerSlots.has(s))).toBe(true);
          expect(report.reads!.slots.length).toBe(answerSlots.size);
        }
        expect(learner.label.includes('count=answer')).toBe(countOn === 'answer');
      } finally {
        model.dispose();
      }
    }
    expect(picked.answer.length).toBe(300);
    expect([...picked.answer].every((s) => answerSlots.has(s))).toBe(true);
    const outside = [...picked.tokens].filter((s) => !answerSlots.has(s)).length;
    console.log(`countOn tokens: ${outside} of ${picked.tokens.length} trained rows are read only away from the answer`);
    expect(outside).toBeGreaterThan(0);
  }, 120_000);

  it("'prompt' trains only rows read up to the position that predicts the object's first token, never inside the answer", async () => {
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      const batch = buildTeachingBatch(fact, tok, { context: model.cfg.context });
      const counted = promptPositions(batch);
      for (let b = 0; b < batch.B; b++) {
        const row = (a: ArrayLike<number>) => Array.from(a).slice(b * batch.T, (b + 1) * batch.T);
        const first = row(batch.answerTargets).indexOf(1);
        expect(first).toBeGreaterThan(0);
        expect(row(counted)).toEqual(row(batch.tokens).map((_, p) => (p <= first ? 1 : 0)));
      }
      // The slots read at counted positions, and those read only elsewhere (inside or after the answer).
      const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
      const { logits, reads } = model.forward(tokens);
      const ids = reads[0].ids.dataSync();
      tf.dispose([tokens, logits, reads[0].ids, reads[0].weights]);
      const perToken = ids.length / (batch.B * batch.T);
      const inPrompt = new Set<number>();
      counted.forEach((c, p) => {
        if (c) for (let r = 0; r < perToken; r++) inPrompt.add(ids[p * perToken + r]);
      });
      const learner = new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 300, lr: 2, countOn: 'prompt' });
      const report = await learner.teach(batch);
      expect(learner.label).toContain('count=prompt');
      expect(report.slots!.length).toBe(300);
      expect([...report.slots!].every((s) => inPrompt.has(s))).toBe(true);
      expect(report.reads!.slots.length).toBe(inPrompt.size);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('plannedSlots names the rows a first step trains, and writes nothing', async () => {
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      const batch = buildTeachingBatch(fact, tok, { context: model.cfg.context, paraphrases: 8 });
      const learner = new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 300, lr: 2 });
      const before = await model.values!.data();
      const planned = await learner.plannedSlots(batch);
      // Counted, not compared with toEqual: a deep diff of 33.5M floats exhausts the worker's heap.
      const after = await model.values!.data();
      let changed = 0;
      for (let i = 0; i < after.length; i++) if (!Object.is(after[i], before[i])) changed++;
      expect(changed).toBe(0);
      const report = await learner.teach(batch);
      expect(report.steps).toBe(1);
      expect(Array.from(planned)).toEqual(Array.from(report.slots!));
    } finally {
      model.dispose();
    }
  }, 120_000);

  it("'subject-answer' counts the subject's tokens and the answer's, not the relation's wording nor a check row", () => {
    const batch = buildTeachingBatch(fact, tok, { context: 128, paraphrases: 8, checkRows: 1 });
    const counted = subjectAndAnswerPositions(batch);
    for (let b = 0; b < batch.B; b++) {
      const ids = Array.from(batch.tokens.slice(b * batch.T, (b + 1) * batch.T)).filter((_, t) => counted[b * batch.T + t]);
      // the subject, the object and its end (the full stop, or end-of-text after a question), nothing else
      if (batch.checkOnly[b]) expect(ids).toEqual([]);
      else expect(tok.decode(ids).replace(/([.]|<\|endoftext\|>)$/, '').trim()).toBe('Hainosvulium 199');
    }
  });
});
