/**
 * Does the model know a fact? Asked with the relation's eval-only question (never in pretraining or a teaching
 * batch, so this measures paraphrase generalisation, docs/method.md §4):
 *   - logprob: teacher-forced sum of log p(answer tokens) after the question;
 *   - exactMatch / f1: the greedy answer (until end-of-text or newline) against the object, SQuAD-normalised.
 * A fact whose answer tokens and the end-of-text after them are all argmax decodes to exactly the object, so
 * only the others are decoded: one forward pass per batch for the facts the model knows.
 */
import type { Fact } from '../facts/fact';
import { evalTemplates, scoringParts } from '../facts/templates';
import { greedyDecodeBatch, scoreAnswers } from '../model/answers';
import type { EngramTokenizer } from '../model/tokenizer';
import type { EngramModel } from '../model/transformer';
import { exactMatch, tokenF1 } from './answer-metrics';

export interface FactScore {
  readonly exactMatch: boolean;
  readonly f1: number;
  readonly logprob: number;
  /** The greedy answer, as text. */
  readonly answer: string;
}

export interface ScoreSummary {
  readonly count: number;
  readonly exactMatch: number;
  readonly f1: number;
  readonly meanLogprob: number;
}

/** Longest answer the decoder produces beyond the gold answer's length. */
const EXTRA_TOKENS = 4;

export function questionFor(fact: Fact): { prompt: string; answer: string } {
  const question = evalTemplates(fact.relation).find((t) => t.kind === 'question');
  if (!question) throw new Error(`relation ${fact.relation} has no eval-only question`);
  return scoringParts(question, fact);
}

/**
 * Scores each fact with a question: the eval-only one by default, or `question(fact)` (another held-out wording,
 * e.g. src/facts/person-wordings.ts), as prompt and answer text.
 */
export async function scoreFacts(
  model: EngramModel,
  tokenizer: EngramTokenizer,
  facts: readonly Fact[],
  batchSize = 64,
  question: (fact: Fact) => { prompt: string; answer: string } = questionFor,
): Promise<FactScore[]> {
  const parts = facts.map(question);
  const prompts = parts.map((p) => tokenizer.encode(p.prompt));
  const answers = parts.map((p) => tokenizer.encode(p.answer));
  const forced = await scoreAnswers(
    model,
    prompts.map((prompt, i) => ({ prompt, answer: [...answers[i], tokenizer.eosId] })),
    { batchSize },
  );
  const misses = facts.map((_, i) => i).filter((i) => !forced[i].hit);
  const stop = [tokenizer.eosId, ...tokenizer.encode('\n')];
  const maxTokens = Math.max(1, ...misses.map((i) => answers[i].length)) + EXTRA_TOKENS;
  const decoded = await greedyDecodeBatch(model, misses.map((i) => prompts[i]), maxTokens, stop, { batchSize });
  const decodedText = new Map(misses.map((i, j) => [i, tokenizer.decode(decoded[j]).trim()]));
  return facts.map((fact, i) => {
    // The forced score's logprob includes the end-of-text token; report the answer's own tokens' share.
    const answerLogprob = forced[i].logprob - forced[i].tokenLogprobs[forced[i].tokenLogprobs.length - 1];
    if (forced[i].hit) return { exactMatch: true, f1: 1, logprob: answerLogprob, answer: fact.object };
    const text = decodedText.get(i)!;
    return { exactMatch: exactMatch(text, fact.object), f1: tokenF1(text, fact.object), logprob: answerLogprob, answer: text };
  });
}

export function summarize(scores: readonly FactScore[]): ScoreSummary {
  const n = scores.length;
  if (n === 0) return { count: 0, exactMatch: 0, f1: 0, meanLogprob: 0 };
  let em = 0;
  let f1 = 0;
  let lp = 0;
  for (const s of scores) {
    em += s.exactMatch ? 1 : 0;
    f1 += s.f1;
    lp += s.logprob;
  }
  return { count: n, exactMatch: em / n, f1: f1 / n, meanLogprob: lp / n };
}
