/**
 * Answering with the model: greedy decoding, and exact match by teacher forcing (every answer token must be the
 * argmax after the prompt and the answer's earlier tokens). For a known answer the two are the same test; the
 * batched teacher-forced form is what evaluation uses because it needs one forward pass per batch.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeDecodeState, disposeForward, padBatch, type EngramModel, type ForwardOptions } from './transformer';

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
  return (await decodeGreedily(model, [prompt], maxTokens, stop, opts, true))[0];
}

/**
 * Greedy continuations of many prompts at once, `batchSize` rows at a time. A row stops at a `stop` id, after
 * maxTokens, or at the context length.
 */
export async function greedyDecodeBatch(
  model: EngramModel,
  prompts: readonly (readonly number[])[],
  maxTokens: number,
  stop: readonly number[] = [],
  opts: ForwardOptions & { batchSize?: number } = {},
): Promise<number[][]> {
  const out: number[][] = [];
  const bs = opts.batchSize ?? 64;
  for (let start = 0; start < prompts.length; start += bs) {
    for (const row of await decodeGreedily(model, prompts.slice(start, start + bs), maxTokens, stop, opts, false)) out.push(row.ids);
  }
  return out;
}

/** greedyDecodeBatch with the probability the model gave each chosen token. */
export async function greedyDecodeBatchWithProbs(
  model: EngramModel,
  prompts: readonly (readonly number[])[],
  maxTokens: number,
  stop: readonly number[] = [],
  opts: ForwardOptions = {},
): Promise<{ ids: number[]; probs: number[] }[]> {
  return decodeGreedily(model, prompts, maxTokens, stop, opts, true);
}

/**
 * One batch of greedy decoding with the model's key-value cache (EngramModel.startDecoding): the prompts run
 * once, then each new token is one position per row attending over what came before, instead of the whole
 * sequence again (test/unit/incremental-decoding.test.ts checks it against full forward passes). Finished rows
 * leave the batch.
 */
async function decodeGreedily(
  model: EngramModel,
  prompts: readonly (readonly number[])[],
  maxTokens: number,
  stop: readonly number[],
  opts: ForwardOptions,
  withProbs: boolean,
): Promise<{ ids: number[]; probs: number[] }[]> {
  const out = prompts.map(() => ({ ids: [] as number[], probs: [] as number[] }));
  const context = model.cfg.context;
  // Rows still decoding, as indices into `prompts`, in batch order.
  let rows = prompts.map((_, i) => i).filter((i) => prompts[i].length > 0 && prompts[i].length < context);
  if (rows.length === 0 || maxTokens <= 0) return out;
  const { tokens, B, T } = padBatch(rows.map((i) => prompts[i]), model.cfg.padId);
  const input = tf.tensor2d(tokens, [B, T], 'int32');
  let { logits, state } = model.startDecoding(input, Int32Array.from(rows, (i) => prompts[i].length), opts);
  input.dispose();
  try {
    for (let step = 0; ; step++) {
      const [next, prob] = tf.tidy(() => [tf.argMax(logits, -1), withProbs ? tf.max(tf.softmax(logits), -1) : tf.zeros([0])]);
      const ids = (await next.data()) as Int32Array;
      const probs = withProbs ? ((await prob.data()) as Float32Array) : undefined;
      tf.dispose([next, prob, logits]);
      const keep = rows.map((i, b) => {
        if (stop.includes(ids[b])) return false;
        out[i].ids.push(ids[b]);
        if (probs) out[i].probs.push(probs[b]);
        return out[i].ids.length < maxTokens && prompts[i].length + out[i].ids.length < context;
      });
      if (!keep.some(Boolean)) break;
      const nextIds = Int32Array.from(ids.filter((_, b) => keep[b]));
      rows = rows.filter((_, b) => keep[b]);
      ({ logits, state } = model.continueDecoding(state, nextIds, opts, keep));
    }
  } finally {
    disposeDecodeState(state);
  }
  return out;
}
