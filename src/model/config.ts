/**
 * The model's one typed configuration home (docs/architecture.md §3). The trainer (train/model.py, ModelConfig) writes
 * the same fields in snake_case into public/model/config.json; `parseModelConfig` reads and checks them.
 *
 * Dimension names used everywhere: B batch, T tokens, D model, H memory heads, K reads per head, N slots
 * (nKeys^2), Dv value width.
 */

export interface ModelConfig {
  readonly vocabSize: number;
  readonly dModel: number;
  readonly nLayers: number;
  /** Attention heads. */
  readonly nHeads: number;
  /** Longest sequence the learned position table covers. */
  readonly context: number;
  /** SwiGLU hidden width of the dense feed-forward blocks. */
  readonly ffnHidden: number;
  /** Layers that keep a dense feed-forward block. */
  readonly ffnLayers: readonly number[];
  /** Layers whose feed-forward slot is the product-key memory (they share one value table). */
  readonly memoryLayers: readonly number[];
  /** sqrt(N): sub-keys per half. */
  readonly nKeys: number;
  /** H */
  readonly memHeads: number;
  /** K */
  readonly topk: number;
  /** Query width per head (two halves of keyDim / 2). */
  readonly keyDim: number;
  /** Dv */
  readonly valueDim: number;
  readonly normEps: number;
  readonly padId: number;
}

/** The starting point of the model's design; the shipped config.json overrides every field. */
export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  vocabSize: 4096,
  dModel: 256,
  nLayers: 4,
  nHeads: 4,
  context: 128,
  ffnHidden: 512,
  ffnLayers: [0, 1, 3],
  memoryLayers: [2],
  nKeys: 256,
  memHeads: 4,
  topk: 32,
  keyDim: 128,
  valueDim: 128,
  normEps: 1e-5,
  padId: 0,
};

export function nSlots(cfg: ModelConfig): number {
  return cfg.nKeys * cfg.nKeys;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

const FIELDS: Record<keyof ModelConfig, string> = {
  vocabSize: 'vocab_size',
  dModel: 'd_model',
  nLayers: 'n_layers',
  nHeads: 'n_heads',
  context: 'context',
  ffnHidden: 'ffn_hidden',
  ffnLayers: 'ffn_layers',
  memoryLayers: 'memory_layers',
  nKeys: 'n_keys',
  memHeads: 'mem_heads',
  topk: 'topk',
  keyDim: 'key_dim',
  valueDim: 'value_dim',
  normEps: 'norm_eps',
  padId: 'pad_id',
};

/** Read the trainer's snake_case model config (config.json's "model" object), checking every field. */
export function parseModelConfig(raw: unknown): ModelConfig {
  if (typeof raw !== 'object' || raw === null) throw new ModelConfigError('model config must be a JSON object');
  const src = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, snake] of Object.entries(FIELDS) as [keyof ModelConfig, string][]) {
    const value = src[snake] ?? src[key];
    const fallback = DEFAULT_MODEL_CONFIG[key];
    if (value === undefined) throw new ModelConfigError(`model config is missing "${snake}"`);
    if (Array.isArray(fallback)) {
      if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v))) {
        throw new ModelConfigError(`"${snake}" must be a list of integers, got ${JSON.stringify(value)}`);
      }
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ModelConfigError(`"${snake}" must be a number, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  const cfg = out as unknown as ModelConfig;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new ModelConfigError(`inconsistent model config: ${what}`);
  };
  check(cfg.dModel % cfg.nHeads === 0, `d_model ${cfg.dModel} is not divisible by n_heads ${cfg.nHeads}`);
  check(cfg.keyDim % 2 === 0, `key_dim ${cfg.keyDim} must be even (two halves)`);
  check(cfg.topk <= cfg.nKeys, `topk ${cfg.topk} exceeds n_keys ${cfg.nKeys}`);
  for (const l of [...cfg.ffnLayers, ...cfg.memoryLayers]) check(l >= 0 && l < cfg.nLayers, `layer ${l} outside 0..${cfg.nLayers - 1}`);
  check(!cfg.ffnLayers.some((l) => cfg.memoryLayers.includes(l)), 'a layer cannot hold both a dense FFN and the memory');
  return cfg;
}
