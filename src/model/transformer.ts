/**
 * The Engram language model in TensorFlow.js: a pre-norm decoder-only transformer whose middle layer's
 * feed-forward slot is a product-key memory (memory-layer.ts). Mirrors train/model.py line for line:
 * RMSNorm, learned positions, tied embeddings, SwiGLU dense FFNs only where cfg.ffnLayers says.
 *
 * forward() returns logits and, for every memory layer, the slot ids and weights read by every non-pad token
 * and memory head. All tensors it returns belong to the caller (dispose them, or call inside tf.tidy).
 */
import * as tf from '@tensorflow/tfjs';
import { attention, attentionWithPast, causalMask, type AttentionWeights, type KeyValues } from './attention';
import type { Checkpoint } from './checkpoint';
import type { ModelConfig } from './config';
import { linear, type LinearAdapters } from './linear';
import { memoryLayer, type MemoryKernels, type MemoryWeights } from './memory-layer';

interface BlockWeights {
  ln1: tf.Tensor1D;
  attn: AttentionWeights;
  ln2?: tf.Tensor1D;
  ffn?: { w1: tf.Tensor2D; w3: tf.Tensor2D; w2: tf.Tensor2D };
  mem?: MemoryWeights;
}

export interface ForwardOptions {
  /** Per memory layer (in cfg.memoryLayers order): a [B*T, Dv] tensor added to that layer's read (gradient tap). */
  readDeltas?: (tf.Tensor2D | undefined)[];
  /** Ablation: every memory layer reads zeros. */
  zeroMemory?: boolean;
  /** WGSL kernels for lookup / value read (webgpu only); only the sparse learner's step passes them, every other forward uses tf ops. */
  kernels?: MemoryKernels | null;
  /**
   * Additive adapters on the linear layers (LoRA), keyed by weight parameter name (linear.ts). Default: the
   * model's own (`model.adapters`); null: none, the base model.
   */
  adapters?: LinearAdapters | null;
  /**
   * Make the memory lookup differentiable w.r.t. the query projection and the keys (memory-layer.ts,
   * productKeyLookupWithGrad); the learners that train those set it. The value table is never differentiated
   * here: use readDeltas.
   */
  differentiableLookup?: boolean;
}

export interface LayerReads {
  readonly layer: number;
  /** [B*T, H, K] int32, pads included (their reads are meaningless; use `nonPadReads`). */
  readonly ids: tf.Tensor3D;
  readonly weights: tf.Tensor3D;
}

export interface ForwardResult {
  /** [B, T, V] */
  readonly logits: tf.Tensor3D;
  readonly reads: LayerReads[];
}

/** Host copies of the reads of non-pad tokens only, in row-major (b, t) order. */
export interface HostReads {
  readonly layer: number;
  /** number of non-pad tokens */
  readonly tokens: number;
  /** [tokens, H, K] */
  readonly ids: Int32Array;
  readonly weights: Float32Array;
  /** flat index b * T + t of each non-pad token */
  readonly positions: Int32Array;
}

export class EngramModel {
  readonly cfg: ModelConfig;
  private tokEmb: tf.Tensor2D;
  private posEmb: tf.Tensor2D;
  private lnF: tf.Tensor1D;
  /** V [N, Dv], shared by all memory layers and heads. A learner may replace rows in place (setValues). */
  values: tf.Tensor2D | null;
  /**
   * Adapters every forward pass applies unless ForwardOptions.adapters says otherwise: a LoRA learner installs
   * its own here, so evaluation and the Ask box see what it taught while the base weights stay untouched.
   */
  adapters: LinearAdapters | null = null;
  private readonly blocks: BlockWeights[];
  private readonly masks = new Map<number, tf.Tensor2D>();

