/**
 * The Engram language model in TensorFlow.js: a pre-norm decoder-only transformer whose middle layer's
 * feed-forward slot is a product-key memory (memory-layer.ts). Mirrors train/model.py line for line:
 * RMSNorm, learned positions, tied embeddings, SwiGLU dense FFNs only where cfg.ffnLayers says.
 *
 * forward() returns logits and, for every memory layer, the slot ids and weights read by every non-pad token
 * and memory head. All tensors it returns belong to the caller (dispose them, or call inside tf.tidy).
 */
import * as tf from '@tensorflow/tfjs';
import { attention, causalMask, type AttentionWeights } from './attention';
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
  /** WGSL kernels for lookup / value read (webgpu only). */
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
    const [B, T] = tokens.shape;
    const D = this.cfg.dModel;
    return this.run(tokens, opts, (x) => tf.matMul(tf.gather(x.reshape([B * T, D]), tf.tensor1d(positions, 'int32')), this.tokEmb, false, true) as tf.Tensor2D);
  }

  /** The network up to the final norm, then `head` on its output [B, T, D] (inside the same tidy). */
  private run<L extends tf.Tensor>(tokens: tf.Tensor2D, opts: ForwardOptions, head: (x: tf.Tensor3D) => L): { logits: L; reads: LayerReads[] } {
    const cfg = this.cfg;
    const [B, T] = tokens.shape;
    if (T > cfg.context) throw new Error(`sequence of ${T} tokens exceeds the model context ${cfg.context}`);
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be int32, got ${tokens.dtype}`);
    const D = cfg.dModel;
    const mask = this.mask(T);
    const adapters = (opts.adapters === undefined ? this.adapters : opts.adapters) ?? undefined;
    const reads: LayerReads[] = [];
    const logits = tf.tidy(() => {
      let x = tf.add(tf.gather(this.tokEmb, tokens), this.posEmb.slice([0, 0], [T, D])) as tf.Tensor3D; // [B, T, D]
      let memIndex = 0;
      this.blocks.forEach((blk, layer) => {
        const prefix = `blocks.${layer}.`;
        x = tf.add(x, attention(rmsNorm(x, blk.ln1, cfg.normEps), blk.attn, cfg.nHeads, mask, adapters, prefix));
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
  tf.dispose([result.logits, ...result.reads.flatMap((r) => [r.ids, r.weights])]);
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
