/**
 * The paper's baselines on the shipped model, on the wasm backend (what the app falls back to without WebGPU):
 * full finetuning and LoRA each teach an invented fact and raise its answer log-probability on the eval-only
 * question (never in the teaching batch); LoRA leaves every base tensor bit-identical (and dispose() gives the
 * base model back); full finetuning moves the dense weights and the value table; no tensor leaks across facts.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackFact } from '../../src/facts/fact';
import { FullFinetuneLearner } from '../../src/learn/full-finetune-learner';
import type { Learner, StepReport } from '../../src/learn/learner';
import { LoraLearner } from '../../src/learn/lora-learner';
import { buildTeachingBatch, evalProbes, type ProbeItem, type TeachingBatch } from '../../src/learn/teaching-batch';
import { scoreAnswers } from '../../src/model/answers';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';

let ckpt: Checkpoint;
let fact: PackFact;
let question: ProbeItem;
let warmUp: TeachingBatch;
let batch: TeachingBatch;

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  fact = invented.find((f) => f.relation === 'capital')!;
  const other = invented.find((f) => f.relation === 'occupation' && f.subject !== fact.subject)!;
  question = evalProbes(fact, tok).filter((p) => p.templateId.endsWith('/q-eval'))[0];
  batch = buildTeachingBatch(fact, tok, { context: ckpt.config.context, paraphrases: 8 });
  warmUp = buildTeachingBatch(other, tok, { context: ckpt.config.context, paraphrases: 8 });
}, 60_000);

afterAll(async () => {
  await tf.setBackend('cpu');
});

async function hostCopies(model: EngramModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of model.parameters()) out.set(name, Float32Array.from((await t.data()) as Float32Array));
  return out;
}

function changedCount(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

interface Run {
  model: EngramModel;
  learner: Learner;
  before: Map<string, Float32Array>;
  /** The base model's answer log-probability, before any teaching. */
  logprobBase: number;
  logprobBefore: number;
  logprobAfter: number;
  report: StepReport;
  tensorsAfterWarmUp: number;
  tensorsAfterFact: number;
}

/** Warm-up fact (optimizer state, cached masks), then the fact under test; tensors counted after each. */
async function teach(makeLearner: (model: EngramModel) => Learner): Promise<Run> {
  const model = EngramModel.fromCheckpoint(ckpt);
  const learner = makeLearner(model);
  const before = await hostCopies(model);
  const logprobBase = (await scoreAnswers(model, [question]))[0].logprob;
  await learner.teach(warmUp);
  // The model caches one causal mask per sequence length it has seen; those are not leaks.
  const tensorsAfterWarmUp = tf.memory().numTensors - model.cachedMaskCount;
  const logprobBefore = (await scoreAnswers(model, [question]))[0].logprob;
  const report = await learner.teach(batch);
  const tensorsAfterFact = tf.memory().numTensors - model.cachedMaskCount;
  const logprobAfter = (await scoreAnswers(model, [question]))[0].logprob;
  return { model, learner, before, logprobBase, logprobBefore, logprobAfter, report, tensorsAfterWarmUp, tensorsAfterFact };
}

describe('full finetuning (AdamW, wd 0.1, every parameter)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await teach((model) => new FullFinetuneLearner(model, { lr: 1e-3 }));
  }, 120_000);
  afterAll(() => {
    run?.learner.dispose();
    run?.model.dispose();
  });

  it('raises the eval-only answer log-probability of the taught fact', () => {
    // Measured: -38.8 -> about -18 nats (lr 1e-3, one step, 8 paraphrases).
    expect(run.logprobBefore).toBeLessThan(-20);
    expect(run.logprobAfter - run.logprobBefore).toBeGreaterThan(8);
  });

  it('moves the dense weights and the value table, and reports every parameter as touched', async () => {
    const after = await hostCopies(run.model);
    let total = 0;
    for (const [name, was] of run.before) {
      total += was.length;
      const changed = changedCount(was, after.get(name)!);
      // Weight decay alone moves every non-zero element; the gradient moves the rest of the read rows.
      expect(changed, `${name} did not change`).toBeGreaterThan(was.length / 2);
    }
    expect(run.report.method).toBe('full');
    expect(run.report.paramsTouched).toBe(total);
    expect(Number.isFinite(run.report.loss) && run.report.loss > 0).toBe(true);
  });

  it('leaks no tensor across facts', () => {
    expect(run.tensorsAfterFact).toBe(run.tensorsAfterWarmUp);
  });
});

