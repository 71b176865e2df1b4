/**
 * What the model says now about the other relations of a fact's subject, so a batch can keep it while it teaches
 * the new fact (the locality constraint of knowledge editing, with the model as its own teacher). A fact about a
 * country the model knows ("The capital of France is Lyon") is written into rows that France's other facts also
 * read; the rows the step changes then shift France's continent, currency and language with it. Measured over a
 * 1,000-fact stream, facts about such edited subjects were lost two to two and a half times as often as the rest.
 * Rehearsing them this way did not change that (README, "Reviewing earlier facts": the edit's own step keeps them,
 * later facts take them), so it is an experiment option (`--own-answers`), off by default.
 *
 * For each other relation of the same kind of subject, one training question ("What is the currency of
 * France?") is answered greedily. The answers count only when every one is confident (each token at
 * probability `minProb` or more, ended by the end of the line within `maxTokens`): the model knows the subject.
 * One by one the bar is too low, because the model answers some questions about a name it has never seen with
 * confidence (an invented country's continent "Europe" at 0.9); on the first 200 facts of a generated stream, all
 * of them together passed for 24 subjects: known countries, people and elements, and one invented name.
 * Unknown subjects cost one short decode and add no rows. Relations the caller already rehearses with a taught
 * object are not asked.
 */
import type { Fact } from '../facts/fact';
import { RELATION_INFO, RELATIONS, type Relation } from '../facts/relations';
import { scoringParts, trainTemplates } from '../facts/templates';
import { greedyDecodeBatchWithProbs } from '../model/answers';
import type { EngramTokenizer } from '../model/tokenizer';
import type { EngramModel } from '../model/transformer';
import type { EarlierFacts } from './teaching-batch';

export interface OwnAnswerOptions {
  /** Least probability of every answer token for the answer to be kept (default 0.5). */
  readonly minProb?: number;
  /** Longest answer, in tokens (default 8); a longer one is dropped as unfinished. */
  readonly maxTokens?: number;
}

/** The relations asked about for `fact`'s subject: the same kind of subject, not the fact's own, none in `skip`. */
export function otherRelations(fact: Fact, skip: readonly Fact[] = []): Relation[] {
  const kind = RELATION_INFO[fact.relation].subjectKind;
  return RELATIONS.filter((r) => r !== fact.relation && RELATION_INFO[r].subjectKind === kind && !skip.some((s) => s.subject === fact.subject && s.relation === r));
}

/** The training question a relation is asked with: the first one whose prompt does not depend on the answer. */
function questionTemplate(relation: Relation) {
  const found = trainTemplates(relation).find((t) => t.kind === 'question' && !t.text.includes('{a}'));
  if (!found) throw new Error(`relation ${relation} has no training question that can be asked without its answer`);
  return found;
}

export async function ownAnswers(model: EngramModel, tokenizer: EngramTokenizer, fact: Fact, skip: readonly Fact[] = [], options: OwnAnswerOptions = {}): Promise<Fact[]> {
  const minProb = options.minProb ?? 0.5;
  const maxTokens = options.maxTokens ?? 8;
  const relations = otherRelations(fact, skip);
  if (relations.length === 0) return [];
  const prompts = relations.map((relation) => tokenizer.encode(scoringParts(questionTemplate(relation), { subject: fact.subject, relation, object: '' }).prompt));
  const newline = tokenizer.encode('\n');
  const decoded = await greedyDecodeBatchWithProbs(model, prompts, maxTokens + 1, [tokenizer.eosId, ...newline]);
  const out: Fact[] = [];
  for (const [i, { ids, probs }] of decoded.entries()) {
    const object = tokenizer.decode(ids).trim();
    if (ids.length === 0 || ids.length > maxTokens || probs.some((p) => p < minProb) || object.length === 0) return [];
    out.push({ subject: fact.subject, relation: relations[i], object });
  }
  return out;
}

/** `earlier` with the model's own answers about the subject added to what it rehearses (minProb 0: unchanged). */
export async function withOwnAnswers(model: EngramModel, tokenizer: EngramTokenizer, fact: Fact, earlier: EarlierFacts, minProb: number): Promise<EarlierFacts> {
  if (!(minProb > 0)) return earlier;
  const own = await ownAnswers(model, tokenizer, fact, earlier.rehearse, { minProb });
  return own.length === 0 ? earlier : { ...earlier, rehearse: [...earlier.rehearse, ...own] };
}
