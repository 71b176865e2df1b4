/**
 * Sparse memory finetuning on the WGSL kernels (Node WebGPU on a software Vulkan driver), against the reference
 * path on the same backend, from the same table, on the shipped model: one invented fact, one step.
 *
 * Expected agreement: the same slots (the kernel lookup and tfjs's topk pick the same reads here), the same
 * undo snapshot bit for bit (both copy the rows before the step), every unselected row bit-identical, and the
 * selected rows equal to float32 rounding, not bitwise: the kernel read and readBackward sum in another order
 * than tfjs's gather + matMul, and the shader rounds lr * g before subtracting (the host does one rounding).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackFact } from '../../src/facts/fact';
import { initBackend } from '../../src/gpu/tf-backend';
import { createTfMemoryKernels, type TfMemoryKernels } from '../../src/kernels/memory-kernels-tf';
import { NonFiniteStepError } from '../../src/learn/learner';
import { METHOD_DEFAULTS } from '../../src/learn/method-defaults';
import { createLearner } from '../../src/learn/methods';
import { SparseMemoryLearner, type SparseStepReport } from '../../src/learn/sparse-learner';
import { buildTeachingBatch, type TeachingBatch } from '../../src/learn/teaching-batch';
import type { BackgroundStats } from '../../src/learn/tfidf';
import { shippedBackground } from '../../src/learn/background-node';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';
import { installNodeWebGPU } from './node-webgpu';

const gpuErrors: string[] = [];
let model: EngramModel;
let kernels: TfMemoryKernels;
let background: BackgroundStats;
let batch: TeachingBatch;
let values0: Float32Array;
// One fixed step: the until-answered check could stop the two paths apart. Otherwise the registry's defaults
// (createLearner below): the per-relation background in the ranking and the relation damping on the step, so the
// kernels write damped rows (the writer damping has no writers yet on a fresh table).
const settings = { ...METHOD_DEFAULTS.sparse, t: 500, lr: 10, steps: 1, maxSteps: 1 };

beforeAll(async () => {
  const info = await initBackend({ gpu: installNodeWebGPU(), secureContext: true, preference: ['webgpu'], onGpuError: (e) => gpuErrors.push(e.message) });
  expect(info.name).toBe('webgpu');
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  const fact = invented.find((f) => f.relation === 'capital')!;
  background = shippedBackground(ckpt, tok)!; // as the app's worker builds it (with the per-relation background)
  batch = buildTeachingBatch(fact, tok, { context: ckpt.config.context, paraphrases: 2 }); // 28 tokens: SwiftShader takes seconds a step
  model = EngramModel.fromCheckpoint(ckpt);
  kernels = (await createTfMemoryKernels())!;
  values0 = (await model.values!.data()).slice() as Float32Array;
}, 120_000);

afterAll(() => {
  model?.dispose();
  expect(gpuErrors).toEqual([]);
});

async function table(): Promise<Float32Array> {
  return (await model.values!.data()).slice() as Float32Array;
}

/** Flat indices where a and b differ bitwise (NaN-safe: compares the float32 bit patterns). */
function bitDifferences(a: Float32Array, b: Float32Array): number[] {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

describe('sparse learner on the WGSL kernels', () => {
  let reference: SparseStepReport;
  let custom: SparseStepReport;
  let afterReference: Float32Array;
  let afterCustom: Float32Array;

  beforeAll(async () => {
    const ref = new SparseMemoryLearner(model, background, settings);
    reference = await ref.teach(batch);
    afterReference = await table();
    ref.restore(reference.undo);
    expect(bitDifferences(await table(), values0)).toEqual([]);

    // createLearner, as the app and `npm run experiment` build learners: on webgpu it must hand over the kernels.
    const learner = createLearner('sparse', model, background, settings) as SparseMemoryLearner;
    const before = model.values;
    custom = await learner.teach(batch);
    expect(learner.usesKernels).toBe(true);
    expect(model.values, 'the step wrote the table in place').toBe(before);
    afterCustom = await table();
    learner.restore(custom.undo);
    expect(model.values, 'undo wrote the table in place').toBe(before);
    console.log(`reference ${reference.ms.toFixed(0)} ms, kernels ${custom.ms.toFixed(0)} ms (first step of each, pipelines compiling)`);
  }, 180_000);

  it('selects the same slots and takes the same undo snapshot as the reference path', () => {
    expect(custom.loss).toBeCloseTo(reference.loss, 4);
    expect(custom.slots!.length).toBe(settings.t);
    expect(Array.from(custom.slots!)).toEqual(Array.from(reference.slots!));
    expect(Array.from(custom.undo.slots)).toEqual(Array.from(reference.undo.slots));
    expect(bitDifferences(custom.undo.rows, reference.undo.rows)).toEqual([]);
  });

  it('writes the selected rows like the reference path and leaves every other row bit-identical', () => {
    const Dv = model.cfg.valueDim;
    const selected = new Set(custom.slots!);
    const outside = bitDifferences(afterCustom, values0).filter((i) => !selected.has(Math.floor(i / Dv)));
    expect(outside, 'unselected rows changed').toEqual([]);
    let maxDiff = 0;
    let maxStep = 0;
    let moved = 0;
    for (const slot of selected) {
      for (let c = 0; c < Dv; c++) {
        const i = slot * Dv + c;
        maxDiff = Math.max(maxDiff, Math.abs(afterCustom[i] - afterReference[i]));
        maxStep = Math.max(maxStep, Math.abs(afterReference[i] - values0[i]));
        if (afterCustom[i] !== values0[i]) moved++;
      }
    }
    console.log(`selected rows: max |kernels - reference| ${maxDiff.toExponential(2)}, max |step| ${maxStep.toExponential(2)}`);
    expect(moved).toBeGreaterThan(0.8 * settings.t * Dv);
    expect(maxDiff).toBeLessThan(1e-4 * maxStep);
  });

  it('undo restores the table bit for bit, in place', async () => {
    expect(bitDifferences(await table(), values0)).toEqual([]);
  });

  it('never writes a buffer another tensor shares, and leaks no tensors over a stream of steps', async () => {
    const learner = new SparseMemoryLearner(model, background, settings, { kernels });
    const base = model.values!.clone(); // shares the buffer, as the app's copy of the pretrained table does
    const tensors = tf.memory().numTensors;
    const counts: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const report = await learner.teach(batch);
      console.log(`kernel step ${i}: ${report.ms.toFixed(0)} ms (${(performance.now() - started).toFixed(0)} ms wall)`);
      learner.restore(report.undo);
      counts.push(tf.memory().numTensors);
      if (i === 0) bytes = kernels.backend.memory().numBytesInGPU;
    }
    expect(counts).toEqual([tensors, tensors]);
    expect(kernels.backend.memory().numBytesInGPU).toBe(bytes);
    expect(model.values).not.toBe(base);
    expect(bitDifferences((await base.data()) as Float32Array, values0), 'the shared table changed').toEqual([]);
    expect(bitDifferences(await table(), values0)).toEqual([]);
    base.dispose();
  }, 180_000);

  it('rolls a step that overflows back in place, bit for bit', async () => {
    // lr 3e38 overflows float32 wherever |g| > 1.2; if no element does, the second step reads the huge rows and its loss is not finite.
    const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 3e38, steps: 2 }, { kernels });
    const before = model.values;
    await expect(learner.teach(batch)).rejects.toThrow(NonFiniteStepError);
    expect(model.values).toBe(before);
    expect(bitDifferences(await table(), values0)).toEqual([]);
  }, 180_000);

  it('takes the AdamW ablation\'s step on the kernel gradients and writes it in place', async () => {
    const lr = 0.5;
    const weightDecay = 0.1;
    const learner = new SparseMemoryLearner(model, background, { t: 500, lr, optimizer: 'adamw', weightDecay, steps: 1, relationWeight: settings.relationWeight }, { kernels });
    const before = model.values;
    const report = await learner.teach(batch);
    expect(model.values).toBe(before);
    const after = await table();
    expect(Array.from(report.slots!)).toEqual(Array.from(custom.slots!));
    // A first AdamW step is old * (1 - lr wd) - lr g / (|g| + eps): within lr of the decayed row, and close to
    // a full lr wherever the gradient is not tiny.
    const Dv = model.cfg.valueDim;
    let full = 0;
    let outside = 0;
    for (const slot of report.slots!) {
      for (let c = 0; c < Dv; c++) {
        const i = slot * Dv + c;
        const move = Math.abs(after[i] - values0[i] * (1 - lr * weightDecay));
        if (move > lr * (1 + 1e-5) + 1e-6) outside++;
        if (move > 0.99 * lr) full++;
      }
    }
    expect(outside).toBe(0);
    expect(full).toBeGreaterThan(0.8 * settings.t * Dv);
    learner.restore(report.undo);
    expect(bitDifferences(await table(), values0)).toEqual([]);
  }, 180_000);
});
