import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { scoreAnswers } from '../../src/model/answers';
import { buildTeachingBatch, evalProbes } from '../../src/learn/teaching-batch';
import { createLearner, type MethodId } from '../../src/learn/methods';
import type { Fact } from '../../src/facts/fact';
import { backgroundOf } from '../../src/learn/tfidf';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let fact: Fact;

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
  fact = invented.find((f) => f.relation === 'capital')!;
}, 60_000);

async function answerLogprob(model: EngramModel): Promise<number> {
  const probe = evalProbes(fact, tok).filter((p) => p.templateId.endsWith('/q-eval'));
  return (await scoreAnswers(model, probe))[0].logprob;
}

// The ablations of sparse memory finetuning are learners too: each must learn the fact in one step with its
// default setting (what they differ in is what they forget, measured by npm run experiment).
describe.each(['sparse-tf', 'sparse-all', 'sparse-stream', 'sparse-adamw'] as MethodId[])('%s', (method) => {
  it('raises the answer log-probability of a taught invented fact on the eval-only question', async () => {
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      const background = backgroundOf(ckpt);
      const learner = createLearner(method, model, background);
      const before = await answerLogprob(model);
      const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, paraphrases: 8 }));
      const after = await answerLogprob(model);
      console.log(`${learner.label}: ${before.toFixed(1)} -> ${after.toFixed(1)} nats, ${report.slots!.length} rows`);
      expect(after - before).toBeGreaterThan(5);
      if (method === 'sparse-all') expect(report.slots!.length).toBeGreaterThan(1000); // every accessed row
      else expect(report.slots!.length).toBe(500);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
