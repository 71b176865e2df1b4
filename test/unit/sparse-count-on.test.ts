import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { buildTeachingBatch, type TeachingBatch } from '../../src/learn/teaching-batch';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
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
});
