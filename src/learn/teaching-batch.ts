/**
 * The teaching batch for one fact (method.md §2 step 1): paraphrases of the fact rendered with the training
 * templates only (statements and the question-answer form, never the eval-only pair), each its own padded row,
 * never packed (a model copies in-context otherwise). Rows look exactly like pretraining fact documents:
 * the rendering's tokens, then <|endoftext|>. Loss targets are every next token that is not padding.
 */
import type { Fact } from '../facts/fact';
import { renderTemplate, trainTemplates, evalTemplates, scoringParts, type Template } from '../facts/templates';
import type { EngramTokenizer } from '../model/tokenizer';

export interface TeachingBatch {
  readonly fact: Fact;
  readonly B: number;
  readonly T: number;
  /** [B, T] int32, right-padded with the tokenizer's pad id. */
  readonly tokens: Int32Array;
  /** [B, T] the token each position must predict, or -1 where there is none (the last real token, padding). */
  readonly targets: Int32Array;
  /** Number of positions with a target: the sum-reduced loss is over this many tokens. */
  readonly numTargets: number;
  /** The template each row was rendered with. */
  readonly templateIds: readonly string[];
}

export class FactTooLongError extends Error {
  override name = 'FactTooLongError';
  constructor(readonly tokens: number, readonly context: number) {
    super(`This fact takes ${tokens} tokens in one of its sentences, more than the model's context of ${context}. Shorten the subject or the object.`);
  }
}

export interface TeachingBatchOptions {
  /** Rows in the batch; templates are used round-robin. Default: one row per training template. */
  paraphrases?: number;
  /** The model's context length. */
  context: number;
}

export function buildTeachingBatch(fact: Fact, tokenizer: EngramTokenizer, options: TeachingBatchOptions): TeachingBatch {
  const templates = trainTemplates(fact.relation);
  const B = options.paraphrases ?? templates.length;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`paraphrases must be a positive integer, got ${B}`);
  const chosen: Template[] = Array.from({ length: B }, (_, i) => templates[i % templates.length]);
  const rows = chosen.map((template) => [...tokenizer.encode(renderTemplate(template, fact)), tokenizer.eosId]);
  const longest = Math.max(...rows.map((r) => r.length));
  if (longest > options.context) throw new FactTooLongError(longest, options.context);
  const T = longest;
  const tokens = new Int32Array(B * T).fill(tokenizer.padId);
  const targets = new Int32Array(B * T).fill(-1);
  let numTargets = 0;
  rows.forEach((row, b) => {
    tokens.set(row, b * T);
    for (let t = 0; t + 1 < row.length; t++) {
      targets[b * T + t] = row[t + 1];
      numTargets++;
    }
  });
  return { fact, B, T, tokens, targets, numTargets, templateIds: chosen.map((t) => t.id) };
}

/** A question to score a fact with: prompt ids and answer ids, scored by teacher forcing. */
export interface ProbeItem {
  readonly prompt: readonly number[];
  readonly answer: readonly number[];
  readonly templateId: string;
}

/** The eval-only question (and statement) of a fact, never seen in pretraining or teaching. */
export function evalProbes(fact: Fact, tokenizer: EngramTokenizer): ProbeItem[] {
  return evalTemplates(fact.relation).map((template) => {
    const { prompt, answer } = scoringParts(template, fact);
    return { prompt: tokenizer.encode(prompt), answer: tokenizer.encode(answer), templateId: template.id };
  });
}
