/**
 * The app's undo log (src/worker/taught-facts.ts), the one the page, the Node soak and the scripts use, with the
 * real sparse learner on wasm: undoing any fact is exact even when the facts share slots (the rows an undo puts
 * back come partly from earlier facts' `after` rows, partly from the pretrained table).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import type { Fact } from '../../src/facts/fact';
import { backgroundOf } from '../../src/learn/tfidf';
import { teachStep } from '../../src/worker/learning-step';
import { TaughtFacts, type TaughtFact } from '../../src/worker/taught-facts';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let facts: Fact[];
let others: Fact[];
const models: EngramModel[] = [];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
  // Three facts about one subject read overlapping slots, so the rewind-and-replay path is exercised.
  const subject = invented[0].subject;
  facts = invented.filter((f) => f.subject === subject).slice(0, 3);
  expect(new Set(facts.map((f) => f.relation)).size).toBe(3);
  // Facts about five different subjects, for the review of earlier facts.
  const bySubject = new Map<string, Fact>();
  for (const f of invented) if (!bySubject.has(f.subject)) bySubject.set(f.subject, f);
  others = [...bySubject.values()].slice(0, 5);
}, 60_000);

afterAll(() => models.forEach((m) => m.dispose()));

function fresh(reviewCount = 0, writtenDamping = 0) {
  const model = EngramModel.fromCheckpoint(ckpt);
  models.push(model);
  const newLearner = () => new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 500, lr: 10, writtenDamping });
  let learner = newLearner();
  const taught = new TaughtFacts(reviewCount);
  // As the worker does (MainModel.step): each step rehearses the facts about the same subject listed before it,
  // and the learner's written-row counts are set from the facts listed before it.
  const step = (fact: Fact, before?: TaughtFact, recount = true) => {
    if (recount) learner.countWritten(taught.writtenBefore(before));
    return teachStep(learner, model, tok, fact, 8, taught.earlierFor(fact, before));
  };
  const teach = async (fact: Fact) => taught.add({ fact, origin: 'typed', ...(await step(fact)) });
  /** A new learner on the same table, as after a page reload or a lost device. */
  const reload = () => void (learner = newLearner());
  return { model, taught, step, teach, reload };
}

async function valuesOf(model: EngramModel): Promise<Float32Array> {
  return Float32Array.from(await model.values!.data());
}

