/**
 * Full finetuning's fast path against the straightforward one, on a tiny random model (cpu and wasm):
 *
 * - fast (FullFinetuneLearner): the value table's gradient by rows from the read tap (sparseRowGradient over
 *   the rows the batch read), AdamW fused into one pass per tensor (adamw-kernel.ts) with the row gradient;
 * - straightforward: tf.valueAndGrads w.r.t. every parameter, the value table included (its dense [N, Dv]
 *   gradient through the read's gather), and the tf-ops AdamW formula on the dense gradients.
 *
 * Two facts of two steps each (so the second fact moves rows on moments from the first); every parameter must
 * agree to float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../src/learn/adamw';
import { FullFinetuneLearner } from '../../src/learn/full-finetune-learner';
import { summedNextTokenLoss, targetMask } from '../../src/learn/next-token-loss';
import type { TeachingBatch } from '../../src/learn/teaching-batch';
import type { ModelConfig } from '../../src/model/config';
import { EngramModel } from '../../src/model/transformer';
import { seededRandom } from '../seeded-random';

const cfg: ModelConfig = {
  vocabSize: 24,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  context: 8,
  ffnHidden: 24,
  ffnLayers: [0],
  memoryLayers: [1],
  nKeys: 6, // N = 36 slots
  memHeads: 2,
  topk: 3,
  keyDim: 8,
  valueDim: 4,
  normEps: 1e-5,
  padId: 0,
};

function shapes(c: ModelConfig): Map<string, number[]> {
  const { dModel: D, vocabSize: V } = c;
  const out = new Map<string, number[]>([
    ['tok_emb', [V, D]],
    ['pos_emb', [c.context, D]],
    ['ln_f', [D]],
    ['mem_values', [c.nKeys * c.nKeys, c.valueDim]],
  ]);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `blocks.${i}.`;
    out.set(`${p}ln1`, [D]).set(`${p}attn.qkv`, [3 * D, D]).set(`${p}attn.proj`, [D, D]).set(`${p}ln2`, [D]);
    if (c.ffnLayers.includes(i)) out.set(`${p}ffn.w1`, [c.ffnHidden, D]).set(`${p}ffn.w3`, [c.ffnHidden, D]).set(`${p}ffn.w2`, [D, c.ffnHidden]);
    if (c.memoryLayers.includes(i)) {
      out
        .set(`${p}mem.query.weight`, [c.memHeads * c.keyDim, D])
        .set(`${p}mem.query.bias`, [c.memHeads * c.keyDim])
        .set(`${p}mem.keys`, [c.memHeads, 2, c.nKeys, c.keyDim / 2])
        .set(`${p}mem.w1`, [c.valueDim, D])
        .set(`${p}mem.w2`, [D, c.valueDim]);
    }
  }
  return out;
}

function randomWeights(seed: number): Map<string, { data: Float32Array; shape: number[] }> {
  const rand = seededRandom(seed);
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const [name, shape] of shapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const norm = /ln/.test(name);
    out.set(name, { data: Float32Array.from({ length: n }, () => (norm ? 1 + (rand() - 0.5) * 0.2 : (rand() * 2 - 1) * 0.5)), shape });
  }
  return out;
}

function modelOf(weights: Map<string, { data: Float32Array; shape: number[] }>): EngramModel {
  return new EngramModel(cfg, (name) => {
    const w = weights.get(name);
    if (!w) throw new Error(`no weight ${name}`);
    return tf.tensor(w.data, w.shape, 'float32');
  });
}

function batchOf(seed: number): TeachingBatch {
  const rand = seededRandom(seed);
  const [B, T] = [3, 7];
  const tokens = Int32Array.from({ length: B * T }, () => 1 + Math.floor(rand() * (cfg.vocabSize - 1)));
  const targets = Int32Array.from(tokens, (_, i) => (i % T === T - 1 ? -1 : tokens[i + 1]));
  return {
    fact: { subject: 'S', relation: 'capital', object: 'O' },
    B,
    T,
    tokens,
    targets,
    numTargets: B * (T - 1),
    templateIds: Array.from({ length: B }, (_, b) => `row${b}`),
    weights: Float32Array.from(targets, (t) => (t >= 0 ? 1 : 0)),
    answerTargets: new Uint8Array(B * T),
    checkOnly: new Uint8Array(B),
    subjectTokens: new Uint8Array(B * T),
  };
}

/** The straightforward step: autodiff w.r.t. every parameter (values included), tf-ops AdamW on dense gradients. */
async function straightforwardStep(model: EngramModel, optimizer: AdamW, batch: TeachingBatch): Promise<void> {
  const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32');
  const mask = targetMask(batch, cfg.vocabSize);
  const names = [...model.parameters().keys()];
  const { value, grads } = tf.valueAndGrads(() => {
    const result = model.forward(tokens, { differentiableLookup: true });
    tf.dispose(result.reads.flatMap((r) => [r.ids, r.weights]));
    return summedNextTokenLoss(result.logits, mask);
  })(names.map((n) => model.parameters().get(n)!));
  const next = optimizer.step(model.parameters(), new Map(names.map((n, i) => [n, grads[i]])));
  for (const [name, t] of next) model.setParameter(name, t).dispose();
  tf.dispose([value, ...grads, tokens, mask]);
}

async function parameters(model: EngramModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of model.parameters()) out.set(name, Float32Array.from((await t.data()) as Float32Array));
  return out;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('full finetuning: row gradient + fused AdamW give the straightforward parameters', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}, two facts of two steps`, async () => {
      await tf.setBackend(backend);
      const weights = randomWeights(11);
      const batches = [batchOf(1), batchOf(2)];
      const settings = { lr: 1e-2, weightDecay: 0.1, steps: 2 };

      const fastModel = modelOf(weights);
      const learner = new FullFinetuneLearner(fastModel, settings);
      for (const b of batches) await learner.teach(b);
      const fast = await parameters(fastModel);

      const refModel = modelOf(weights);
      const optimizer = new AdamW({ lr: settings.lr, weightDecay: settings.weightDecay, fused: false });
      for (const b of batches) for (let s = 0; s < settings.steps; s++) await straightforwardStep(refModel, optimizer, b);
      const ref = await parameters(refModel);

      const base = weights.get('mem_values')!.data;
      let rowsMoved = 0;
      const valuesAfter = fast.get('mem_values')!;
      for (let i = 0; i < base.length; i++) if (Math.abs(valuesAfter[i] - base[i] * (1 - settings.lr * settings.weightDecay) ** 4) > 1e-6) rowsMoved++;
      expect(rowsMoved).toBeGreaterThan(0); // the value table got gradients, not only decay

      let worst = 0;
      let worstName = '';
      for (const [name, r] of ref) {
        const f = fast.get(name)!;
        for (let i = 0; i < r.length; i++) {
          const d = Math.abs(f[i] - r[i]);
          if (d > worst) [worst, worstName] = [d, name];
        }
      }
      // Per step AdamW moves an element by about lr = 1e-2: 1e-5 is float32 rounding of sums in another order.
      expect(worst, `largest difference in ${worstName}`).toBeLessThan(1e-5);

      learner.dispose();
      optimizer.dispose();
      fastModel.dispose();
      refModel.dispose();
    });
  }
});
