/**
 * The per-relation background (src/learn/relation-background.ts): its divisor is 1 where no sample fact reads a
 * slot and Infinity where all of them do; counted on known capital facts of the shipped model, a sparse step with
 * relationWeight 1 never chooses a slot every sample fact reads, where the paper's ranking (weight 0) does.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { relationBackground, relationDivisor } from '../../src/learn/relation-background';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import { buildTeachingBatch, DEFAULT_TEACHING } from '../../src/learn/teaching-batch';
import { backgroundOf, type BackgroundStats } from '../../src/learn/tfidf';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';

describe('relationDivisor', () => {
  it('leaves unread slots alone, grows with the share of sample facts that read a slot, and excludes slots all of them read', () => {
    const divisor = relationDivisor({ df: Uint32Array.from([0, 1, 3, 4]), numBatches: 4 }, 1);
    expect(divisor[0]).toBe(1);
    expect(divisor[1]).toBeGreaterThan(1);
    expect(divisor[2]).toBeGreaterThan(divisor[1]);
    expect(divisor[3]).toBe(Infinity);
    const half = relationDivisor({ df: Uint32Array.from([0, 1, 3, 4]), numBatches: 4 }, 0.5);
    expect(half[2]).toBeCloseTo(Math.sqrt(divisor[2]), 5);
  });
});

describe('relation background on the shipped model', () => {
  let ckpt: Checkpoint;
  let tok: EngramTokenizer;
  let background: BackgroundStats;
  const known: Fact[] = [];

  beforeAll(async () => {
    await tf.setBackend('wasm');
    ckpt = await loadCheckpoint(directorySource('public/model'));
    tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
    const facts = readFileSync('public/model/pretrained-facts.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
    known.push(...facts.filter((f) => f.relation === 'capital').slice(0, 6));
    const model = EngramModel.fromCheckpoint(ckpt);
    const progress: number[] = [];
    background = { ...backgroundOf(ckpt)!, byRelation: await relationBackground(model, tok, [...known, facts.find((f) => f.relation === 'continent')!], 6, (done) => progress.push(done)) };
    model.dispose();
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
  }, 120_000);

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('counts each relation over its own sample facts', () => {
    expect([...background.byRelation!.keys()].sort()).toEqual(['capital', 'continent']);
    expect(background.byRelation!.get('capital')!.numBatches).toBe(6);
    expect(Math.max(...background.byRelation!.get('capital')!.df)).toBe(6);
    expect(background.byRelation!.get('continent')!.numBatches).toBe(1);
  });

  it('with relationWeight 1 a step never writes a slot every sample fact of the relation reads; the paper ranking does', async () => {
    const fact: Fact = { subject: 'Quenbria', relation: 'capital', object: 'Dovrel' };
    const shared = background.byRelation!.get('capital')!.df;
    const sharedChosen = async (relationWeight: number) => {
      const model = EngramModel.fromCheckpoint(ckpt);
      const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 2, relationWeight });
      const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING }));
      model.dispose();
      expect(report.slots!.length).toBe(500);
      return [...report.slots!].filter((s) => shared[s] === 6).length;
    };
    expect(await sharedChosen(0)).toBeGreaterThan(0);
    expect(await sharedChosen(1)).toBe(0);
  }, 120_000);
});