  constructor(cfg: ModelConfig, get: (name: string) => tf.Tensor) {
    this.cfg = cfg;
    this.tokEmb = get('tok_emb') as tf.Tensor2D;
    this.posEmb = get('pos_emb') as tf.Tensor2D;
    this.lnF = get('ln_f') as tf.Tensor1D;
    this.values = cfg.memoryLayers.length > 0 ? (get('mem_values') as tf.Tensor2D) : null;
    this.blocks = [];
    for (let i = 0; i < cfg.nLayers; i++) {
      const p = `blocks.${i}.`;
      const block: BlockWeights = {
        ln1: get(`${p}ln1`) as tf.Tensor1D,
        attn: { qkv: get(`${p}attn.qkv`) as tf.Tensor2D, proj: get(`${p}attn.proj`) as tf.Tensor2D },
        ...(cfg.ffnLayers.includes(i)
          ? {
              ln2: get(`${p}ln2`) as tf.Tensor1D,
              ffn: { w1: get(`${p}ffn.w1`) as tf.Tensor2D, w3: get(`${p}ffn.w3`) as tf.Tensor2D, w2: get(`${p}ffn.w2`) as tf.Tensor2D },
            }
          : {}),
        ...(cfg.memoryLayers.includes(i)
          ? {
              ln2: get(`${p}ln2`) as tf.Tensor1D,
              mem: {
                queryWeight: get(`${p}mem.query.weight`) as tf.Tensor2D,
                queryBias: get(`${p}mem.query.bias`) as tf.Tensor1D,
                keys: get(`${p}mem.keys`) as tf.Tensor4D,
                w1: get(`${p}mem.w1`) as tf.Tensor2D,
                w2: get(`${p}mem.w2`) as tf.Tensor2D,
              },
            }
          : {}),
      };
      this.blocks.push(block);
    }
  }

  /** Upload a loaded checkpoint's tensors (float32) to the active backend. */
  static fromCheckpoint(ckpt: Checkpoint): EngramModel {
    return new EngramModel(ckpt.config, (name) => {
      const t = ckpt.tensors.get(name);
      if (!t) throw new Error(`checkpoint has no tensor "${name}"`);
      return tf.tensor(t.data as Float32Array, [...t.shape], 'float32');
    });
  }

  /**
   * Every trainable tensor by its checkpoint name (tok_emb, pos_emb, blocks.{i}.attn.qkv, ..., mem_values),
   * in a fixed order. The tensors are the model's own: do not dispose them; replace them with setParameter.
   */
  parameters(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>([
      ['tok_emb', this.tokEmb],
      ['pos_emb', this.posEmb],
    ]);
    this.blocks.forEach((b, i) => {
      const p = `blocks.${i}.`;
      out.set(`${p}ln1`, b.ln1);
      out.set(`${p}attn.qkv`, b.attn.qkv);
      out.set(`${p}attn.proj`, b.attn.proj);
      if (b.ln2) out.set(`${p}ln2`, b.ln2);
      if (b.ffn) {
        out.set(`${p}ffn.w1`, b.ffn.w1);
        out.set(`${p}ffn.w3`, b.ffn.w3);
        out.set(`${p}ffn.w2`, b.ffn.w2);
      }
      if (b.mem) {
        out.set(`${p}mem.query.weight`, b.mem.queryWeight);
        out.set(`${p}mem.query.bias`, b.mem.queryBias);
        out.set(`${p}mem.keys`, b.mem.keys);
        out.set(`${p}mem.w1`, b.mem.w1);
        out.set(`${p}mem.w2`, b.mem.w2);
      }
    });
    out.set('ln_f', this.lnF);
    if (this.values) out.set('mem_values', this.values);
    return out;
  }

  /**
   * Replaces the parameter `name` with `tensor` (same shape, float32), which the model then owns, and returns
   * the tensor it replaced, which the caller now owns (dispose it, or keep it to roll back).
   */
  setParameter(name: string, tensor: tf.Tensor): tf.Tensor {
    const old = this.parameters().get(name);
    if (!old) throw new Error(`setParameter: the model has no parameter "${name}"`);
    if (!tf.util.arraysEqual(old.shape, tensor.shape) || tensor.dtype !== 'float32') {
      throw new Error(`setParameter: "${name}" must be float32 [${old.shape}], got ${tensor.dtype} [${tensor.shape}]`);
    }
    const block = /^blocks\.(\d+)\.(.+)$/.exec(name);
    if (!block) {
      if (name === 'tok_emb') this.tokEmb = tensor as tf.Tensor2D;
      else if (name === 'pos_emb') this.posEmb = tensor as tf.Tensor2D;
      else if (name === 'ln_f') this.lnF = tensor as tf.Tensor1D;
      else this.values = tensor as tf.Tensor2D; // mem_values, the only other top-level name
      return old;
    }
    const b = this.blocks[Number(block[1])];
    switch (block[2]) {
      case 'ln1': b.ln1 = tensor as tf.Tensor1D; break;
      case 'ln2': b.ln2 = tensor as tf.Tensor1D; break;
      case 'attn.qkv': b.attn = { ...b.attn, qkv: tensor as tf.Tensor2D }; break;
      case 'attn.proj': b.attn = { ...b.attn, proj: tensor as tf.Tensor2D }; break;
      case 'ffn.w1': b.ffn = { ...b.ffn!, w1: tensor as tf.Tensor2D }; break;
      case 'ffn.w3': b.ffn = { ...b.ffn!, w3: tensor as tf.Tensor2D }; break;
      case 'ffn.w2': b.ffn = { ...b.ffn!, w2: tensor as tf.Tensor2D }; break;
      case 'mem.query.weight': b.mem = { ...b.mem!, queryWeight: tensor as tf.Tensor2D }; break;
      case 'mem.query.bias': b.mem = { ...b.mem!, queryBias: tensor as tf.Tensor1D }; break;
      case 'mem.keys': b.mem = { ...b.mem!, keys: tensor as tf.Tensor4D }; break;
      case 'mem.w1': b.mem = { ...b.mem!, w1: tensor as tf.Tensor2D }; break;
      case 'mem.w2': b.mem = { ...b.mem!, w2: tensor as tf.Tensor2D }; break;
      default: throw new Error(`setParameter: unhandled parameter "${name}"`);
    }
    return old;
  }

