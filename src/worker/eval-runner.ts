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

/** Progress of one evaluation, in facts scored plus text windows read, with the time so far. */
export interface EvalHooks {
  onProgress?(done: number, total: number, elapsedMs: number): void;
  /** Checked between parts: true abandons the evaluation (EvaluationStopped), e.g. when a fact waits to be taught. */
  shouldStop?(): boolean;
  /** Facts scored per part (default 48): smaller parts report progress more often on a slow device. */
  chunk?: number;
}

export class EvaluationStopped extends Error {
  override name = 'EvaluationStopped';
}

export async function evaluateModel(model: EngramModel, tokenizer: EngramTokenizer, context: EvalContext, taught: readonly Fact[], hooks: EvalHooks = {}): Promise<Evaluation> {
  const started = performance.now();
  const total = taught.length + context.retention.length + context.nllWindows.length;
  let done = 0;
  const chunk = hooks.chunk ?? 48;
  const inParts = async (facts: readonly Fact[], batch: number): Promise<FactScore[]> => {
    const scores: FactScore[] = [];
    for (let i = 0; i < facts.length; i += chunk) {
      if (hooks.shouldStop?.()) throw new EvaluationStopped('evaluation abandoned for waiting work');
      const part = facts.slice(i, i + chunk);
      scores.push(...(await scoreFacts(model, tokenizer, part, batch)));
      done += part.length;
      hooks.onProgress?.(done, total, performance.now() - started);
    }
    return scores;
  };
  const recall = taught.length > 0 ? await inParts(taught, 32) : [];
  const kept = await inParts(context.retention, 48);
  const retention = kept.filter((s) => s.exactMatch).length / Math.max(1, kept.length);
  if (hooks.shouldStop?.()) throw new EvaluationStopped('evaluation abandoned for waiting work');
  const nll = await heldoutNll(model, context.nllWindows);
  hooks.onProgress?.(total, total, performance.now() - started);
  return { recall, retention, nll, ms: performance.now() - started };
}

/**
 * How long one probe fact and one text window take on this device, measured on a few of each: to size the
 * live evaluation so the first one fits a time budget on a slow adapter (a software GPU took 98 s).
 */
export async function measureEvalSpeed(model: EngramModel, tokenizer: EngramTokenizer, context: EvalContext): Promise<{ msPerFact: number; msPerWindow: number }> {
  const facts = context.retention.slice(0, 4);
  let started = performance.now();
  await scoreFacts(model, tokenizer, facts, 48);
  const msPerFact = (performance.now() - started) / Math.max(1, facts.length);
  started = performance.now();
  await heldoutNll(model, context.nllWindows.slice(0, 1));
  return { msPerFact, msPerWindow: performance.now() - started };
}

/** The largest evaluation (probe facts, text windows; at least 4 and 1) expected to fit `budgetMs`, never above `size`. */
export function sizeForBudget(speed: { msPerFact: number; msPerWindow: number }, size: EvalSize, budgetMs: number): EvalSize {
  const nllWindows = Math.max(1, Math.min(size.nllWindows, Math.floor((budgetMs * 0.2) / Math.max(1, speed.msPerWindow))));
  const left = budgetMs - nllWindows * speed.msPerWindow;
  const probeFacts = Math.max(4, Math.min(size.probeFacts, Math.floor(left / Math.max(1, speed.msPerFact))));
  return { probeFacts, nllWindows };
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
