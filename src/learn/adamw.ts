/**
 * Decoupled AdamW (Loshchilov & Hutter 2019; PyTorch's torch.optim.AdamW) over named tf tensors, for the
 * baselines (docs/method.md §3: full finetuning and LoRA use AdamW with weight decay 0.1):
 *
 *   m = b1 m + (1 - b1) g      v = b2 v + (1 - b2) g^2      (bias-corrected by 1 - b^step)
 *   p = p (1 - lr wd) - lr m^ / (sqrt(v^) + eps)
 *
 * Moments are per parameter name and start at zero on a parameter's first step. step() is functional: it
 * returns new parameter tensors and leaves the old ones to the caller, so a learner can check the result
 * before installing it. begin() / commit() / rollback() bracket one fact's steps: rollback() puts the moments
 * back as they were at begin(), so a non-finite step leaves the optimizer exactly as before the fact.
 *
 * On wasm and cpu each tensor's step is one fused pass (adamw-kernel.ts: p, m, v read once, no full-size
 * temporaries, and the finite check of the result for free); elsewhere (webgpu) it is the tf-ops formula. A
 * gradient can also be given by rows (RowGradient: zero outside the listed rows of a 2-D parameter), which
 * is full finetuning's value-table gradient; the step is the same as with the zero-filled dense gradient:
 * every row decays and moves on its moments.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAMW_KERNEL, type AdamWKernelAttrs } from './adamw-kernel';

export interface AdamWSettings {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Use the fused kernel where the backend has it (default true); false forces the tf-ops formula. */
  readonly fused?: boolean;
}

/** dL/dp of a 2-D parameter that is zero outside rows `slots` (distinct); `rows` [slots.length, width]. */
export interface RowGradient {
  readonly slots: Int32Array;
  readonly rows: tf.Tensor2D;
}

export type Gradient = tf.Tensor | RowGradient;

export function isRowGradient(g: Gradient): g is RowGradient {
  return !(g instanceof tf.Tensor);
}

/** The tensor a gradient holds (the caller disposes it). */
export function gradientTensor(g: Gradient): tf.Tensor {
  return isRowGradient(g) ? g.rows : g;
}

interface Moments {
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
  readonly step: number;
}

export class AdamW {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly fused: boolean;
  /**
   * After step(): for each parameter the fused kernel updated, whether its new value is all finite (the
   * kernel checks as it writes); parameters missing here were updated by tf ops and are unchecked.
   */
  readonly checkedFinite = new Map<string, boolean>();
  private moments = new Map<string, Moments>();
  /** Moments as they were at begin(); their tensors stay alive until commit() or rollback(). */
  private saved: Map<string, Moments> | null = null;

