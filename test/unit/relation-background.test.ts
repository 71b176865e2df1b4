/**
 * The per-relation background (src/learn/relation-background.ts): its divisor is 1 where no sample fact reads a
 * slot and Infinity where all of them do; it samples known facts less the measured ones; counted on known capital
 * facts of the shipped model (once per relation, the same on a taught copy), a sparse step with relationWeight 1
 * never chooses a slot every sample fact reads, where the paper's ranking (weight 0) does; with relationDamping q a
 * row's step is scaled by its relation idf to the power q; and a learner asked for either without the background
 * refuses clearly.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { knownFactsFor, RelationBackground, relationDivisor, relationIdf } from '../../src/learn/relation-background';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import { buildTeachingBatch, DEFAULT_TEACHING } from '../../src/learn/teaching-batch';
import { backgroundOf, type BackgroundStats } from '../../src/learn/tfidf';
import { decodeRelationBackground, encodeRelationBackground, readRelationBackgroundHeader } from '../../src/learn/relation-background-file';
import { shippedBackground } from '../../src/learn/background-node';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';

describe('relationDivisor and knownFactsFor', () => {
  it('leaves unread slots alone, grows with the share of sample facts that read a slot, and excludes slots all of them read', () => {
    const divisor = relationDivisor({ df: Uint32Array.from([0, 1, 3, 4]), numBatches: 4 }, 1);
    expect(divisor[0]).toBe(1);
    expect(divisor[1]).toBeGreaterThan(1);
    expect(divisor[2]).toBeGreaterThan(divisor[1]);
    expect(divisor[3]).toBe(Infinity);
    const half = relationDivisor({ df: Uint32Array.from([0, 1, 3, 4]), numBatches: 4 }, 0.5);
    expect(half[2]).toBeCloseTo(Math.sqrt(divisor[2]), 5);
    const idf = relationIdf({ df: Uint32Array.from([0, 1, 3, 4]), numBatches: 4 });
    expect(idf[0]).toBe(1);
    expect(idf[3]).toBe(0);
    for (const i of [1, 2]) expect(idf[i]).toBeCloseTo(1 / divisor[i], 6);
  });

  it('samples the pretrained facts less the measured ones (same subject and relation)', () => {
    const a: Fact = { subject: 'France', relation: 'capital', object: 'Paris' };
    const b: Fact = { subject: 'Spain', relation: 'capital', object: 'Madrid' };
    const c: Fact = { subject: 'Spain', relation: 'currency', object: 'Euro' };
    expect(knownFactsFor([a, b, c], [{ ...b, object: 'anything' }])).toEqual([a, c]);
  });
});

describe('relation background on the shipped model', () => {
  let ckpt: Checkpoint;
  let tok: EngramTokenizer;
  let background: BackgroundStats;
  let relations: RelationBackground;
  let pretrained: Fact[];

  beforeAll(async () => {
    await tf.setBackend('wasm');
    ckpt = await loadCheckpoint(directorySource('public/model'));
    tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
    pretrained = readFileSync('public/model/pretrained-facts.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
    relations = new RelationBackground(tok, pretrained, 6);
    background = { ...backgroundOf(ckpt)!, relations };
  }, 120_000);

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('counts a relation over its own sample facts, once, and the same on a taught copy', async () => {
    expect(relations.get('capital')).toBeNull();
    const model = EngramModel.fromCheckpoint(ckpt);
    const capital = (await relations.forRelation('capital', model))!;
    expect(capital.numBatches).toBe(6);
    expect(capital.df.reduce((a, b) => Math.max(a, b), 0)).toBe(6); // no spread: 262,144 arguments overflow the stack
    expect(await relations.forRelation('capital', model)).toBe(capital);
    expect(await relations.forRelation('no-such-relation', model)).toBeNull();
    // A copy that has been taught reads the same slots: a fresh count on it equals the first.
    const learner = new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 500, lr: 2 });
    await learner.teach(buildTeachingBatch({ subject: 'Veloria', relation: 'capital', object: 'Tamsin' }, tok, { context: model.cfg.context, ...DEFAULT_TEACHING }));
    const again = await new RelationBackground(tok, pretrained, 6).forRelation('capital', model);
    expect(Array.from(again!.df)).toEqual(Array.from(capital.df));
    model.dispose();
  }, 120_000);

  it('with relationWeight 1 a step never writes a slot every sample fact of the relation reads; the paper ranking does', async () => {
    const fact: Fact = { subject: 'Quenbria', relation: 'capital', object: 'Dovrel' };
    const sharedChosen = async (relationWeight: number) => {
      const model = EngramModel.fromCheckpoint(ckpt);
      const learner = new SparseMemoryLearner(model, background, { t: 2000, lr: 2, relationWeight });
      const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING }));
      const shared = (await relations.forRelation('capital', model))!.df;
      model.dispose();
      expect(report.slots!.length).toBe(2000);
      const chosen = [...report.slots!].filter((s) => shared[s] === 6).length;
      console.log(`relationWeight ${relationWeight}: ${chosen} of 2000 chosen rows are read by all 6 sample facts`);
      return chosen;
    };
    expect(await sharedChosen(0)).toBeGreaterThan(0);
    expect(await sharedChosen(1)).toBe(0);
  }, 120_000);

  it('with relationDamping q a row moves by its relation idf to the power q of the undamped step: rows every sample fact reads not at all', async () => {
    const fact: Fact = { subject: 'Quenbria', relation: 'capital', object: 'Dovrel' };
    // One step on the paper's ranking (relationWeight 0, so shared rows are chosen too); the damping changes only
    // how far the chosen rows move, never which rows are chosen.
    const deltas = async (relationDamping: number) => {
      const model = EngramModel.fromCheckpoint(ckpt);
      const learner = new SparseMemoryLearner(model, background, { t: 2000, lr: 2, relationDamping });
      const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING }));
      const { slots, rows: before } = report.undo;
      const after = tf.tidy(() => tf.gather(model.values!, tf.tensor1d(slots, 'int32')).dataSync() as Float32Array);
      model.dispose();
      return { slots, delta: after.map((v, i) => v - before[i]) };
    };
    const whole = await deltas(0);
    const damped = await deltas(2);
    expect(Array.from(damped.slots)).toEqual(Array.from(whole.slots));
    const idf = relationIdf(relations.get('capital')!); // counted by the damped learner's step
    const Dv = ckpt.config.valueDim;
    const kinds = { fresh: 0, shared: 0, partly: 0 };
    let movedPartly = 0;
    let expectedPartly = 0;
    whole.slots.forEach((slot, u) => {
      const norm = (d: Float32Array) => Math.hypot(...d.subarray(u * Dv, (u + 1) * Dv));
      if (norm(whole.delta) === 0) return expect(norm(damped.delta)).toBe(0); // a step too small for f32 to show
      const ratio = norm(damped.delta) / norm(whole.delta);
      if (idf[slot] === 1) {
        kinds.fresh++;
        expect(ratio).toBe(1);
      } else if (idf[slot] === 0) {
        kinds.shared++;
        expect(norm(damped.delta)).toBe(0);
      } else {
        kinds.partly++;
        // Row by row the f32 difference of two close values blurs a small step; summed over the rows it does not.
        expect(ratio).toBeLessThan(1);
        movedPartly += norm(damped.delta);
        expectedPartly += idf[slot] ** 2 * norm(whole.delta);
      }
    });
    expect(movedPartly / expectedPartly).toBeCloseTo(1, 2);
    console.log(`relationDamping 2: ${kinds.fresh} rows no sample fact reads, ${kinds.partly} some read, ${kinds.shared} all read`);
    expect(Math.min(kinds.fresh, kinds.partly, kinds.shared)).toBeGreaterThan(0);
  }, 120_000);

  it('a learner asked for relationWeight or relationDamping without the per-relation background refuses with a clear message', () => {
    const model = EngramModel.fromCheckpoint(ckpt);
    expect(() => new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 500, lr: 2, relationWeight: 1 })).toThrow(/per-relation background/);
    expect(() => new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 500, lr: 2, relationDamping: 1 })).toThrow(/per-relation background/);
    expect(() => new SparseMemoryLearner(model, background, { t: 500, lr: 2, relationDamping: -1 })).toThrow(/relationDamping/);
    model.dispose();
  });
});

describe('the relation background file', () => {
  const counts = new Map([
    ['capital', { df: Uint32Array.from([0, 3, 32, 1]), numBatches: 32 }],
    ['continent', { df: Uint32Array.from([5, 0, 0, 2]), numBatches: 30 }],
  ]);

  it('round-trips the counts and refuses a file of another checkpoint, size or a broken one', () => {
    const bytes = encodeRelationBackground(counts, 'a'.repeat(64), 4, 32);
    const back = decodeRelationBackground(bytes, 'a'.repeat(64), 4);
    expect([...back.keys()]).toEqual(['capital', 'continent']);
    expect(Array.from(back.get('capital')!.df)).toEqual([0, 3, 32, 1]);
    expect(back.get('continent')!.numBatches).toBe(30);
    expect(readRelationBackgroundHeader(bytes)?.perRelation).toBe(32);
    expect(() => decodeRelationBackground(bytes, 'b'.repeat(64), 4)).toThrow(/belongs to checkpoint aaaaaaaaaaaa, not bbbbbbbbbbbb.*npm run relation-background/);
    expect(() => decodeRelationBackground(bytes, 'a'.repeat(64), 8)).toThrow(/covers 4 slots, the model has 8/);
    expect(() => decodeRelationBackground(bytes.subarray(0, bytes.length - 1), 'a'.repeat(64), 4)).toThrow(/truncated/);
    expect(() => decodeRelationBackground(new TextEncoder().encode('not a file at all'), 'a'.repeat(64), 4)).toThrow(/not a relation background file/);
    expect(readRelationBackgroundHeader(new Uint8Array(3))).toBeNull();
  });

  it('the shipped file belongs to the shipped checkpoint and holds what counting on it gives', async () => {
    await tf.setBackend('wasm');
    const ckpt = await loadCheckpoint(directorySource('public/model'));
    const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
    const shipped = shippedBackground(ckpt, tok)!;
    // Read from the file: every relation is there before anything is taught.
    for (const relation of ['capital', 'birth_year', 'atomic_number']) expect(shipped.relations!.get(relation)?.numBatches).toBe(32);
    const jsonl = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
    const known = knownFactsFor(jsonl('public/model/pretrained-facts.jsonl'), jsonl('public/data/retention-probe.jsonl'));
    const model = EngramModel.fromCheckpoint(ckpt);
    const fresh = await new RelationBackground(tok, known, 32).forRelation('currency', model);
    model.dispose();
    expect(Array.from(shipped.relations!.get('currency')!.df)).toEqual(Array.from(fresh!.df));
    await tf.setBackend('cpu');
  }, 120_000);
});
