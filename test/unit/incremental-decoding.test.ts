/**
 * Incremental decoding (EngramModel.startDecoding / continueDecoding, used by greedy answering) against full
 * forward passes over the whole sequence, on the shipped model (wasm): the same logits at every step within
 * float tolerance, the same greedy answers token for token, the same stopping at `stop` ids, maxTokens and the
 * context, rows leaving the batch without disturbing the others, and no tensor left behind.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { questionFor } from '../../src/eval/fact-recall';
import { greedyDecodeBatch, greedyDecodeWithProbs } from '../../src/model/answers';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { disposeDecodeState, disposeForward, EngramModel, padBatch } from '../../src/model/transformer';

let model: EngramModel;
let tok: EngramTokenizer;
let prompts: number[][];
let stop: number[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = EngramModel.fromCheckpoint(await loadCheckpoint(directorySource('public/model')));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const read = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fact);
  // Facts the model knows (answers end at end-of-text) and invented ones (answers run on), prompts of many lengths.
  const facts = [...read('public/model/pretrained-facts.jsonl').slice(0, 20), ...read('public/data/packs/invented.jsonl').slice(0, 20)];
  prompts = facts.map((f) => tok.encode(questionFor(f).prompt));
  stop = [tok.eosId, ...tok.encode('\n')];
}, 60_000);

afterAll(() => model.dispose());

/** Greedy decoding the plain way: the whole sequence through forward() for every new token. */
async function referenceGreedy(prompt: readonly number[], maxTokens: number): Promise<number[]> {
  const seq = [...prompt];
  const ids: number[] = [];
  while (ids.length < maxTokens && seq.length < model.cfg.context) {
    const input = tf.tensor2d(Int32Array.from(seq), [1, seq.length], 'int32');
    const result = model.forward(input);
    const next = tf.tidy(() => tf.argMax(result.logits.slice([0, seq.length - 1, 0], [1, 1, -1]).reshape([-1])));
    const id = (await next.data())[0];
    tf.dispose([input, next]);
    disposeForward(result);
    if (stop.includes(id)) break;
    ids.push(id);
    seq.push(id);
  }
  return ids;
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

describe('incremental decoding', () => {
  it('gives the logits of a full forward pass at every step, with rows of different lengths and a row leaving', async () => {
    const rows = [prompts[0], prompts[25], prompts[7]];
    const forced = [tok.encode(' Paris is big'), tok.encode(' a b c'), tok.encode(' the same one')].map((t) => t.slice(0, 3));
    const { tokens, B, T } = padBatch(rows, model.cfg.padId);
    const input = tf.tensor2d(tokens, [B, T], 'int32');
    let { logits, state } = model.startDecoding(input, Int32Array.from(rows, (r) => r.length));
    input.dispose();
    let alive = [0, 1, 2];
    for (let step = 0; step <= 3; step++) {
      // The full pass over each live row's prompt and the tokens fed so far, at its last position.
      const seqs = alive.map((r) => [...rows[r], ...forced[r].slice(0, step)]);
      const full = padBatch(seqs, model.cfg.padId);
      const fullInput = tf.tensor2d(full.tokens, [full.B, full.T], 'int32');
      const reference = model.forwardAt(fullInput, Int32Array.from(seqs, (s, b) => b * full.T + s.length - 1));
      expect(logits.shape).toEqual([alive.length, model.cfg.vocabSize]);
      expect(await maxAbsDiff(logits, reference.logits)).toBeLessThan(2e-3);
      tf.dispose([fullInput, logits]);
      disposeForward(reference);
      if (step === 3) break;
      // Row 1 leaves after the first step.
      const keep = alive.map((r) => !(step === 1 && r === 1));
      alive = alive.filter((_, i) => keep[i]);
      ({ logits, state } = model.continueDecoding(state, Int32Array.from(alive, (r) => forced[r][step]), {}, keep));
    }
    disposeDecodeState(state);
  });

  it('answers greedily exactly as full forward passes do, stopping at end-of-text, newline and maxTokens', async () => {
    for (const maxTokens of [8, 3]) {
      const batched = await greedyDecodeBatch(model, prompts, maxTokens, stop, { batchSize: 16 });
      const reference = [];
      for (const prompt of prompts) reference.push(await referenceGreedy(prompt, maxTokens));
      expect(batched).toEqual(reference);
      // At 3 tokens both kinds of ending happen: known answers stop early, invented ones run to maxTokens.
      if (maxTokens === 3) {
        expect(batched.some((ids) => ids.length < maxTokens)).toBe(true);
        expect(batched.some((ids) => ids.length === maxTokens)).toBe(true);
      }
    }
  }, 120_000);

  it('stops at the context length, and gives each token the probability a full pass gives it', async () => {
    const long = [...prompts[30], ...Array.from({ length: model.cfg.context - prompts[30].length - 3 }, () => prompts[30][1])];
    const { ids, probs } = await greedyDecodeWithProbs(model, long, 20, []);
    expect(ids).toHaveLength(3);
    expect(ids).toEqual(await referenceGreedy(long, 20).then((r) => r.slice(0, 3)));
    const seq = [...long, ...ids.slice(0, 2)];
    const input = tf.tensor2d(Int32Array.from(seq), [1, seq.length], 'int32');
    const result = model.forwardAt(input, Int32Array.of(long.length - 1, long.length, long.length + 1));
    const softmax = tf.softmax(result.logits);
    const expected = await softmax.data();
    ids.forEach((id, j) => expect(probs[j]).toBeCloseTo(expected[j * model.cfg.vocabSize + id], 4));
    tf.dispose([input, softmax]);
    disposeForward(result);
  });

  it('leaves no tensor behind', async () => {
    await greedyDecodeBatch(model, prompts.slice(0, 8), 6, stop, { batchSize: 4 });
    const before = tf.memory().numTensors - model.cachedMaskCount;
    await greedyDecodeBatch(model, prompts.slice(8, 24), 6, stop, { batchSize: 5 });
    await greedyDecodeWithProbs(model, prompts[3], 6, stop);
    expect(tf.memory().numTensors - model.cachedMaskCount).toBe(before);
  });
});