  /** Causal masks kept between calls, one per sequence length seen (the only tensors forward() retains). */
  get cachedMaskCount(): number {
    return this.masks.size;
  }

  private mask(T: number): tf.Tensor2D {
    let m = this.masks.get(T);
    if (!m) {
      m = tf.keep(causalMask(T));
      this.masks.set(T, m);
    }
    return m;
  }

  /** tokens [B, T] int32, right-padded with cfg.padId. */
  forward(tokens: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const [B, T] = tokens.shape;
    const { dModel: D, vocabSize: V } = this.cfg;
    return this.run(tokens, opts, (x) => tf.matMul(x.reshape([B * T, D]), this.tokEmb, false, true).reshape([B, T, V]) as tf.Tensor3D); // tied
  }

  /**
   * Logits at some positions only, [P, V]: position b * T + t of the row-major batch. Answering needs a row's
   * last position or its answer's, a few of its T, and the output layer (256 x 4,096) and the softmax over the
   * vocabulary are the costliest part of a forward pass at every position.
   */
  forwardAt(tokens: tf.Tensor2D, positions: Int32Array, opts: ForwardOptions = {}): { logits: tf.Tensor2D; reads: LayerReads[] } {
    return this.run(tokens, opts, (x) => this.logitsAt(x, positions));
  }

  /** Output logits [P, V] of the final hidden states x [B, T, D] at row-major positions b * T + t (tied weights). */
  private logitsAt(x: tf.Tensor3D, positions: Int32Array): tf.Tensor2D {
    const [B, T, D] = x.shape;
    return tf.matMul(tf.gather(x.reshape([B * T, D]), tf.tensor1d(positions, 'int32')), this.tokEmb, false, true) as tf.Tensor2D;
  }

  /**
   * Incremental decoding, first call: runs the prompts (right-padded [B, T0], `lengths` real tokens each) and
   * returns the logits at each row's last prompt token, [B, V], and the keys and values to continue from.
   */
  startDecoding(tokens: tf.Tensor2D, lengths: Int32Array, opts: ForwardOptions = {}): { logits: tf.Tensor2D; state: DecodeState } {
    const [B, T] = tokens.shape;
    const keyValues: KeyValues[] = [];
    const positions = tf.tidy(() => tf.tile(tf.range(0, T, 1, 'int32').reshape([1, T]), [B, 1]) as tf.Tensor2D);
    const last = Int32Array.from(lengths, (n, b) => b * T + n - 1);
    const { logits, reads } = this.run(tokens, opts, (x) => this.logitsAt(x, last), {
      positions,
      mask: this.mask(T),
      keyValues,
    });
    positions.dispose();
    disposeReads(reads);
    return { logits, state: { keyValues, lengths: Int32Array.from(lengths), promptWidth: T, steps: 0 } };
  }

