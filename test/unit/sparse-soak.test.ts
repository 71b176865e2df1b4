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
import { NonFiniteStepError } from '../../src/learn/learner';
import type { Fact } from '../../src/facts/fact';
import { backgroundOf } from '../../src/learn/tfidf';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let model: EngramModel;
let facts: Fact[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  model = EngramModel.fromCheckpoint(ckpt);
  facts = ['invented', 'real-unseen', 'counterfactual'].flatMap((pack) =>
    readFileSync(`public/data/packs/${pack}.jsonl`, 'utf8').trim().split('\n').slice(0, 10).map((l) => JSON.parse(l) as Fact),
  );
}, 60_000);
afterAll(() => model?.dispose());

const background = () => backgroundOf(ckpt);
const batchOf = (fact: Fact) => buildTeachingBatch(fact, tok, { context: model.cfg.context, paraphrases: 8 });

describe('a short soak of the sparse learner (the long one is npm run soak)', () => {
  it('streams 30 facts with no error and no tensor or byte growth beyond the cached causal masks', async () => {
    const learner = new SparseMemoryLearner(model, background(), { t: 500, lr: 10 });
    await learner.teach(batchOf(facts[0]));
    const counted = () => {
      const m = tf.memory();
      return { tensors: m.numTensors - model.cachedMaskCount, bytes: m.numBytes };
    };
    const warm = counted();
    const masksAtWarm = model.cachedMaskCount;
    for (const fact of facts.slice(1)) {
      const report = await learner.teach(batchOf(fact));
      expect(report.slots!.length).toBe(500);
    }
    const end = counted();
    expect(end.tensors).toBe(warm.tensors);
    // Byte growth may only come from causal masks cached for new sequence lengths ([T, T] float32, T <= context).
    const newMasks = model.cachedMaskCount - masksAtWarm;
    expect(end.bytes - warm.bytes).toBeLessThanOrEqual(newMasks * model.cfg.context ** 2 * 4);
  }, 120_000);

  it('rolls back a step whose update overflows float32, reports it, and leaves the table bit-identical', async () => {
    const before = Float32Array.from(await model.values!.data());
    const learner = new SparseMemoryLearner(model, background(), { t: 500, lr: 1e300 });
    await expect(learner.teach(batchOf(facts[3]))).rejects.toThrow(NonFiniteStepError);
    const after = (await model.values!.data()) as Float32Array;
    let differences = 0;
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) differences++;
    expect(differences).toBe(0);
  }, 60_000);
});
