/**
 * The live curves' measurements, kept small enough to run every few facts on a software GPU:
 *  - recall: exact match of every taught fact's object on its eval-only question (never taught);
 *  - retention: exact match over a fixed, relation-stratified subset of the retention probe (facts the base
 *    model answered correctly, none about a teach-pack subject);
 *  - held-out NLL: mean next-token loss over a few fixed windows of held-out text.
 */
import * as tf from '@tensorflow/tfjs';
import type { Fact } from '../facts/fact';
import { scoreFacts, type FactScore } from '../eval/fact-recall';
import type { EngramTokenizer } from '../model/tokenizer';
import { disposeForward, type EngramModel } from '../model/transformer';

import { probeSubset } from '../eval/retention-probe';
import type { EvalSize } from './protocol';

/** 96 of the 480 probe facts (8 per relation) and 8 windows of 64 tokens: a few seconds on wasm here. */
export const DEFAULT_EVAL_SIZE: EvalSize = { probeFacts: 96, nllWindows: 8 };
export const NLL_WINDOW_TOKENS = 64;

export interface EvalContext {
  readonly retention: readonly Fact[];
  readonly retentionTotal: number;
  /** Token windows of held-out text, each NLL_WINDOW_TOKENS long. */
  readonly nllWindows: readonly number[][];
}

export interface Evaluation {
  readonly recall: readonly FactScore[];
  readonly retention: number;
  readonly nll: number;
  readonly ms: number;
}

export function buildEvalContext(retentionJsonl: string, heldoutJsonl: string, tokenizer: EngramTokenizer, size: EvalSize = DEFAULT_EVAL_SIZE): EvalContext {
  const probeFacts = parseJsonl<Fact>(retentionJsonl);
  // The probe file is grouped by relation, so an even spread keeps the relation mix.
  const retention = probeSubset(probeFacts, size.probeFacts).map(({ subject, relation, object }) => ({ subject, relation, object }));
  // Round-robin over domains so a small NLL subset still covers every kind of text.
  const docs = parseJsonl<{ domain: string; text: string }>(heldoutJsonl);
  const domains = [...new Set(docs.map((d) => d.domain))].sort();
  const nllWindows: number[][] = [];
  const next = new Map<string, number>();
  for (let round = 0; nllWindows.length < size.nllWindows && round < docs.length; round++) {
    for (const domain of domains) {
      if (nllWindows.length >= size.nllWindows) break;
      let i = next.get(domain) ?? 0;
      while (i < docs.length && (docs[i].domain !== domain || tokenizer.encode(docs[i].text).length < NLL_WINDOW_TOKENS)) i++;
      next.set(domain, i + 1);
      if (i < docs.length) nllWindows.push(tokenizer.encode(docs[i].text).slice(0, NLL_WINDOW_TOKENS));
    }
  }
  return { retention, retentionTotal: probeFacts.length, nllWindows };
}

export async function evaluateModel(model: EngramModel, tokenizer: EngramTokenizer, context: EvalContext, taught: readonly Fact[]): Promise<Evaluation> {
  const started = performance.now();
  const recall = taught.length > 0 ? await scoreFacts(model, tokenizer, taught, 32) : [];
  const kept = await scoreFacts(model, tokenizer, context.retention, 48);
  const retention = kept.filter((s) => s.exactMatch).length / Math.max(1, kept.length);
  const nll = await heldoutNll(model, context.nllWindows);
  return { recall, retention, nll, ms: performance.now() - started };
}

/** Mean next-token loss (nats/token) over the windows (all the same length). */
export async function heldoutNll(model: EngramModel, windows: readonly number[][]): Promise<number> {
  if (windows.length === 0) return NaN;
  const B = windows.length;
  const T = windows[0].length;
  const V = model.cfg.vocabSize;
  const tokens = tf.tensor2d(Int32Array.from(windows.flat()), [B, T], 'int32');
  const result = model.forward(tokens);
  const loss = tf.tidy(() => {
    const logits = result.logits.slice([0, 0, 0], [B, T - 1, V]).reshape([B * (T - 1), V]);
    const targets = tokens.slice([0, 1], [B, T - 1]).reshape([B * (T - 1)]) as tf.Tensor1D;
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, V)), -1)));
  });
  const value = (await loss.data())[0];
  tf.dispose([tokens, loss]);
  disposeForward(result);
  return value;
}

export function parseJsonl<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}
