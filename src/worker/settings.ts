/**
 * The learning settings' one typed home (docs/architecture.md §3): defaults, limits, and the check every command and URL
 * goes through. Defaults come from the method registry (src/learn/methods.ts: sparse t, lr and steps; the
 * baselines' matched learning rates) and the teaching batch's defaults (src/learn/teaching-batch.ts), the same
 * ones `npm run experiment` uses.
 */
import { METHOD_DEFAULTS } from '../learn/method-defaults';
import { DEFAULT_TEACHING } from '../learn/teaching-batch';
import type { LearnSettings } from './protocol';

const sparse = METHOD_DEFAULTS.sparse;

export const DEFAULT_SETTINGS: LearnSettings = {
  t: sparse.t,
  lr: sparse.lr,
  steps: sparse.steps,
  paraphrases: DEFAULT_TEACHING.paraphrases,
  fullLr: METHOD_DEFAULTS.full.lr,
  loraLr: METHOD_DEFAULTS.lora.lr,
  evalEvery: 5,
};

/** Inclusive bounds; outside them a value is refused with a message rather than clamped silently. */
export const SETTING_LIMITS: Readonly<Record<keyof LearnSettings, { min: number; max: number; integer: boolean; label: string }>> = {
  t: { min: 1, max: 65_536, integer: true, label: 'rows per fact (t)' },
  lr: { min: 1e-4, max: 1000, integer: false, label: 'sparse learning rate' },
  steps: { min: 1, max: 8, integer: true, label: 'steps per fact' },
  paraphrases: { min: 1, max: 32, integer: true, label: 'batch size (paraphrases)' },
  fullLr: { min: 1e-7, max: 1, integer: false, label: 'full finetuning learning rate' },
  loraLr: { min: 1e-6, max: 1, integer: false, label: 'LoRA learning rate' },
  evalEvery: { min: 1, max: 100, integer: true, label: 'streams, race: evaluate every (facts)' },
};

/** Problems with `settings`, one sentence each; empty when all are usable. */
export function settingsProblems(settings: Partial<Record<keyof LearnSettings, unknown>>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(SETTING_LIMITS) as (keyof LearnSettings)[]) {
    const { min, max, integer, label } = SETTING_LIMITS[key];
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`The ${label} must be a number.`);
    else if (integer && !Number.isInteger(value)) problems.push(`The ${label} must be a whole number.`);
    else if (value < min || value > max) problems.push(`The ${label} must be between ${min} and ${max} (got ${value}).`);
  }
  return problems;
}
