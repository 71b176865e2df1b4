/**
 * GPU errors in our own kernels' submissions (src/gpu/error-scopes.ts): each submission runs inside error
 * scopes, so a rejected one becomes a KernelError naming the kernel instead of an uncaptured error, and the
 * sparse learner rolls the fact back (rows it already wrote restored bit for bit). Faults are injected through
 * the test hook `injectKernelFault`: a dispatch with no pipeline set, or a buffer destroyed before the submit.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PackFact } from '../../src/facts/fact';
import { encodeKernelFault, injectKernelFault } from '../../src/gpu/error-scopes';
import { KernelError } from '../../src/gpu/gpu-errors';
import { initBackend } from '../../src/gpu/tf-backend';
import { createTfMemoryKernels, type TfMemoryKernels } from '../../src/kernels/memory-kernels-tf';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import { buildTeachingBatch, type TeachingBatch } from '../../src/learn/teaching-batch';
import type { BackgroundStats } from '../../src/learn/tfidf';
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

beforeAll(async () => {
  const info = await initBackend({ gpu: installNodeWebGPU(), secureContext: true, preference: ['webgpu'], onGpuError: (e) => gpuErrors.push(e.message) });
  expect(info.name).toBe('webgpu');
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  const fact = invented.find((f) => f.relation === 'capital')!;
  background = { df: Uint32Array.from(ckpt.backgroundDf!), numBatches: ckpt.manifest.background!.batches };
  batch = buildTeachingBatch(fact, tok, { context: ckpt.config.context, paraphrases: 1 });
  model = EngramModel.fromCheckpoint(ckpt);
  kernels = (await createTfMemoryKernels())!;
  values0 = (await model.values!.data()).slice() as Float32Array;
}, 120_000);

afterEach(() => injectKernelFault(null));

afterAll(() => {
  model?.dispose();
  expect(gpuErrors).toEqual([]);
});

/** Lets Dawn deliver any pending uncapturederror events. */
async function settle(): Promise<void> {
  await kernels.backend.device.queue.onSubmittedWorkDone();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

async function table(): Promise<Float32Array> {
  return (await model.values!.data()).slice() as Float32Array;
}

/** Flat indices where a and b differ bitwise. */
function bitDifferences(a: Float32Array, b: Float32Array): number[] {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

async function teachExpectingKernelError(learner: SparseMemoryLearner): Promise<KernelError> {
  const error = await learner.teach(batch).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KernelError);
  return error as KernelError;
}

describe('kernel submissions inside error scopes', () => {
  it('an injected fault outside any scope reaches uncapturederror (so the checks below can see one)', async () => {
    const device = kernels.backend.device;
    const encoder = device.createCommandEncoder();
    encodeKernelFault(device, encoder, 'probe', 'invalid-dispatch');
    device.queue.submit([encoder.finish()]);
    await settle();
    // Two: the encoder's (no pipeline set) and the submit's (an invalid command buffer).
    expect(gpuErrors.some((message) => message.includes('probe.injected-fault'))).toBe(true);
    gpuErrors.length = 0;
  });

  it('a rejected sparse update in the second step: KernelError naming it, both steps rolled back bit for bit', async () => {
    const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10, steps: 2 }, { kernels });
    const before = model.values;
    injectKernelFault({ kernel: 'sparse-update', mode: 'invalid-dispatch', skip: 1 }); // the first step's update runs
    const error = await teachExpectingKernelError(learner);
    expect(error.kernel).toBe('sparse-update');
    expect(error.errorType).toBe('validation');
    expect(error.kind).toBe('gpu-validation');
    expect(error.message).toContain('"sparse-update"');
    expect(error.gpuMessage.length).toBeGreaterThan(0);
    expect(error.remedy).toMatch(/as it was before this fact/);
    expect(model.values, 'rolled back in place').toBe(before);
    expect(bitDifferences(await table(), values0)).toEqual([]);
    await settle();
    expect(gpuErrors).toEqual([]);
  }, 180_000);

  it('a lookup using a destroyed buffer: KernelError naming it, nothing written, and the next fact is taught normally', async () => {
    const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10, steps: 1 }, { kernels });
    injectKernelFault({ kernel: 'memory-lookup', mode: 'destroyed-buffer' });
    const error = await teachExpectingKernelError(learner);
    expect(error.kernel).toBe('memory-lookup');
    expect(error.errorType).toBe('validation');
    expect(bitDifferences(await table(), values0)).toEqual([]);
    await settle();
    expect(gpuErrors).toEqual([]);

    const report = await learner.teach(batch); // no stale error left in the log
    expect(report.slots!.length).toBe(500);
    expect(bitDifferences(await table(), values0).length).toBeGreaterThan(0);
    learner.restore(report.undo);
    await kernels.checkErrors();
    expect(bitDifferences(await table(), values0)).toEqual([]);
    await settle();
    expect(gpuErrors).toEqual([]);
  }, 180_000);

  it('a rejected read backward in the second step: KernelError naming it, the first step rolled back', async () => {
    const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 10, steps: 2 }, { kernels });
    injectKernelFault({ kernel: 'read-backward', mode: 'destroyed-buffer', skip: 1 });
    const error = await teachExpectingKernelError(learner);
    expect(error.kernel).toBe('read-backward');
    expect(bitDifferences(await table(), values0)).toEqual([]);
    await settle();
    expect(gpuErrors).toEqual([]);
  }, 180_000);

  it('a rejected row write (AdamW writes its rows with writeRows): KernelError naming it, rolled back', async () => {
    const learner = new SparseMemoryLearner(model, background, { t: 500, lr: 0.5, optimizer: 'adamw', steps: 1 }, { kernels });
    injectKernelFault({ kernel: 'write-rows', mode: 'destroyed-buffer' });
    const error = await teachExpectingKernelError(learner);
    expect(error.kernel).toBe('write-rows');
    expect(bitDifferences(await table(), values0)).toEqual([]);
    await settle();
    expect(gpuErrors).toEqual([]);
  }, 180_000);
});
