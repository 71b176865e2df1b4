import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { scoreAnswers } from '../../src/model/answers';
import { buildTeachingBatch, evalProbes } from '../../src/learn/teaching-batch';
import { restoreRows, SparseMemoryLearner, type RowsSnapshot, type SparseStepReport } from '../../src/learn/sparse-learner';
import type { PackFact } from '../../src/facts/fact';
import { backgroundOf } from '../../src/learn/tfidf';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let model: EngramModel;
let fact: PackFact;
let valuesBefore: Float32Array;
let logprobBefore: number;
let logprobAfter: number;
let report: SparseStepReport;
let undo: RowsSnapshot;

// One step on the shipped model, shared by the assertions below (wasm backend: about 2 s a step).
beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  model = EngramModel.fromCheckpoint(ckpt);
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  fact = invented.find((f) => f.relation === 'capital')!;
  const probe = evalProbes(fact, tok).filter((p) => p.templateId.endsWith('/q-eval'));
  valuesBefore = Float32Array.from(await model.values!.data());
  logprobBefore = (await scoreAnswers(model, probe))[0].logprob;
  const background = backgroundOf(ckpt);
  const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10 });
  report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, paraphrases: 8 }));
  undo = report.undo;
  const after = (await scoreAnswers(model, probe))[0];
  logprobAfter = after.logprob;
}, 240_000);

afterAll(() => model?.dispose());

describe('one sparse memory finetuning step on the shipped model', () => {
  it('raises the eval-only answer of an invented fact it never saw from hopeless to within a few nats in one step', () => {
    // Measured (lr 10, t 500, 8 paraphrases, one step): phase-3 model -38.8 -> -1.4 nats (the argmax); phase-4
    // model -31.5 -> -3.4 (not yet the argmax: the defaults take more steps until it is, learning-sticks.test.ts);
    // phase-5 model -29.9 -> -0.3; shipped phase-6 model (262,144 slots: a fact's reads spread over four times the
    // rows, which is why its default rate is higher) -29.0 -> -5.3.
    console.log(`eval-only answer log-probability: ${logprobBefore.toFixed(1)} -> ${logprobAfter.toFixed(1)} nats in one step`);
    expect(logprobBefore).toBeLessThan(-20);
    expect(logprobAfter - logprobBefore).toBeGreaterThan(15);
    expect(logprobAfter).toBeGreaterThan(-8);
  });

  it('changes exactly the selected value rows and nothing else', async () => {
    expect(report.slots!.length).toBe(500);
    expect(new Set(report.slots!).size).toBe(500);
    expect(report.paramsTouched).toBe(500 * model.cfg.valueDim);
    const after = (await model.values!.data()) as Float32Array;
    const Dv = model.cfg.valueDim;
    const selected = new Set(report.slots!);
    let changedSelected = 0;
    for (let slot = 0; slot < after.length / Dv; slot++) {
      let same = true;
      for (let c = 0; c < Dv; c++) if (after[slot * Dv + c] !== valuesBefore[slot * Dv + c]) same = false;
      if (!selected.has(slot)) expect(same, `slot ${slot} was not selected but changed`).toBe(true);
      else if (!same) changedSelected++;
    }
    expect(changedSelected).toBeGreaterThan(400); // a selected row can keep a zero gradient only by chance
  });

  it('ranks slots by TF-IDF: every selected slot has a positive score, best first', () => {
    const scores = report.scores!;
    for (let i = 0; i < scores.length; i++) {
      expect(scores[i]).toBeGreaterThan(0);
      if (i > 0) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
    }
  });

  it('undo restores the value table bit for bit', async () => {
    restoreRows(model, undo);
    const restored = (await model.values!.data()) as Float32Array;
    expect(restored.length).toBe(valuesBefore.length);
    let differences = 0;
    for (let i = 0; i < restored.length; i++) if (restored[i] !== valuesBefore[i]) differences++;
    expect(differences).toBe(0);
  });
});
