/**
 * Plain SGD (no momentum, no weight decay) over named tf tensors: the optimizer sparse memory finetuning uses,
 * offered to the dense baselines too, so a comparison can hold the optimizer fixed. The paper ran its baselines
 * with AdamW and reports SGD for them as an extra: they forget less with it and learn less.
 *
 *   p = p - lr(name) g
 *
 * The learning rate may differ per parameter (`lrFor`): a value row's gradient on the sum-reduced loss is tiny,
 * so the value table wants a rate of the order of the sparse method's (2), where the dense weights would blow
 * up at anything above ~1e-2. A gradient by rows (RowGradient, the value table's) moves only those rows; every
 * other row stays bit-identical. Stateless, so begin / commit / rollback have nothing to keep.
 */
import * as tf from '@tensorflow/tfjs';
import { isRowGradient, type Gradient } from './adamw';
import type { StepOptimizer } from './optimizer-steps';

export class Sgd implements StepOptimizer {
  /** SGD does not check what it writes: the caller's finite check covers every tensor. */
  readonly checkedFinite = new Map<string, boolean>();

  constructor(private readonly lrFor: (name: string) => number) {}

  step(params: ReadonlyMap<string, tf.Tensor>, grads: ReadonlyMap<string, Gradient>): Map<string, tf.Tensor> {
    const next = new Map<string, tf.Tensor>();
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`SGD: a gradient for "${name}" but no such parameter`);
      const lr = this.lrFor(name);
      if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`SGD: the learning rate of "${name}" must be a positive number, got ${lr}`);
      if (isRowGradient(g)) {
        if (p.rank !== 2 || g.rows.shape[0] !== g.slots.length || g.rows.shape[1] !== p.shape[1]) {
          throw new Error(`SGD: "${name}" is [${p.shape}] but its row gradient is [${g.rows.shape}] for ${g.slots.length} rows`);
        }
        next.set(
          name,
          tf.tidy(() => {
            // Not tensorScatterUpdate: tfjs's cpu kernel writes into its input's buffer, which would change the
            // old table the caller keeps for a rollback. Rows not listed add exactly 0, so they stay bit-identical.
            const indices = tf.tensor2d(g.slots, [g.slots.length, 1], 'int32');
            return tf.add(p, tf.scatterND(indices, tf.mul(g.rows, -lr), p.shape));
          }),
        );
      } else {
        if (!tf.util.arraysEqual(p.shape, g.shape)) throw new Error(`SGD: "${name}" is [${p.shape}] but its gradient is [${g.shape}]`);
        next.set(name, tf.tidy(() => tf.sub(p, tf.mul(g, lr))));
      }
    }
    return next;
  }

  begin(): void {}
  commit(): void {}
  rollback(): void {}
  dispose(): void {}
}
