/**
 * Held-out language-model loss per text domain (nats per token): the paper's check that teaching facts does
 * not damage general modelling (docs/method.md §4). Text comes from public/data/heldout.jsonl (documents never
 * trained on), tokenized into a stream per domain with end-of-text between documents, cut into windows of the
 * model's context. The same first `tokensPerDomain` tokens are used before and after teaching.
 */
import * as tf from '@tensorflow/tfjs';
import type { EngramTokenizer } from '../model/tokenizer';
import { disposeForward, padBatch, type EngramModel } from '../model/transformer';

export interface HeldoutWindows {
  readonly domain: string;
  /** Token windows of at most `context` tokens. */
  readonly windows: readonly (readonly number[])[];
}

export interface NllReport {
  readonly perDomain: Readonly<Record<string, number>>;
  /** Mean over domains (each domain weighs the same, whatever its token count). */
  readonly mean: number;
}

export function heldoutWindows(jsonl: string, tokenizer: EngramTokenizer, context: number, tokensPerDomain: number): HeldoutWindows[] {
  const docs = jsonl
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { domain: string; text: string });
  const domains = [...new Set(docs.map((d) => d.domain))].sort();
  return domains.map((domain) => {
    const stream: number[] = [];
    for (const doc of docs) {
      if (doc.domain !== domain) continue;
      stream.push(...tokenizer.encode(doc.text), tokenizer.eosId);
      if (stream.length >= tokensPerDomain) break;
    }
    const ids = stream.slice(0, tokensPerDomain);
    const windows: number[][] = [];
    for (let s = 0; s + 1 < ids.length; s += context) windows.push(ids.slice(s, s + context));
    return { domain, windows };
  });
}

export async function heldoutNll(model: EngramModel, sets: readonly HeldoutWindows[], batchSize = 16): Promise<NllReport> {
  const perDomain: Record<string, number> = {};
  const V = model.cfg.vocabSize;
  for (const { domain, windows } of sets) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < windows.length; i += batchSize) {
      const chunk = windows.slice(i, i + batchSize);
      const { tokens, B, T } = padBatch(chunk, model.cfg.padId);
      const flat: number[] = [];
      chunk.forEach((w, b) => {
        for (let t = 0; t + 1 < w.length; t++) flat.push((b * T + t) * V + w[t + 1]);
      });
      const input = tf.tensor2d(tokens, [B, T], 'int32');
      const result = model.forward(input);
      const picked = tf.tidy(() => tf.sum(tf.gather(tf.logSoftmax(result.logits, -1).reshape([-1]), tf.tensor1d(flat, 'int32'))));
      sum -= (await picked.data())[0];
      n += flat.length;
      tf.dispose([input, picked]);
      disposeForward(result);
    }
    perDomain[domain] = n > 0 ? sum / n : NaN;
  }
  const values = Object.values(perDomain);
  return { perDomain, mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length) };
}