  /**
   * Incremental decoding, next token: `next` [B] is each row's newest token, placed after its prompt and the
   * tokens decoded before it. Returns the logits for the token after it, [B, V], and the new state (the old
   * state's tensors are disposed). Rows whose `keep` flag is false are dropped from the batch first.
   */
  continueDecoding(state: DecodeState, next: Int32Array, opts: ForwardOptions = {}, keep?: readonly boolean[]): { logits: tf.Tensor2D; state: DecodeState } {
    if (keep && keep.some((k) => !k)) state = dropRows(state, keep);
    const B = state.lengths.length;
    const D = this.cfg.dModel;
    const seen = state.promptWidth + state.steps; // keys so far
    const position = Int32Array.from(state.lengths, (n) => n + state.steps);
    if (position.some((p) => p >= this.cfg.context)) throw new Error(`decoding past the model context ${this.cfg.context}`);
    // Each row may look at its own prompt (not the pads after it), at every token decoded so far and at itself.
    const allowed = new Float32Array(B * (seen + 1));
    state.lengths.forEach((n, b) => allowed.fill(-1e9, b * (seen + 1) + n, b * (seen + 1) + state.promptWidth));
    const mask = tf.tensor4d(allowed, [B, 1, 1, seen + 1]);
    const positions = tf.tensor2d(position, [B, 1], 'int32');
    const tokens = tf.tensor2d(next, [B, 1], 'int32');
    const keyValues: KeyValues[] = [];
    const { logits, reads } = this.run(tokens, opts, (x) => tf.matMul(x.reshape([B, D]), this.tokEmb, false, true) as tf.Tensor2D, { positions, mask, past: state.keyValues, keyValues });
    tf.dispose([mask, positions, tokens]);
    disposeReads(reads);
    disposeDecodeState(state);
    return { logits, state: { keyValues, lengths: state.lengths, promptWidth: state.promptWidth, steps: state.steps + 1 } };
  }

