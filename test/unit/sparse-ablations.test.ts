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
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import type { Fact } from '../../src/facts/fact';
import { backgroundOf } from '../../src/learn/tfidf';
import { shippedBackground } from '../../src/learn/background-node';

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

describe('writtenDamping', () => {
  it('scales a row\'s step by c / (c + facts that wrote it): half for rows one earlier fact wrote at c 1, whole for fresh rows', async () => {
    const batch = buildTeachingBatch(fact, tok, { context: ckpt.config.context, paraphrases: 8 });
    const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
    const other = invented.find((f) => f.relation === 'continent')!; // another country's fact: some rows shared, some not
    const otherBatch = buildTeachingBatch(other, tok, { context: ckpt.config.context, paraphrases: 8 });
    const background = backgroundOf(ckpt);
    // Two learners, one damped: the first fact's step is the same for both (no row has been written yet); the
    // second fact then computes the same gradient and chooses the same rows for both, and only the step differs.
    const deltas: Float32Array[] = [];
    let firstWritten: Int32Array | undefined;
    let secondSlots: Int32Array | undefined;
    for (const writtenDamping of [0, 1]) {
      const model = EngramModel.fromCheckpoint(ckpt);
      try {
        const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping });
        const first = await learner.teach(batch);
        firstWritten = first.undo.slots;
        const before = Float32Array.from(await model.values!.data());
        const second = await learner.teach(otherBatch);
        secondSlots = second.slots!;
        const after = (await model.values!.data()) as Float32Array;
        deltas.push(after.map((v, i) => v - before[i]));
      } finally {
        model.dispose();
      }
    }
    const [plain, damped] = deltas;
    const Dv = ckpt.config.valueDim;
    const written = new Set(firstWritten);
    let again = 0;
    let fresh = 0;
    for (const slot of secondSlots!) {
      const ratio = written.has(slot) ? 0.5 : 1;
      written.has(slot) ? again++ : fresh++;
      for (let d = 0; d < Dv; d++) expect(damped[slot * Dv + d]).toBeCloseTo(plain[slot * Dv + d] * ratio, 4);
    }
    expect(again).toBeGreaterThan(10);
    expect(fresh).toBeGreaterThan(10);
    console.log(`second step: ${again} rows written before (half step), ${fresh} fresh (whole step)`);
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      expect(() => new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping: -1 })).toThrow(/writtenDamping/);
      // Off unless set: the registry passes every key, so an undefined one must mean off, not a bad value.
      expect(new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping: undefined }).label).not.toContain('damping');
      // The registry passes the shipped default through (method-defaults.ts).
      const shipped = createLearner('sparse', model, shippedBackground(ckpt, tok)).label;
      expect(shipped).toContain('written-damping=4 subject-writers=0');
      expect(shipped).toContain('relation-damping=2');
      const undamped = createLearner('sparse', model, shippedBackground(ckpt, tok), { writtenDamping: 0 }).label;
      expect(undamped).not.toContain('written-damping');
      expect(undamped).toContain('relation-damping=2');
    } finally {
      model.dispose();
    }
  }, 120_000);
});