function differingFloats(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('taught facts: exact undo of any taught fact', () => {
  it('undoing a middle fact equals never having taught it, bit for bit; undoing all returns the base table', async () => {
    const a = fresh();
    const b = fresh();
    const base = await valuesOf(a.model);
    const baseOf = async (slots: Int32Array) => {
      const rows = new Float32Array(slots.length * a.model.cfg.valueDim);
      slots.forEach((slot, u) => rows.set(base.subarray(slot * a.model.cfg.valueDim, (slot + 1) * a.model.cfg.valueDim), u * a.model.cfg.valueDim));
      return rows;
    };
    const [first, second, third] = facts;
    const e1 = await a.teach(first);
    const e2 = await a.teach(second);
    await a.teach(third);
    const overlap = [...a.taught.changedSlots().values()].filter((ids) => ids.length > 1).length;
    expect(overlap).toBeGreaterThan(0); // the facts share slots, so putting back only e2's slots' base rows would be wrong

    // The third fact rehearses the first two; replayed after the second is undone, only the first.
    expect(a.taught.earlierFor(third).rehearse).toEqual([first, second]);
    expect(a.taught.earlierFor(third, a.taught.entries[2]).rehearse).toEqual([first, second]);
    expect(a.taught.earlierFor(second, e2).rehearse).toEqual([first]);
    const reteach = (entry: TaughtFact) => a.step(entry.fact, entry);
    expect(await a.taught.undo(a.model, e2.id, reteach, baseOf)).toHaveLength(1);
    await b.teach(first);
    await b.teach(third);
    expect(differingFloats(await valuesOf(a.model), await valuesOf(b.model))).toBe(0);
    expect(a.taught.entries.map((e) => e.fact)).toEqual([first, third]);
    await expect(a.taught.undo(a.model, e2.id, reteach, baseOf)).rejects.toThrow(/no taught fact/);

    await a.taught.undo(a.model, e1.id, reteach, baseOf);
    await a.taught.undo(a.model, a.taught.entries[0].id, reteach, baseOf);
    expect(a.taught.entries).toHaveLength(0);
    expect(differingFloats(await valuesOf(a.model), base)).toBe(0);
  }, 180_000);

  it('with earlier facts reviewed in each batch, undoing a middle fact still equals never having taught it', async () => {
    const a = fresh(2);
    const b = fresh(2);
    const entries: TaughtFact[] = [];
    for (const fact of others) entries.push(await a.teach(fact));
    // The last step reviewed two of the facts before it (other subjects), so an undo changes what later batches hold.
    const last = a.taught.earlierFor(others[4], entries[4]);
    expect(last.review).toHaveLength(2);
    for (const fact of last.review) expect(others.slice(0, 4)).toContain(fact);
    const reteach = (entry: TaughtFact) => a.step(entry.fact, entry);
    const base = await valuesOf(b.model);
    const baseOf = async (slots: Int32Array) => {
      const Dv = a.model.cfg.valueDim;
      const rows = new Float32Array(slots.length * Dv);
      slots.forEach((slot, u) => rows.set(base.subarray(slot * Dv, (slot + 1) * Dv), u * Dv));
      return rows;
    };
    expect(await a.taught.undo(a.model, entries[1].id, reteach, baseOf)).toHaveLength(3);
    for (const fact of [others[0], ...others.slice(2)]) await b.teach(fact);
    expect(differingFloats(await valuesOf(a.model), await valuesOf(b.model))).toBe(0);
  }, 180_000);
});

describe('taught facts: written-row counts follow the list', () => {
  const baseOf = (base: Float32Array, Dv: number) => async (slots: Int32Array) => {
    const rows = new Float32Array(slots.length * Dv);
    slots.forEach((slot, u) => rows.set(base.subarray(slot * Dv, (slot + 1) * Dv), u * Dv));
    return rows;
  };

  it('with writtenDamping, an undo and a reload teach the next fact exactly as if the list had always been so', async () => {
    const [first, second, third] = facts;
    // Undo the middle fact: the third is taught again with counts of the first fact's rows only.
    const a = fresh(0, 1);
    const base = await valuesOf(a.model);
    const Dv = a.model.cfg.valueDim;
    await a.teach(first);
    const e2 = await a.teach(second);
    await a.teach(third);
    await a.taught.undo(a.model, e2.id, (entry) => a.step(entry.fact, entry), baseOf(base, Dv));
    const b = fresh(0, 1);
    await b.teach(first);
    await b.teach(third);
    expect(differingFloats(await valuesOf(a.model), await valuesOf(b.model))).toBe(0);

    // The same undo with the counts left as the learner kept them (the second fact's rows still counted) differs:
    // the counts are what the check above is about.
    const stale = fresh(0, 1);
    await stale.teach(first);
    const s2 = await stale.teach(second);
    await stale.teach(third);
    await stale.taught.undo(stale.model, s2.id, (entry) => stale.step(entry.fact, entry, false), baseOf(base, Dv));
    expect(differingFloats(await valuesOf(stale.model), await valuesOf(b.model))).toBeGreaterThan(0);

    // A reload: a new learner on the taught table counts from the list and teaches the third fact as the old one.
    const c = fresh(0, 1);
    const d = fresh(0, 1);
    for (const x of [c, d]) {
      await x.teach(first);
      await x.teach(second);
    }
    d.reload();
    await c.teach(third);
    await d.teach(third);
    expect(differingFloats(await valuesOf(c.model), await valuesOf(d.model))).toBe(0);
    expect(c.taught.writtenBefore().map((w) => [w.subject, w.slots.length])).toEqual(c.taught.entries.map((e) => [e.fact.subject, e.after.slots.length]));
  }, 300_000);
});
