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
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWSettings {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
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
  private moments = new Map<string, Moments>();
  /** Moments as they were at begin(); their tensors stay alive until commit() or rollback(). */
  private saved: Map<string, Moments> | null = null;

  constructor(settings: AdamWSettings) {
    const { lr, weightDecay, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = settings;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`AdamW lr must be a positive number, got ${lr}`);
    if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) throw new RangeError(`AdamW weight decay must be >= 0, got ${weightDecay}`);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new RangeError(`AdamW betas must be in [0, 1), got ${beta1}, ${beta2}`);
    if (!(eps > 0)) throw new RangeError(`AdamW eps must be positive, got ${eps}`);
    this.lr = lr;
    this.weightDecay = weightDecay;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
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
  step(params: ReadonlyMap<string, tf.Tensor>, grads: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor> {
    const { lr, weightDecay, beta1, beta2, eps } = this;
    const next = new Map<string, tf.Tensor>();
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`AdamW: a gradient for "${name}" but no such parameter`);
      if (!tf.util.arraysEqual(p.shape, g.shape)) throw new Error(`AdamW: "${name}" is [${p.shape}] but its gradient is [${g.shape}]`);
      const old = this.moments.get(name);
      const step = (old?.step ?? 0) + 1;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      // Separate tidies keep at most a few full-size temporaries alive (the value table is 8M floats).
      const m = tf.tidy(() => (old ? tf.add(tf.mul(old.m, beta1), tf.mul(g, 1 - beta1)) : tf.mul(g, 1 - beta1)));
      const v = tf.tidy(() => (old ? tf.add(tf.mul(old.v, beta2), tf.mul(tf.square(g), 1 - beta2)) : tf.mul(tf.square(g), 1 - beta2)));
      const updated = tf.tidy(() => {
        const denom = tf.add(tf.sqrt(tf.div(v, c2)), eps);
        return tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.div(tf.mul(m, lr / c1), denom));
      });
      next.set(name, updated);
      this.moments.set(name, { m, v, step });
      if (old && this.saved?.get(name) !== old) tf.dispose([old.m, old.v]);
    }
    return next;
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