  constructor(settings: AdamWSettings) {
    const { lr, weightDecay, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, fused = true } = settings;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`AdamW lr must be a positive number, got ${lr}`);
    if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) throw new RangeError(`AdamW weight decay must be >= 0, got ${weightDecay}`);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new RangeError(`AdamW betas must be in [0, 1), got ${beta1}, ${beta2}`);
    if (!(eps > 0)) throw new RangeError(`AdamW eps must be positive, got ${eps}`);
    this.lr = lr;
    this.weightDecay = weightDecay;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.fused = fused;
  }

  /** Floats of optimizer state held (two moments per parameter element). */
  get stateSize(): number {
    let n = 0;
    for (const s of this.moments.values()) n += s.m.size + s.v.size;
    return n;
  }

  /**
   * One step for every parameter in `grads`: returns the new values (new tensors, the caller's), advances the
   * moments. `params` and `grads` are not disposed.
   */
  step(params: ReadonlyMap<string, tf.Tensor>, grads: ReadonlyMap<string, Gradient>): Map<string, tf.Tensor> {
    const { beta1, beta2 } = this;
    const next = new Map<string, tf.Tensor>();
    const fused = this.fused && tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined;
    this.checkedFinite.clear();
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`AdamW: a gradient for "${name}" but no such parameter`);
      if (isRowGradient(g)) {
        if (p.rank !== 2 || g.rows.rank !== 2 || g.rows.shape[0] !== g.slots.length || g.rows.shape[1] !== p.shape[1]) {
          throw new Error(`AdamW: "${name}" is [${p.shape}] but its row gradient is [${g.rows.shape}] for ${g.slots.length} rows`);
        }
      } else if (!tf.util.arraysEqual(p.shape, g.shape)) throw new Error(`AdamW: "${name}" is [${p.shape}] but its gradient is [${g.shape}]`);
      const old = this.moments.get(name);
      const step = (old?.step ?? 0) + 1;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      let updated: tf.Tensor, m: tf.Tensor, v: tf.Tensor;
      if (fused) {
        let finite: boolean;
        [updated, m, v, finite] = this.fusedStep(p, old, g, c1, c2);
        this.checkedFinite.set(name, finite);
      } else {
        [updated, m, v] = this.opsStep(p, old, g, c1, c2);
      }
      next.set(name, updated);
      this.moments.set(name, { m, v, step });
      if (old && this.saved?.get(name) !== old) tf.dispose([old.m, old.v]);
    }
    return next;
  }

  /** The fused kernel (adamw-kernel.ts): one pass; the finite flag is read from the host-side backend. */
  private fusedStep(p: tf.Tensor, old: Moments | undefined, g: Gradient, c1: number, c2: number): [tf.Tensor, tf.Tensor, tf.Tensor, boolean] {
    const attrs: AdamWKernelAttrs = { lr: this.lr, weightDecay: this.weightDecay, beta1: this.beta1, beta2: this.beta2, c1, c2, eps: this.eps, fresh: old ? 0 : 1 };
    const slots = isRowGradient(g) ? tf.tensor1d(g.slots, 'int32') : null;
    try {
      const inputs: Record<string, tf.Tensor> = { p };
      if (old) Object.assign(inputs, { m: old.m, v: old.v });
      if (isRowGradient(g)) Object.assign(inputs, { rows: g.rows, slots: slots! });
      else inputs.g = g;
      const [updated, m, v, flag] = tf.engine().runKernel(ADAMW_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      // wasm and cpu keep tensors in host memory: reading one int is a copy, not a device sync.
      const finite = flag.dataSync()[0] === 1;
      flag.dispose();
      return [updated, m, v, finite];
    } finally {
      slots?.dispose();
    }
  }

  /** The tf-ops formula (backends without the fused kernel, and the reference the kernel is tested against). */
  private opsStep(p: tf.Tensor, old: Moments | undefined, grad: Gradient, c1: number, c2: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
    const { lr, weightDecay, beta1, beta2, eps } = this;
    const dense = isRowGradient(grad) ? tf.tidy(() => tf.scatterND(tf.tensor2d(grad.slots, [grad.slots.length, 1], 'int32'), grad.rows, p.shape)) : grad;
    try {
      const g = dense;
      // Separate tidies keep at most a few full-size temporaries alive (the value table is 8M floats).
      const m = tf.tidy(() => (old ? tf.add(tf.mul(old.m, beta1), tf.mul(g, 1 - beta1)) : tf.mul(g, 1 - beta1)));
      const v = tf.tidy(() => (old ? tf.add(tf.mul(old.v, beta2), tf.mul(tf.square(g), 1 - beta2)) : tf.mul(tf.square(g), 1 - beta2)));
      const updated = tf.tidy(() => {
        const denom = tf.add(tf.sqrt(tf.div(v, c2)), eps);
        return tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.div(tf.mul(m, lr / c1), denom));
      });
      return [updated, m, v];
    } finally {
      if (dense !== grad) dense.dispose();
    }
  }

  /** Remembers the current moments so rollback() can return to them. */
  begin(): void {
    if (this.saved) this.commit();
    this.saved = new Map(this.moments);
  }

  /** Keeps the steps since begin(). */
  commit(): void {
    if (!this.saved) return;
    for (const [name, s] of this.saved) if (this.moments.get(name) !== s) tf.dispose([s.m, s.v]);
    this.saved = null;
  }

  /** Forgets the steps since begin(): the moments are as they were then. */
  rollback(): void {
    if (!this.saved) return;
    for (const [name, s] of this.moments) if (this.saved.get(name) !== s) tf.dispose([s.m, s.v]);
    this.moments = this.saved;
    this.saved = null;
  }

  dispose(): void {
    this.commit();
    for (const s of this.moments.values()) tf.dispose([s.m, s.v]);
    this.moments.clear();
  }
}
