/**
 * The row-chain check (src/worker/stored-fact-check.ts) on records made the way the engine makes them, with the
 * real sparse learner: an honest history, an undo included, must pass untouched, an unsaved undo must not,
 * and replaying what passes must rebuild the taught table bit for bit.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { nSlots } from '../../src/model/config';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { buildTeachingBatch } from '../../src/learn/teaching-batch';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import type { Fact } from '../../src/facts/fact';
import { checkStoredFacts, slotsToCompare } from '../../src/worker/stored-fact-check';
import { TaughtFacts, type TaughtFact } from '../../src/worker/taught-facts';
import { backgroundOf } from '../../src/learn/tfidf';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let facts: Fact[];
const models: EngramModel[] = [];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
  // Facts about one subject read overlapping slots, so later facts' before rows hold earlier facts' after rows.
  const subject = invented[0].subject;
  facts = invented.filter((f) => f.subject === subject).slice(0, 3);
  if (facts.length < 3) facts = invented.slice(0, 3);
}, 60_000);

afterAll(() => models.forEach((m) => m.dispose()));

function freshModel(): EngramModel {
  const model = EngramModel.fromCheckpoint(ckpt);
  models.push(model);
  return model;
}

async function readRows(model: EngramModel, slots: Int32Array): Promise<Float32Array> {
  const rows = tf.tidy(() => tf.gather(model.values!, tf.tensor1d(slots, 'int32')));
  const data = (await rows.data()) as Float32Array;
  rows.dispose();
  return data;
}

/** One learning step recorded as engine.ts step() records it. */
function stepper(model: EngramModel) {
  const background = backgroundOf(ckpt);
  const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10 });
  return async (fact: Fact) => {
    const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, paraphrases: 8 }));
    const after = { slots: report.undo.slots, rows: await readRows(model, report.undo.slots) };
    return { before: report.undo, after, step: { method: 'sparse' as const, loss: report.loss, ms: report.ms, paramsTouched: report.paramsTouched } };
  };
}

/** What IndexedDB would hand back: a structured clone of each record as FactStore.put writes it. */
function stored(entries: readonly TaughtFact[]): unknown[] {
  return entries.map((e) => structuredClone({ id: e.id, prev: e.prev, fact: e.fact, origin: e.origin, before: e.before, after: e.after, step: e.step }));
}

/** The pretrained rows of every slot the records read, as the engine hands them to the check. */
async function pretrainedRows(base: EngramModel, records: readonly unknown[]): Promise<Map<number, Float32Array>> {
  const shape = { slots: nSlots(base.cfg), valueDim: base.cfg.valueDim };
  const slots = slotsToCompare(records, shape);
  const rows = await readRows(base, slots);
  const Dv = shape.valueDim;
  return new Map(Array.from(slots, (slot, u) => [slot, rows.subarray(u * Dv, (u + 1) * Dv)]));
}

describe('stored facts from the real learner', () => {
  it('an honest history passes, an unsaved undo is caught, and the restored facts rebuild the table bit for bit', async () => {
    const model = freshModel();
    const base = freshModel();
    const step = stepper(model);
    const taught = new TaughtFacts();
    for (const fact of facts) taught.add({ fact, origin: 'typed', ...(await step(fact)) });
    const shape = { slots: nSlots(model.cfg), valueDim: model.cfg.valueDim };
    const shared = [...taught.changedSlots().values()].filter((ids) => ids.length > 1).length;
    expect(shared).toBeGreaterThan(0); // otherwise the chain check would have nothing to compare

    const saved = stored(taught.entries);
    const full = checkStoredFacts(saved, shape, await pretrainedRows(base, saved));
    expect(full.damaged).toEqual([]);
    expect(full.restored.map((f) => f.id)).toEqual([1, 2, 3]);

    // Undo the first fact: the later ones are taught again on the table without it (engine.ts undo()).
    await taught.undo(model, 1, (entry) => step(entry.fact));
    const savedAfterUndo = stored(taught.entries);
    const afterUndo = checkStoredFacts(savedAfterUndo, shape, await pretrainedRows(base, savedAfterUndo));
    expect(afterUndo.damaged).toEqual([]);
    expect(afterUndo.restored.map((f) => f.id)).toEqual([2, 3]);

    // The page closed after the undo deleted fact 1 but before the replayed facts were saved: the store holds
    // facts 2 and 3 as taught on top of fact 1, which only the pretrained rows can show.
    const unsavedRecords = saved.slice(1);
    const unsaved = checkStoredFacts(unsavedRecords, shape, await pretrainedRows(base, unsavedRecords));
    expect(unsaved.restored).toEqual([]);
    expect(unsaved.damaged.map((d) => d.id)).toEqual([2]);
    expect(unsaved.heldBack.map((f) => f.id)).toEqual([3]);
    // Fact 2 still names fact 1 as the one before it, so the gap shows without the pretrained rows too; after
    // the undo it names none (it is the first), which is why the saved history above passed.
    expect(checkStoredFacts(unsavedRecords, shape).damaged.map((d) => d.reason)).toEqual([expect.stringMatching(/fact #1, taught just before it, is missing/)]);
    expect(taught.entries.map((e) => e.prev)).toEqual([0, 2]);

    const again = new TaughtFacts();
    for (const entry of afterUndo.restored) again.add(entry);
    again.replayRows(base);
    const [a, b] = [Float32Array.from(await model.values!.data()), Float32Array.from(await base.values!.data())];
    let differing = 0;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) differing++;
    expect(differing).toBe(0);
  }, 120_000);
});
