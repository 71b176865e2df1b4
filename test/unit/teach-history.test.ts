import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { buildTeachingBatch } from '../../src/learn/teaching-batch';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import { TeachHistory } from '../../src/learn/teach-history';
import type { Fact } from '../../src/facts/fact';
import { backgroundOf } from '../../src/learn/tfidf';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let facts: Fact[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
  // Three facts about one subject read overlapping slots, so the rewind-and-replay path is exercised.
  const subject = invented[0].subject;
  facts = invented.filter((f) => f.subject === subject).slice(0, 3);
  if (facts.length < 3) facts = invented.slice(0, 3);
}, 60_000);

function freshHistory(): { model: EngramModel; history: TeachHistory } {
  const model = EngramModel.fromCheckpoint(ckpt);
  const background = backgroundOf(ckpt);
  const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10 });
  return { model, history: new TeachHistory(learner, (fact) => buildTeachingBatch(fact, tok, { context: model.cfg.context, paraphrases: 8 })) };
}

const models: EngramModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

async function valuesOf(model: EngramModel): Promise<Float32Array> {
  return Float32Array.from(await model.values!.data());
}

function differingFloats(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('teach history: exact undo of any taught fact', () => {
  it('undoing a middle fact equals never having taught it, bit for bit; undoing all returns the base table', async () => {
    const a = freshHistory();
    const b = freshHistory();
    models.push(a.model, b.model);
    const base = await valuesOf(a.model);
    const [first, second, third] = facts;
    const e1 = await a.history.teach(first);
    const e2 = await a.history.teach(second);
    await a.history.teach(third);
    const overlap = [...a.history.changedSlots().values()].filter((ids) => ids.length > 1).length;
    expect(overlap).toBeGreaterThan(0); // the facts share slots, so a plain restore of e2 alone would be wrong

    expect((await a.history.undo(e2.id)).replayed).toBe(1);
    await b.history.teach(first);
    await b.history.teach(third);
    expect(differingFloats(await valuesOf(a.model), await valuesOf(b.model))).toBe(0);
    expect(a.history.entries.map((e) => e.fact)).toEqual([first, third]);
    await expect(a.history.undo(e2.id)).rejects.toThrow(/no taught fact/);

    await a.history.undo(e1.id);
    await a.history.undo(a.history.entries[0].id);
    expect(a.history.entries).toHaveLength(0);
    expect(differingFloats(await valuesOf(a.model), base)).toBe(0);
  }, 120_000);
});
