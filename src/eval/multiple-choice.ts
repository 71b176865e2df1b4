/**
 * Multiple-choice recall: is the true object more likely than same-relation distractors after the eval-only
 * question? Scored by the sum of the answer tokens' log-probabilities (teacher forcing), one forward pass per
 * batch of candidates. A softer signal than exact match: it moves before the greedy answer flips.
 */
import type { Fact } from '../facts/fact';
import { scoreAnswers } from '../model/answers';
import type { EngramTokenizer } from '../model/tokenizer';
import type { EngramModel } from '../model/transformer';
import { questionFor } from './fact-recall';

/** Distractors for a fact: the next `count` distinct objects of the same relation in `pool`, after the fact's own position (deterministic). */
export function distractorsFor(fact: Fact, pool: readonly Fact[], count: number): string[] {
  const objects = [...new Set(pool.filter((f) => f.relation === fact.relation).map((f) => f.object))].filter((o) => o !== fact.object);
  if (objects.length === 0) return [];
  let start = 0;
  for (let i = 0; i < fact.subject.length; i++) start = (start * 31 + fact.subject.charCodeAt(i)) >>> 0;
  return Array.from({ length: Math.min(count, objects.length) }, (_, i) => objects[(start + i) % objects.length]);
}

/** Share of facts whose true object outscores every distractor. */
export async function multipleChoiceAccuracy(
  model: EngramModel,
  tokenizer: EngramTokenizer,
  facts: readonly Fact[],
  pool: readonly Fact[],
  distractors = 3,
): Promise<number> {
  if (facts.length === 0) return 0;
  const items: { prompt: number[]; answer: number[] }[] = [];
  const groups: number[] = [];
  for (const fact of facts) {
    const prompt = tokenizer.encode(questionFor(fact).prompt);
    const candidates = [fact.object, ...distractorsFor(fact, pool, distractors)];
    for (const object of candidates) items.push({ prompt, answer: tokenizer.encode(` ${object}`) });
    groups.push(candidates.length);
  }
  const scores = await scoreAnswers(model, items, { batchSize: 64 });
  let correct = 0;
  let at = 0;
  for (const size of groups) {
    const truth = scores[at].logprob;
    let best = true;
    for (let j = 1; j < size; j++) if (scores[at + j].logprob >= truth) best = false;
    if (best) correct++;
    at += size;
  }
  return correct / facts.length;
}