describe('LoRA (rank 8 on attention and the memory layer\'s dense matrices)', () => {
  let run: Run;
  let lora: LoraLearner;
  beforeAll(async () => {
    run = await teach((model) => (lora = new LoraLearner(model, { lr: 1e-2, steps: 4 })));
  }, 120_000);
  afterAll(() => {
    run?.learner.dispose();
    run?.model.dispose();
  });

  it('raises the eval-only answer log-probability of the taught fact', () => {
    expect(run.logprobBefore).toBeLessThan(-20);
    expect(run.logprobAfter - run.logprobBefore).toBeGreaterThan(8);
  });

  it('adapts qkv and proj in every block and the memory query, w1, w2; trains only the adapters', () => {
    const cfg = run.model.cfg;
    const expected = [
      ...Array.from({ length: cfg.nLayers }, (_, i) => [`blocks.${i}.attn.qkv`, `blocks.${i}.attn.proj`]).flat(),
      ...cfg.memoryLayers.flatMap((i) => [`blocks.${i}.mem.query.weight`, `blocks.${i}.mem.w1`, `blocks.${i}.mem.w2`]),
    ];
    expect([...lora.targets].sort()).toEqual(expected.sort());
    let adapterFloats = 0;
    for (const t of lora.adapterWeights().values()) adapterFloats += t.size;
    expect(run.report.paramsTouched).toBe(adapterFloats);
    expect(run.report.method).toBe('lora');
  });

  it('leaves every base tensor bit-identical', async () => {
    const after = await hostCopies(run.model);
    for (const [name, was] of run.before) expect(changedCount(was, after.get(name)!), name).toBe(0);
  });

  it('leaks no tensor across facts', () => {
    expect(run.tensorsAfterFact).toBe(run.tensorsAfterWarmUp);
  });

  it('dispose() takes the adapters out: the model answers as the base model again', async () => {
    const withoutAdapters = (await scoreAnswers(run.model, [question], { adapters: null }))[0].logprob;
    expect(withoutAdapters).toBe(run.logprobBase);
    run.learner.dispose();
    expect(run.model.adapters).toBeNull();
    const afterDispose = (await scoreAnswers(run.model, [question]))[0].logprob;
    expect(afterDispose).toBe(run.logprobBase);
    expect(afterDispose).toBeLessThan(run.logprobAfter - 8);
  });
});

describe('LoRA with a value-table adapter (the race default: SGD, value adapter rank 32)', () => {
  let run: Run;
  let lora: LoraLearner;
  beforeAll(async () => {
    run = await teach((model) => (lora = new LoraLearner(model, { lr: 1e-5, optimizer: 'sgd', valueRank: 32, valueLr: 0.1, steps: 4 })));
  }, 120_000);
  afterAll(() => {
    run?.learner.dispose();
    run?.model.dispose();
  });

  it('raises the eval-only answer log-probability of the taught fact', () => {
    expect(run.logprobBefore).toBeLessThan(-20);
    expect(run.logprobAfter - run.logprobBefore).toBeGreaterThan(8);
  });

  it('adds a value-table adapter [N, r] x [r, Dv] beside the linear ones, and counts its floats', () => {
    const weights = lora.adapterWeights();
    const [N, Dv] = run.model.values!.shape;
    expect(weights.get('mem_values.A')!.shape).toEqual([N, 32]);
    expect(weights.get('mem_values.B')!.shape).toEqual([32, Dv]);
    let adapterFloats = 0;
    for (const t of weights.values()) adapterFloats += t.size;
    expect(run.report.paramsTouched).toBe(adapterFloats);
    expect(lora.label).toContain('values r=32');
  });

  it('writes codes only for value rows the batches read; the value table itself stays bit-identical', async () => {
    const codes = (await lora.adapterWeights().get('mem_values.A')!.data()) as Float32Array;
    const r = 32;
    const written = new Set<number>();
    for (let row = 0; row < codes.length / r; row++) {
      for (let j = 0; j < r; j++) if (codes[row * r + j] !== 0) written.add(row);
    }
    // The rows the batches read with the base query and with the trained adapters: the query's own adapter moves
    // the lookup a little, and on a 512 x 512 key grid a near-tie in the top-k can flip between the two.
    const read = new Set<number>();
    for (const b of [warmUp, batch]) {
      for (const adapters of [null, undefined]) {
        const tokens = tf.tensor2d(b.tokens, [b.B, b.T], 'int32');
        const result = run.model.forward(tokens, adapters === null ? { adapters: null } : {});
        for (const layer of result.reads) for (const id of (await layer.ids.data()) as Int32Array) read.add(id);
        tf.dispose([tokens, result.logits, ...result.reads.flatMap((x) => [x.ids, x.weights])]);
      }
    }
    expect(written.size).toBeGreaterThan(100);
    for (const row of written) expect(read.has(row), `row ${row} was written but never read`).toBe(true);
    const after = await hostCopies(run.model);
    for (const [name, was] of run.before) expect(changedCount(was, after.get(name)!), name).toBe(0);
  });

  it('starts as the base model: with untrained codes the adapters change no answer', async () => {
    const model = EngramModel.fromCheckpoint(ckpt);
    const fresh = new LoraLearner(model, { lr: 1e-5, optimizer: 'sgd', valueRank: 32, valueLr: 0.1 });
    const withAdapters = (await scoreAnswers(model, [question]))[0].logprob;
    const without = (await scoreAnswers(model, [question], { adapters: null }))[0].logprob;
    fresh.dispose();
    model.dispose();
    expect(withAdapters).toBe(without);
  });

  it('leaks no tensor across facts', () => {
    expect(run.tensorsAfterFact).toBe(run.tensorsAfterWarmUp);
  });
});