  /**
   * The network up to the final norm, then `head` on its output [B, T, D] (inside the same tidy). With
   * `incremental`, tokens sit at the given positions, attend through the given mask over `past` keys and values
   * first, and every layer's keys and values so far are pushed to `keyValues` (kept).
   */
  private run<L extends tf.Tensor>(
    tokens: tf.Tensor2D,
    opts: ForwardOptions,
    head: (x: tf.Tensor3D) => L,
    incremental?: { positions: tf.Tensor2D; mask: tf.Tensor; past?: readonly KeyValues[]; keyValues: KeyValues[] },
  ): { logits: L; reads: LayerReads[] } {
    const cfg = this.cfg;
    const [B, T] = tokens.shape;
    if (T > cfg.context) throw new Error(`sequence of ${T} tokens exceeds the model context ${cfg.context}`);
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be int32, got ${tokens.dtype}`);
    const D = cfg.dModel;
    const mask = incremental ? undefined : this.mask(T);
    const adapters = (opts.adapters === undefined ? this.adapters : opts.adapters) ?? undefined;
    const reads: LayerReads[] = [];
    const logits = tf.tidy(() => {
      const positions = incremental ? tf.gather(this.posEmb, incremental.positions) : this.posEmb.slice([0, 0], [T, D]);
      let x = tf.add(tf.gather(this.tokEmb, tokens), positions) as tf.Tensor3D; // [B, T, D]
      let memIndex = 0;
      this.blocks.forEach((blk, layer) => {
        const prefix = `blocks.${layer}.`;
        const normed = rmsNorm(x, blk.ln1, cfg.normEps);
        if (incremental) {
          const { y, kv } = attentionWithPast(normed, blk.attn, cfg.nHeads, incremental.mask, incremental.past?.[layer], adapters, prefix);
          incremental.keyValues.push({ k: tf.keep(kv.k), v: tf.keep(kv.v) });
          x = tf.add(x, y);
        } else x = tf.add(x, attention(normed, blk.attn, cfg.nHeads, mask!, adapters, prefix));
        if (blk.ffn && blk.ln2) {
          const h = rmsNorm(x, blk.ln2, cfg.normEps).reshape([B * T, D]) as tf.Tensor2D;
          const a = linear(h, blk.ffn.w1, `${prefix}ffn.w1`, adapters);
          const g = tf.mul(tf.mul(a, tf.sigmoid(a)), linear(h, blk.ffn.w3, `${prefix}ffn.w3`, adapters)) as tf.Tensor2D; // silu(w1 h) * w3 h
          x = tf.add(x, linear(g, blk.ffn.w2, `${prefix}ffn.w2`, adapters).reshape([B, T, D]));
        } else if (blk.mem && blk.ln2 && this.values) {
          const h = rmsNorm(x, blk.ln2, cfg.normEps).reshape([B * T, D]) as tf.Tensor2D;
          const r = memoryLayer(h, blk.mem, this.values, cfg, {
            readDelta: opts.readDeltas?.[memIndex],
            zeroValues: opts.zeroMemory,
            kernels: opts.kernels,
            differentiableLookup: opts.differentiableLookup,
            adapters,
            prefix,
          });
          reads.push({ layer, ids: tf.keep(r.ids), weights: tf.keep(r.weights) });
          x = tf.add(x, r.out.reshape([B, T, D]));
          memIndex++;
        }
      });
      return head(rmsNorm(x, this.lnF, cfg.normEps));
    });
    return { logits, reads };
  }

  /** Reads of the non-pad tokens, downloaded. `tokens` is the host copy of the batch ([B*T], row-major). */
  async nonPadReads(result: ForwardResult, tokens: Int32Array): Promise<HostReads[]> {
    const { memHeads: H, topk: K, padId } = this.cfg;
    const positions: number[] = [];
    tokens.forEach((t, i) => {
      if (t !== padId) positions.push(i);
    });
    const out: HostReads[] = [];
    for (const r of result.reads) {
      const [ids, weights] = await Promise.all([r.ids.data(), r.weights.data()]);
      const hk = H * K;
      const keptIds = new Int32Array(positions.length * hk);
      const keptW = new Float32Array(positions.length * hk);
      positions.forEach((p, m) => {
        keptIds.set((ids as Int32Array).subarray(p * hk, (p + 1) * hk), m * hk);
        keptW.set((weights as Float32Array).subarray(p * hk, (p + 1) * hk), m * hk);
      });
      out.push({ layer: r.layer, tokens: positions.length, ids: keptIds, weights: keptW, positions: Int32Array.from(positions) });
    }
    return out;
  }

  dispose(): void {
    tf.dispose([...this.parameters().values(), ...this.masks.values()]);
    this.masks.clear();
  }
}

export function disposeForward(result: { logits: tf.Tensor; reads: readonly LayerReads[] }): void {
  result.logits.dispose();
  disposeReads(result.reads);
}

function disposeReads(reads: readonly LayerReads[]): void {
  tf.dispose(reads.flatMap((r) => [r.ids, r.weights]));
}

/** Where incremental decoding stands: every layer's keys and values so far, and where each row's tokens go. */
export interface DecodeState {
  /** Per layer, [B, h, promptWidth + steps, hd]. */
  readonly keyValues: readonly KeyValues[];
  /** Each row's prompt length (its real tokens; the rest of promptWidth is padding). */
  readonly lengths: Int32Array;
  /** T0, the padded prompt width. */
  readonly promptWidth: number;
  /** Tokens decoded after the prompts so far (all rows together). */
  readonly steps: number;
}

export function disposeDecodeState(state: DecodeState): void {
  tf.dispose(state.keyValues.flatMap((kv) => [kv.k, kv.v]));
}

/** The state with only the rows whose `keep` is true (the old state's tensors are disposed). */
function dropRows(state: DecodeState, keep: readonly boolean[]): DecodeState {
  const rows = keep.flatMap((k, b) => (k ? [b] : []));
  const index = tf.tensor1d(rows, 'int32');
  const keyValues = state.keyValues.map(({ k, v }) => ({ k: tf.gather(k, index) as tf.Tensor4D, v: tf.gather(v, index) as tf.Tensor4D }));
  index.dispose();
  disposeDecodeState(state);
  return { ...state, keyValues, lengths: Int32Array.from(rows, (b) => state.lengths[b]) };
}

/** x * rsqrt(mean(x^2) + eps) * g over the last axis. */
export function rmsNorm<T extends tf.Tensor>(x: T, g: tf.Tensor1D, eps: number): T {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g)) as T;
}

/** Right-pad token sequences into an int32 [B, T] batch. */
export function padBatch(seqs: readonly (readonly number[])[], padId: number, length?: number): { tokens: Int32Array; B: number; T: number } {
  const B = seqs.length;
  const T = length ?? Math.max(1, ...seqs.map((s) => s.length));
  const tokens = new Int32Array(B * T).fill(padId);
  seqs.forEach((s, b) => {
    if (s.length > T) throw new Error(`sequence ${b} has ${s.length} tokens, batch length is ${T}`);
    tokens.set(s, b * T);
  });
  return { tokens, B, T };
}
