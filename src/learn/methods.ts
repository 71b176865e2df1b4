/**
 * The methods a stream can be taught with, by id, with their defaults: the one place `npm run experiment` and
 * the app's method race build learners from. Defaults are the calibrated settings recorded in README
 * ("Learning versus forgetting").
 */
import * as tf from '@tensorflow/tfjs';
import type { EngramModel } from '../model/transformer';
import type { TfMemoryKernels } from '../kernels/memory-kernels-tf';
import type { Learner } from './learner';
import { SparseMemoryLearner, type SparseSettings } from './sparse-learner';
import { FullFinetuneLearner } from './full-finetune-learner';
import { LoraLearner } from './lora-learner';
import type { BackgroundStats } from './tfidf';
import { METHOD_DEFAULTS, type MethodSettings } from './method-defaults';

export type { MethodSettings } from './method-defaults';

export const METHOD_IDS = ['sparse', 'sparse-tf', 'sparse-all', 'sparse-stream', 'sparse-adamw', 'full', 'lora'] as const;
export type MethodId = (typeof METHOD_IDS)[number];

export interface MethodSpec {
  readonly id: MethodId;
  readonly family: 'sparse' | 'full' | 'lora';
  readonly description: string;
  readonly defaults: Readonly<MethodSettings>;
  create(model: EngramModel, background: BackgroundStats | null, settings: MethodSettings): Learner;
}

/**
 * On webgpu the sparse methods run on the WGSL memory kernels (in-place row updates, no copy of the table);
 * elsewhere on the reference path. Imported lazily: the kernels load WGSL with ?raw, which plain Node scripts
 * cannot. Pipelines are cached per device, so every learner after the first gets them at once. If they fail
 * to compile, the learner stays on the reference path (same results, slower) and the reason is logged.
 */
function webgpuKernels(): Promise<TfMemoryKernels | null> | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return import('../kernels/memory-kernels-tf')
    .then((m) => m.createTfMemoryKernels())
    .catch((error: unknown) => {
      console.warn(`sparse learner: WGSL memory kernels unavailable, using the reference path: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    });
}

function sparse(id: MethodId, description: string, extra: Partial<SparseSettings>, defaults: MethodSettings): MethodSpec {
  return {
    id,
    family: 'sparse',
    description,
    defaults,
    create: (model, background, s) =>
      new SparseMemoryLearner(model, background, { t: s.t!, lr: s.lr!, steps: s.steps, maxSteps: s.maxSteps, answerProb: s.answerProb, writtenPenalty: s.writtenPenalty, writtenDamping: s.writtenDamping, subjectWriterWeight: s.subjectWriterWeight, dampedSteps: s.dampedSteps, relationWeight: s.relationWeight, relationDamping: s.relationDamping, countOn: s.countOn, weightDecay: s.weightDecay, ...extra }, { kernels: webgpuKernels() }),
  };
}

const registry = new Map<MethodId, MethodSpec>();
for (const spec of [
  sparse('sparse', 'sparse memory finetuning: TF-IDF top-t value rows, SGD', {}, METHOD_DEFAULTS['sparse']),
  sparse('sparse-tf', 'ablation: rank slots by TF only (no background)', { ranking: 'tf' }, METHOD_DEFAULTS['sparse-tf']),
  sparse('sparse-all', 'ablation: every accessed value row', { ranking: 'all' }, METHOD_DEFAULTS['sparse-all']),
  sparse('sparse-stream', 'ablation: background df from the teaching stream itself', { background: 'stream' }, METHOD_DEFAULTS['sparse-stream']),
  sparse('sparse-adamw', 'ablation: AdamW (wd 0.1) instead of SGD on the top-t rows', { optimizer: 'adamw' }, METHOD_DEFAULTS['sparse-adamw']),
  {
    id: 'full',
    family: 'full',
    description: 'full finetuning: every parameter, by plain SGD (the value table at its own rate) or AdamW (wd 0.1, the paper\'s)',
    defaults: METHOD_DEFAULTS.full,
    create: (model, _background, s) => new FullFinetuneLearner(model, { lr: s.lr!, steps: s.steps, maxSteps: s.maxSteps, answerProb: s.answerProb, weightDecay: s.weightDecay, optimizer: s.optimizer, valueLr: s.valueLr }),
  },
  {
    id: 'lora',
    family: 'lora',
    description: 'LoRA on attention, the memory layer\'s dense matrices and (valueRank) its value table: SGD or AdamW (wd 0.1) on the adapters',
    defaults: METHOD_DEFAULTS.lora,
    create: (model, _background, s) => new LoraLearner(model, { lr: s.lr!, steps: s.steps, maxSteps: s.maxSteps, answerProb: s.answerProb, rank: s.rank, alpha: s.alpha, valueRank: s.valueRank, valueLr: s.valueLr, weightDecay: s.weightDecay, optimizer: s.optimizer }),
  },
] satisfies MethodSpec[]) {
  registry.set(spec.id, spec);
}

export function methodSpec(id: string): MethodSpec {
  const spec = registry.get(id as MethodId);
  if (!spec) throw new Error(`unknown method "${id}"; known: ${[...registry.keys()].join(', ')}`);
  return spec;
}

export function availableMethods(): MethodSpec[] {
  return METHOD_IDS.filter((id) => registry.has(id)).map((id) => registry.get(id)!);
}

export function createLearner(id: MethodId, model: EngramModel, background: BackgroundStats | null, settings: MethodSettings = {}): Learner {
  const spec = methodSpec(id);
  return spec.create(model, background, { ...spec.defaults, ...settings });
}