describe('subjectWriterWeight', () => {
  it('at 0 a fact about the same subject moves the rows its earlier fact wrote by the whole step, another subject\'s by the damped one', async () => {
    const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
    const sameSubject = invented.find((f) => f.subject === fact.subject && f.relation !== fact.relation)!;
    const otherSubject = invented.find((f) => f.subject !== fact.subject && f.relation === 'continent')!;
    const background = backgroundOf(ckpt);
    const batchOf = (f: Fact) => buildTeachingBatch(f, tok, { context: ckpt.config.context, paraphrases: 8 });
    /** The table's change by the second fact, after `fact`, with these damping settings. */
    const secondDelta = async (second: Fact, settings: { writtenDamping: number; subjectWriterWeight?: number }) => {
      const model = EngramModel.fromCheckpoint(ckpt);
      try {
        const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10, ...settings });
        const first = await learner.teach(batchOf(fact));
        const before = Float32Array.from(await model.values!.data());
        const report = await learner.teach(batchOf(second));
        const after = (await model.values!.data()) as Float32Array;
        return { delta: after.map((v, i) => v - before[i]), firstRows: new Set(first.undo.slots), secondRows: report.slots! };
      } finally {
        model.dispose();
      }
    };
    const Dv = ckpt.config.valueDim;
    /** Mean ratio of the second step on the rows the first fact wrote, `of` against `to`. */
    const ratioOnWritten = (of: Awaited<ReturnType<typeof secondDelta>>, to: Awaited<ReturnType<typeof secondDelta>>) => {
      const ratios: number[] = [];
      for (const slot of of.secondRows) {
        if (!of.firstRows.has(slot)) continue;
        for (let d = 0; d < Dv; d++) {
          const ref = to.delta[slot * Dv + d];
          if (Math.abs(ref) > 1e-4) ratios.push(of.delta[slot * Dv + d] / ref);
        }
      }
      expect(ratios.length).toBeGreaterThan(100);
      return ratios.reduce((a, b) => a + b, 0) / ratios.length;
    };
    const plainSame = await secondDelta(sameSubject, { writtenDamping: 0 });
    const sparedSame = await secondDelta(sameSubject, { writtenDamping: 1, subjectWriterWeight: 0 });
    const dampedSame = await secondDelta(sameSubject, { writtenDamping: 1 });
    expect(ratioOnWritten(sparedSame, plainSame)).toBeCloseTo(1, 3);
    expect(ratioOnWritten(dampedSame, plainSame)).toBeCloseTo(0.5, 3);
    const plainOther = await secondDelta(otherSubject, { writtenDamping: 0 });
    const sparedOther = await secondDelta(otherSubject, { writtenDamping: 1, subjectWriterWeight: 0 });
    expect(ratioOnWritten(sparedOther, plainOther)).toBeCloseTo(0.5, 3);
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      expect(() => new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping: 1, subjectWriterWeight: 2 })).toThrow(/subjectWriterWeight/);
      expect(new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping: 1, subjectWriterWeight: 0 }).label).toContain('subject-writers=0');
    } finally {
      model.dispose();
    }
  }, 180_000);
});

describe('dampedSteps', () => {
  it('damps only a fact\'s first steps: later steps move the rows earlier facts wrote by the whole step, fresh rows as before', async () => {
    const background = backgroundOf(ckpt);
    const batchOf = (f: Fact) => buildTeachingBatch(f, tok, { context: ckpt.config.context, paraphrases: 8 });
    /** The table's change by `fact` taught a second time (two steps; it reads the rows its first teaching wrote). */
    const secondDelta = async (dampedSteps: number) => {
      const model = EngramModel.fromCheckpoint(ckpt);
      try {
        const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10, steps: 2, writtenDamping: 1, dampedSteps });
        const first = await learner.teach(batchOf(fact));
        const before = Float32Array.from(await model.values!.data());
        await learner.teach(batchOf(fact));
        const after = (await model.values!.data()) as Float32Array;
        return { delta: after.map((v, i) => v - before[i]), firstRows: first.undo.slots, label: learner.label };
      } finally {
        model.dispose();
      }
    };
    const everyStep = await secondDelta(0);
    const firstStepOnly = await secondDelta(1);
    const bothSteps = await secondDelta(2);
    // Damping both of two steps is damping every step (bytes compared: a deep toEqual over 33.5M floats runs out of heap).
    expect(Buffer.from(bothSteps.delta.buffer).equals(Buffer.from(everyStep.delta.buffer))).toBe(true);
    // The first step is damped alike, so the second starts from the same table and computes the same gradient:
    // rows no earlier fact wrote take the same whole step; rows the first fact wrote take a larger one.
    const Dv = ckpt.config.valueDim;
    const written = new Set(firstStepOnly.firstRows);
    let differs = 0;
    let further = 0;
    for (let slot = 0; slot < everyStep.delta.length / Dv; slot++) {
      let gap = 0;
      let released = 0;
      let damped = 0;
      for (let d = 0; d < Dv; d++) {
        gap += Math.abs(firstStepOnly.delta[slot * Dv + d] - everyStep.delta[slot * Dv + d]);
        released += firstStepOnly.delta[slot * Dv + d] ** 2;
        damped += everyStep.delta[slot * Dv + d] ** 2;
      }
      if (gap === 0) continue;
      expect(written.has(slot)).toBe(true);
      differs++;
      if (released > damped) further++;
    }
    console.log(`taught again, step 2 undamped: ${differs} rows the first teaching wrote moved differently, ${further} of them further`);
    expect(differs).toBeGreaterThan(10);
    expect(further / differs).toBeGreaterThan(0.9);
    expect(firstStepOnly.label).toContain('damped-steps=1');
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      expect(() => new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping: 1, dampedSteps: 1.5 })).toThrow(/dampedSteps/);
      expect(() => new SparseMemoryLearner(model, background, { t: 500, lr: 10, writtenDamping: 1, dampedSteps: -1 })).toThrow(/dampedSteps/);
    } finally {
      model.dispose();
    }
  }, 180_000);
});
