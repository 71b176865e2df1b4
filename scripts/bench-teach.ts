/**
 * Whole teach() calls on the shipped model for `npm run bench`: the sparse learner on the WGSL kernels against
 * the same learner on its reference path (tf ops, sparseRowGradient, host SGD, tensorScatterUpdate copying the
 * table), on the active backend, with the registry's 'sparse' settings and the app's batch of 8 paraphrases.
 * Each path teaches the same facts from the same table (every fact is undone before the next); fact 0 is a
 * warm-up (tfjs compiles its programs per shape), the rest are timed. Imported once WebGPU is up.
 * scripts/bench-teach-methods.ts times the methods against each other instead (sparse, full, LoRA; wasm in Node).
 */
import { readFileSync } from 'node:fs';
import type { PackFact } from '../src/facts/fact';
import type { TfMemoryKernels } from '../src/kernels/memory-kernels-tf';
import { methodSpec } from '../src/learn/methods';
import { SparseMemoryLearner, type SparseSettings, type SparseStepReport } from '../src/learn/sparse-learner';
import { buildTeachingBatch } from '../src/learn/teaching-batch';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { loadTokenizer } from '../src/model/tokenizer';
import { EngramModel } from '../src/model/transformer';
import { backgroundOf } from '../src/learn/tfidf';

/** The app's default teaching batch (src/worker/settings.ts). */
const PARAPHRASES = 8;

export interface TeachTimings {
  /** Per timed fact, milliseconds per teach(). */
  custom: number[];
  reference: number[];
  /** Mean tokens per teaching batch (B x T, pads included). */
  tokens: number;
  N: number;
  /** Timed facts on which both paths wrote the same rows. */
  sameRows: number;
  settings: SparseSettings;
}

export async function benchTeach(kernels: TfMemoryKernels, timedFacts: number): Promise<TeachTimings> {
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const pack = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  if (pack.length < timedFacts + 1) throw new Error(`bench: the invented pack has ${pack.length} facts, ${timedFacts + 1} needed`);
  const background = backgroundOf(ckpt);
  const { t, lr, steps } = methodSpec('sparse').defaults;
  const settings: SparseSettings = { t: t!, lr: lr!, steps };
  const model = EngramModel.fromCheckpoint(ckpt);
  const paths = {
    custom: new SparseMemoryLearner(model, background, settings, { kernels }),
    reference: new SparseMemoryLearner(model, background, settings),
  };
  const out: TeachTimings = { custom: [], reference: [], tokens: 0, N: model.values!.shape[0], sameRows: 0, settings };
  try {
    for (let f = 0; f <= timedFacts; f++) {
      const batch = buildTeachingBatch(pack[f], tok, { context: model.cfg.context, paraphrases: PARAPHRASES });
      // Alternate which path goes first, so neither always inherits the other's warm buffer pool.
      const order = f % 2 === 0 ? (['custom', 'reference'] as const) : (['reference', 'custom'] as const);
      const slots: Record<string, string> = {};
      for (const path of order) {
        const report = (await paths[path].teach(batch)) as SparseStepReport;
        paths[path].restore(report.undo);
        slots[path] = Array.from(report.undo.slots).join();
        if (f > 0) out[path].push(report.ms);
      }
      if (f > 0) {
        out.tokens += (batch.B * batch.T) / timedFacts;
        if (slots.custom === slots.reference) out.sameRows++;
      }
    }
  } finally {
    model.dispose();
  }
  out.tokens = Math.round(out.tokens);
  return out;
}
