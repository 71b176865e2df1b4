/**
 * Answering with the model: greedy decoding, and exact match by teacher forcing (every answer token must be the
 * argmax after the prompt and the answer's earlier tokens). For a known answer the two are the same test; the
 * batched teacher-forced form is what evaluation uses because it needs one forward pass per batch.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeForward, padBatch, type EngramModel, type ForwardOptions } from './transformer';

export interface AnswerItem {
  readonly prompt: readonly number[];
  readonly answer: readonly number[];
}

export interface AnswerScore {
  readonly hit: boolean;
  /** sum of log-probabilities of the answer tokens */
  readonly logprob: number;
  /** log-probability of each answer token */
  readonly tokenLogprobs: number[];
}

/** Teacher-forced exact match and answer log-probability for each item. */
export async function scoreAnswers(model: EngramModel, items: readonly AnswerItem[], opts: ForwardOptions & { batchSize?: number } = {}): Promise<AnswerScore[]> {
  const out: AnswerScore[] = [];
  const bs = opts.batchSize ?? 64;
  for (let i = 0; i < items.length; i += bs) {
    const chunk = items.slice(i, i + bs);
    const seqs = chunk.map((it) => [...it.prompt, ...it.answer]);
    const { tokens, B, T } = padBatch(seqs, model.cfg.padId);
    const V = model.cfg.vocabSize;
    const input = tf.tensor2d(tokens, [B, T], 'int32');
    // Logits only where an answer token is predicted, and only their log-probabilities leave the backend.
    const positions: number[] = [];
    const picks: number[] = [];
    chunk.forEach((it, b) =>
      it.answer.forEach((tok, j) => {
        picks.push(positions.length * V + tok);
        positions.push(b * T + it.prompt.length - 1 + j);
      }),
    );
    const result = model.forwardAt(input, Int32Array.from(positions), opts);
    const [argmax, picked] = tf.tidy(() => [tf.argMax(result.logits, -1), tf.gather(tf.logSoftmax(result.logits, -1).reshape([-1]), tf.tensor1d(picks, 'int32'))]);
    const am = (await argmax.data()) as Int32Array;
    const lp = (await picked.data()) as Float32Array;
    tf.dispose([input, argmax, picked]);
    disposeForward(result);
    let next = 0;
    chunk.forEach((it) => {
      let hit = true;
      let logprob = 0;
      const tokenLogprobs = it.answer.map((tok) => {
        if (am[next] !== tok) hit = false;
        const value = lp[next++];
        logprob += value;
        return value;
      });
      out.push({ hit, logprob, tokenLogprobs });
    });
  }
  return out;
}

/** Greedy continuation of `prompt` until `stop` ids or maxTokens. */
export async function greedyDecode(model: EngramModel, prompt: readonly number[], maxTokens: number, stop: readonly number[] = []): Promise<number[]> {
  return (await greedyDecodeWithProbs(model, prompt, maxTokens, stop)).ids;
}

/** Greedy continuation with the probability the model gave each chosen token (what the Ask box shows). */
export async function greedyDecodeWithProbs(
  model: EngramModel,
  prompt: readonly number[],
  maxTokens: number,
  stop: readonly number[] = [],
  opts: ForwardOptions = {},
): Promise<{ ids: number[]; probs: number[] }> {
  const seq = [...prompt];
  const ids: number[] = [];
  const probs: number[] = [];
  for (let i = 0; i < maxTokens && seq.length < model.cfg.context; i++) {
    const input = tf.tensor2d(Int32Array.from(seq), [1, seq.length], 'int32');
    const result = model.forwardAt(input, Int32Array.of(seq.length - 1), opts);
    const [next, prob] = tf.tidy(() => {
      const p = tf.softmax(result.logits.reshape([-1]));
      return [tf.argMax(p), tf.max(p)];
    });
    const id = (await next.data())[0];
    const pr = (await prob.data())[0];
    tf.dispose([input, next, prob]);
    disposeForward(result);
    if (stop.includes(id)) break;
    ids.push(id);
    probs.push(pr);
    seq.push(id);
  }
  return { ids, probs };
}

/**
 * Greedy continuations of many prompts at once: one forward pass of the padded batch per generated token,
 * each row reading its own last position (right padding keeps earlier positions causal-exact). A row stops at
 * a `stop` id, after maxTokens, or at the context length.
 */
export async function greedyDecodeBatch(
  model: EngramModel,
  prompts: readonly (readonly number[])[],
  maxTokens: number,
  stop: readonly number[] = [],
  opts: ForwardOptions & { batchSize?: number } = {},
): Promise<number[][]> {
  const out: number[][] = prompts.map(() => []);
  const bs = opts.batchSize ?? 64;
  for (let start = 0; start < prompts.length; start += bs) {
    const rows = prompts.slice(start, start + bs).map((p, i) => ({ seq: [...p], index: start + i, done: false }));
    for (let step = 0; step < maxTokens; step++) {
      const active = rows.filter((r) => !r.done && r.seq.length < model.cfg.context);
      if (active.length === 0) break;
      const { tokens, B, T } = padBatch(active.map((r) => r.seq), model.cfg.padId);
      const input = tf.tensor2d(tokens, [B, T], 'int32');
      const result = model.forwardAt(input, Int32Array.from(active, (r, b) => b * T + r.seq.length - 1), opts);
      const argmax = tf.argMax(result.logits, -1); // [B]: each row's next token
      const am = (await argmax.data()) as Int32Array;
      tf.dispose([input, argmax]);
      disposeForward(result);
      active.forEach((r, b) => {
        const id = am[b];
        if (stop.includes(id)) r.done = true;
        else {
          r.seq.push(id);
          out[r.index].push(id);
        }
      });
    }
  }
  return out;
}
