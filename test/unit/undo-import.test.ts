/**
 * The engine's undo and patch import (src/worker/undo.ts, src/worker/patch-io.ts) on the real parts: the model
 * and learner (MainModel, wasm), the taught-facts log, the store (FactPersistence on fake-indexeddb). An undo
 * whose replay fails changes nothing: table, list and store; a patch of facts that share slots imports each
 * fact's own rows, so undoing the later one gives exactly the table of importing only the earlier.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import type { Fact, PackFact } from '../../src/facts/fact';
import type { EarlierFacts } from '../../src/learn/teaching-batch';
import type { EngineParts } from '../../src/worker/engine-parts';
import { EvaluationScheduler } from '../../src/worker/evaluation-scheduler';
import { FactPersistence } from '../../src/worker/fact-persistence';
import { MainModel } from '../../src/worker/main-model';
import { knownFactsFor } from '../../src/learn/relation-background';
import { exportFacts, importPatch } from '../../src/worker/patch-io';
import type { EngineEvent } from '../../src/worker/protocol';
import { SerialQueue } from '../../src/worker/serial-queue';
import { DEFAULT_SETTINGS } from '../../src/worker/settings';
import { describeFact, TaughtFacts } from '../../src/worker/taught-facts';
import { teachFact } from '../../src/worker/teaching';
import { undoFact } from '../../src/worker/undo';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
let facts: PackFact[];
let known: Fact[];
const models: EngramModel[] = [];
let stores = 0;

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  // Facts about one subject read overlapping slots.
  facts = invented.filter((f) => f.subject === invented[0].subject).slice(0, 3);
  // As the engine passes them: the pretrained facts less the retention probe's.
  const jsonl = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
  known = knownFactsFor(jsonl('public/data/kb.jsonl'), jsonl('public/data/retention-probe.jsonl'));
}, 60_000);

afterAll(() => models.forEach((m) => m.dispose()));

/** The engine's parts as engine.ts builds them, on a fresh pretrained model and a store of its own. */
async function engineParts() {
  const model = EngramModel.fromCheckpoint(ckpt);
  models.push(model);
  const main = new MainModel({ ...DEFAULT_SETTINGS, steps: 1 });
  main.attach({ checkpoint: ckpt, tokenizer: tok, model, dataUrl: 'http://localhost/' }, known);
  const events: EngineEvent[] = [];
  const post = (event: EngineEvent) => void events.push(event);
  const taught = new TaughtFacts();
  const saver = new FactPersistence(post);
  await saver.open(`engram-undo-import-${++stores}`);
  expect(saver.saving).toBe(true);
  // No evaluation context: evaluate() returns at once, as before the probes are loaded.
  const metrics = new EvaluationScheduler(post, main, taught, new SerialQueue(), () => post(taught.factsEvent()));
  const parts: EngineParts = { post, main, taught, saver, metrics };
  const teach = async (some: readonly PackFact[]) => {
    for (const fact of some) await teachFact(parts, fact, fact.pack);
  };
  const stored = async () => (await saver.load(main.modelSha, main.shape, describeFact)).facts ?? [];
  return { parts, main, taught, saver, events, teach, stored };
}

async function valuesOf(main: MainModel): Promise<Float32Array> {
  return Float32Array.from(await main.model.values!.data());
}

function differingFloats(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function sharedSlots(taught: TaughtFacts): number {
  return [...taught.changedSlots().values()].filter((ids) => ids.length > 1).length;
}

describe('undo is all or nothing', () => {
  it('a replay that throws leaves the table bit for bit, the list and the store as before, and says so', async () => {
    const a = await engineParts();
    await a.teach(facts);
    expect(sharedSlots(a.taught)).toBeGreaterThan(0);
    const table = await valuesOf(a.main);
    const list = a.taught.entries.map((e) => ({ entry: e, id: e.id, prev: e.prev, after: e.after, step: e.step }));
    const storedBefore = await a.stored();
    const tensors = tf.memory().numTensors;

    // Undo the first fact: the second is taught again (its rows and the table change), then the third's step fails.
    const step = a.main.step.bind(a.main);
    let calls = 0;
    a.main.step = async (fact: Fact, earlier: EarlierFacts, written: readonly { subject: string; slots: Int32Array }[]) => {
      if (++calls === 2) throw new Error('injected failure');
      return step(fact, earlier, written);
    };
    await undoFact(a.parts, a.taught.entries[0].id);
    expect(calls).toBe(2);

    expect(differingFloats(await valuesOf(a.main), table)).toBe(0);
    expect(a.taught.entries.map((e) => ({ entry: e, id: e.id, prev: e.prev, after: e.after, step: e.step }))).toEqual(list);
    a.taught.entries.forEach((e, i) => expect(e.after).toBe(list[i].after));
    const storedAfter = await a.stored();
    expect(storedAfter.map((e) => [e.id, e.prev, Array.from(e.after.slots)])).toEqual(storedBefore.map((e) => [e.id, e.prev, Array.from(e.after.slots)]));
    storedAfter.forEach((e, i) => expect(differingFloats(e.after.rows, storedBefore[i].after.rows)).toBe(0));
    expect(a.events).toContainEqual({ type: 'notice', message: expect.stringMatching(/^Fact #1 could not be undone \(injected failure\)\. Nothing changed/) });
    expect(tf.memory().numTensors).toBe(tensors); // the table kept aside is not leaked

    // And the list is still right: the same undo, without the failure, equals never teaching the fact.
    a.main.step = step;
    await undoFact(a.parts, a.taught.entries[0].id);
    const b = await engineParts();
    await b.teach(facts.slice(1));
    expect(differingFloats(await valuesOf(a.main), await valuesOf(b.main))).toBe(0);
    expect((await a.stored()).map((e) => e.id)).toEqual([2, 3]);
  }, 300_000);
});

describe('patch import of facts that share slots', () => {
  it('undoing the later imported fact gives the table of importing only the earlier one, bit for bit; import writes the table once', async () => {
    const a = await engineParts();
    await a.teach(facts.slice(0, 2));
    expect(sharedSlots(a.taught)).toBeGreaterThan(0);
    const exported = async (ids: number[]) => {
      await exportFacts(a.parts, ids);
      const event = [...a.events].reverse().find((e) => e.type === 'exported');
      if (event?.type !== 'exported') throw new Error('nothing exported');
      return event.bytes;
    };
    const both = await exported([1, 2]);
    const first = await exported([1]);

    const b = await engineParts();
    let writes = 0;
    let values = b.main.model.values;
    Object.defineProperty(b.main.model, 'values', {
      configurable: true,
      get: () => values,
      set: (next) => {
        writes++;
        values = next;
      },
    });
    await importPatch(b.parts, both, 'both.engram');
    expect(writes).toBe(1);
    expect(b.taught.size).toBe(2);
    expect(differingFloats(await valuesOf(b.main), await valuesOf(a.main))).toBe(0); // the exporter's table
    // Each imported fact records exactly the rows its own step left.
    b.taught.entries.forEach((e, i) => expect(differingFloats(e.after.rows, a.taught.entries[i].after.rows)).toBe(0));

    await undoFact(b.parts, b.taught.entries[1].id);
    const c = await engineParts();
    await importPatch(c.parts, first, 'first.engram');
    expect(differingFloats(await valuesOf(b.main), await valuesOf(c.main))).toBe(0);
    expect((await b.stored()).map((e) => e.fact.object)).toEqual([facts[0].object]);
  }, 300_000);
});
