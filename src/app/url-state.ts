/**
 * The shareable state lives in the URL (docs/architecture.md §3): method settings, the chosen pack and rate, and a forced
 * backend. Values that do not parse or are out of range are ignored (the default stands), never fatal.
 */
import { PACK_NAMES, type PackName } from '../facts/fact';
import type { BackendName } from '../gpu/tf-backend';
import type { EvalSize, LearnSettings } from '../worker/protocol';
import { DEFAULT_SETTINGS, settingsProblems } from '../worker/settings';

export interface SharedState {
  settings: LearnSettings;
  pack: PackName;
  /** Facts per minute for streaming; 0 = as fast as possible. */
  rate: number;
}

/** URL parameter for each setting: short, readable names. */
const PARAM: Readonly<Record<keyof LearnSettings, string>> = {
  t: 't',
  lr: 'lr',
  steps: 'steps',
  paraphrases: 'batch',
  fullLr: 'full_lr',
  loraLr: 'lora_lr',
  evalEvery: 'eval_every',
};

export const DEFAULT_SHARED: SharedState = { settings: DEFAULT_SETTINGS, pack: 'invented', rate: 0 };

export function readSharedState(search: string): SharedState {
  const params = new URLSearchParams(search);
  const settings: Record<string, number> = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(PARAM) as (keyof LearnSettings)[]) {
    const raw = params.get(PARAM[key]);
    if (raw === null) continue;
    const value = Number(raw);
    const candidate = { ...DEFAULT_SETTINGS, [key]: value };
    if (settingsProblems(candidate).length === 0) settings[key] = value;
  }
  const pack = params.get('pack');
  const rate = Number(params.get('rate') ?? DEFAULT_SHARED.rate);
  return {
    settings: settings as unknown as LearnSettings,
    pack: PACK_NAMES.includes(pack as PackName) ? (pack as PackName) : DEFAULT_SHARED.pack,
    rate: Number.isFinite(rate) && rate >= 0 && rate <= 600 ? rate : DEFAULT_SHARED.rate,
  };
}

/** The query string for `state`, keeping parameters this module does not own (e.g. backend). */
export function writeSharedState(search: string, state: SharedState): string {
  const params = new URLSearchParams(search);
  for (const key of Object.keys(PARAM) as (keyof LearnSettings)[]) {
    if (state.settings[key] === DEFAULT_SETTINGS[key]) params.delete(PARAM[key]);
    else params.set(PARAM[key], String(state.settings[key]));
  }
  if (state.pack === DEFAULT_SHARED.pack) params.delete('pack');
  else params.set('pack', state.pack);
  if (state.rate === DEFAULT_SHARED.rate) params.delete('rate');
  else params.set('rate', String(state.rate));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `?backend=wasm` (or cpu, webgpu) forces a backend: shareable, and handy for comparing speed. */
export function backendPreference(search: string): BackendName[] | undefined {
  const wanted = new URLSearchParams(search).get('backend');
  if (wanted === 'webgpu' || wanted === 'wasm' || wanted === 'cpu') return [wanted, 'cpu'];
  return undefined;
}

/**
 * `?probe=24&nll=4` shrinks the live evaluation (retention-probe facts, held-out windows): for slow software
 * GPUs, and for the end-to-end tests. Defaults (96, 8) when absent or out of range.
 */
export function evalSizeFromUrl(search: string): EvalSize | undefined {
  const params = new URLSearchParams(search);
  const int = (name: string, min: number, max: number) => {
    const value = Number(params.get(name));
    return params.has(name) && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
  };
  const probeFacts = int('probe', 1, 480);
  const nllWindows = int('nll', 1, 64);
  if (probeFacts === undefined && nllWindows === undefined) return undefined;
  return { probeFacts: probeFacts ?? 96, nllWindows: nllWindows ?? 8 };
}
