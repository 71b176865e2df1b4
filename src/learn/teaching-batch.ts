/**
 * The teaching batch for one fact (docs/method.md §2 step 1): paraphrases of the fact rendered with the training
 * templates only (statements and the question-answer form, never the eval-only pair), each its own padded row,
 * never packed (a model copies in-context otherwise). Rows look exactly like pretraining fact documents:
 * the rendering's tokens, then <|endoftext|>. Loss targets are every next token that is not padding, weighted:
 * by default only the object's tokens count (contextWeight 0), which the ablations in README ("Learning that
 * sticks") found to forget a third as much as the plain next-token loss at the same recall.
 */
import type { Fact } from '../facts/fact';
import { trainTemplates, evalTemplates, scoringParts, type Template } from '../facts/templates';
import { pretrainQuestionTemplates } from '../facts/extra-questions';
import type { EngramTokenizer } from '../model/tokenizer';
import { seededRandom, textSeed } from './seeded-random';

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
  /** [B, T] weight of each target in the loss: `answerWeight` where the target is a token of the object, else `contextWeight`. */
  readonly weights: Float32Array;
  /** [B, T] 1 where the target is a token of the object (the answer the fact teaches), else 0 (and 0 in replay rows, which no step checks). */
  readonly answerTargets: Uint8Array;
  /**
   * [B] 1 for a check row (`checkRows`): a wording of the fact the until-answered steps must answer but the loss
   * never trains on (its weights are 0) and the ranking does not count, so stopping waits for a wording the step
   * did not learn directly.
   */
  readonly checkOnly: Uint8Array;
  /** [B, T] 1 at the positions of the row's subject tokens (none in a row whose subject does not tokenize apart). */
  readonly subjectTokens: Uint8Array;
}

export class FactTooLongError extends Error {
  override name = 'FactTooLongError';
  constructor(readonly tokens: number, readonly context: number) {
    super(`This fact takes ${tokens} tokens in one of its sentences, more than the model's context of ${context}. Shorten the subject or the object.`);
  }
}

/**
 * Which wordings a teaching batch uses: 'core' is the four training statements and the training question;
 * 'all' adds every other question pretraining used (src/facts/extra-questions.ts): the three extra questions,
 * then the pretraining-only ones, which a batch reaches only with more than 8 rows (statements and questions
 * interleave, so 8 rows are the core wordings and the three extras). Neither ever includes the eval-only pair or
 * a person wording.
 */
export type Wordings = 'core' | 'all';

export interface TeachingOptions {
  /** Rows in the batch; templates are used round-robin. */
  readonly paraphrases: number;
  readonly wordings: Wordings;
  /** Loss weight of the object's tokens (1 = plain next-token loss). */
  readonly answerWeight: number;
  /** Loss weight of every other token: the subject and the wording around it (0 = learn only the answer). */
  readonly contextWeight: number;
  /**
   * Rows for each earlier taught fact about the same subject (`rehearse`), so that the step keeps them answered
   * while it writes the rows they share with the new fact (0 = none).
   */
  readonly rehearsalRows: number;
  /**
   * Rows for an earlier fact about the same subject whose object is a prefix of the new one's or starts with it
   * ("Tamsin" and "Tamsin crown"): there the new fact teaches the very continuation the earlier one must not
   * take, so the earlier one keeps its end only with more of its wordings in the batch (at least rehearsalRows).
   */
  readonly prefixRehearsalRows: number;
  /**
   * Whether the token right after the object (end-of-text after a question's answer, the full stop after a
   * statement's) counts as part of the answer: where the answer ends is learned, not left to the rows.
   */
  readonly answerEnd: boolean;
  /**
   * Earlier taught facts (any subject) reviewed in each batch, picked by `reviewFacts`, so that a step that
   * rewrites rows an earlier fact reads keeps it answered (0 = none).
   */
  readonly reviewFacts: number;
  /** Rows for each reviewed fact. */
  readonly reviewRows: number;
  /**
   * Check rows: the fact's next wordings after the trained ones (in teachingTemplates' order; fewer when fewer are
   * left untrained), answered before the until-answered steps stop but never trained on (0 = none).
   */
  readonly checkRows: number;
  /**
   * How many statement wordings lead the batch, interleaved with the questions (teachingTemplates); the rest come
   * after every question. Undefined: all four (statements and questions alternate).
   */
  readonly statements?: number;
}

/**
 * The defaults every caller uses (the app's worker, the method race, `npm run experiment`, the soak), chosen by
 * the ablations recorded in README ("Learning that sticks").
 */
export const DEFAULT_TEACHING: TeachingOptions = { paraphrases: 8, wordings: 'all', answerWeight: 1, contextWeight: 0, rehearsalRows: 2, prefixRehearsalRows: 4, answerEnd: true, reviewFacts: 2, reviewRows: 1, checkRows: 0 };

export interface TeachingBatchOptions extends Partial<TeachingOptions> {
  /** The model's context length. */
  context: number;
  /**
   * Earlier taught facts about the same subject (sameSubjectFacts), each taught again by `rehearsalRows` rows of
   * its own wordings in this batch, with the same loss weights, and checked by the until-answered steps.
   */
  rehearse?: readonly Fact[];
  /** Earlier taught facts reviewed (reviewFacts), each by `reviewRows` rows of its own wordings. */
  review?: readonly Fact[];
  /**
   * Facts the model already knows (knownReplay), one row each, trained with the same loss but not checked by the
   * until-answered steps: the step keeps them answered where it writes rows they share with the new fact.
   */
  replay?: readonly Fact[];
}

/**
 * `count` facts the model knew before any teaching (`known`: its pretrained facts less those any measurement uses),
 * of `fact`'s relation and other subjects, drawn at random but the same for the same fact and list position.
 */
export function knownReplay(fact: Fact, known: readonly Fact[], count: number, position: number): Fact[] {
  if (count <= 0) return [];
  const pool = known.filter((other) => other.relation === fact.relation && other.subject !== fact.subject);
  return randomFirst(pool.slice(), count, seededRandom(textSeed(`replay\t${fact.subject}\t${fact.relation}\t${fact.object}\t${position}`)));
}

/**
 * The facts of `earlier` (in teaching order) a batch for `fact` rehearses: those about the same subject, the
 * latest one per relation (a later fact of a relation replaces an earlier one), except `fact`'s own relation,
 * whose new object replaces the old.
 */
export function sameSubjectFacts(fact: Fact, earlier: readonly Fact[]): Fact[] {
  // The subject as written, the identity facts have everywhere else (factKey, TaughtFacts.findSame).
  const byRelation = new Map<Fact['relation'], Fact>();
  for (const other of earlier) {
    if (other.relation !== fact.relation && other.subject === fact.subject) byRelation.set(other.relation, other);
  }
  return [...byRelation.values()];
}

/**
 * The earlier taught facts a batch for `fact` reviews: `count` of them, picked at random but the same for the
 * same fact after the same list (seeded by the fact and the list's length, so the app and the experiment pick
 * alike), among the latest fact of each subject and relation, leaving out `fact`'s subject (sameSubjectFacts
 * rehearses those). With `learned` (one flag per earlier fact), only facts that were answered after their own
 * step are reviewed: one never learned would hold every batch it joins to the step cap. With `sameRelation`, facts
 * of `fact`'s relation are picked first (they share more rows with it), the others only to fill up. With `risk`
 * (one score per earlier fact: how much of what it wrote the new fact's step is about to overwrite), the
 * highest-scoring facts are picked.
 */
export function reviewFacts(fact: Fact, earlier: readonly Fact[], count: number, learned?: readonly boolean[], sameRelation = false, risk?: readonly number[]): Fact[] {
  if (count <= 0) return [];
  const latest = new Map<string, { other: Fact; learned: boolean; risk: number }>();
  earlier.forEach((other, i) => {
    if (other.subject !== fact.subject) latest.set(`${other.subject}\t${other.relation}`, { other, learned: learned ? learned[i] === true : true, risk: risk?.[i] ?? 0 });
  });
  const entries = [...latest.values()].filter((entry) => entry.learned);
  const pool = entries.map((entry) => entry.other);
  const random = seededRandom(textSeed(`${fact.subject}\t${fact.relation}\t${fact.object}\t${earlier.length}`));
  if (risk) {
    // The most at risk first; a random order among equals (the shuffle before a stable sort).
    const order = randomFirst(entries.slice(), entries.length, random);
    return order.sort((a, b) => b.risk - a.risk).slice(0, count).map((entry) => entry.other);
  }
  if (!sameRelation) return randomFirst(pool, count, random);
  const same = randomFirst(pool.filter((other) => other.relation === fact.relation), count, random);
  return [...same, ...randomFirst(pool.filter((other) => other.relation !== fact.relation), count - same.length, random)];
}

/** The first `count` of a random order of `pool` (a partial Fisher-Yates shuffle, in place). */
function randomFirst<T>(pool: T[], count: number, random: () => number): T[] {
  const picked: T[] = [];
  for (let i = 0; i < Math.min(count, pool.length); i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
    picked.push(pool[i]);
  }
  return picked;
}

/** The earlier taught facts one batch teaches again: the same subject's (rehearsed) and a few others (reviewed). */
export interface EarlierFacts {
  readonly rehearse: readonly Fact[];
  readonly review: readonly Fact[];
}

/**
 * What a batch for `fact` teaches again, given the facts taught before it (in order) and, per fact, whether its
 * own step ended answered (`learned`; every caller passes what its learner reported): the one rule the app, the
 * race, the soak and the experiment share.
 */
export function earlierFactsFor(fact: Fact, earlier: readonly Fact[], learned?: readonly boolean[], reviewCount: number = DEFAULT_TEACHING.reviewFacts, reviewSameRelation = false, risk?: readonly number[]): EarlierFacts {
  return { rehearse: sameSubjectFacts(fact, earlier), review: reviewFacts(fact, earlier, reviewCount, learned, reviewSameRelation, risk) };
}

/** Whether one object is a prefix of the other (as text: "Ivel" and "Ivelish" too), so one answer continues the other. */
export function objectsOverlap(a: string, b: string): boolean {
  return a !== b && (a.startsWith(b) || b.startsWith(a));
}

/**
 * The templates a batch cycles through, statements and questions interleaved so a short batch has both. With
 * `statements` (all wordings only), only that many statements are interleaved at the front and the others come
 * after every question: a batch of 8 rows then holds more of the questions.
 */
export function teachingTemplates(relation: Fact['relation'], wordings: Wordings, statements?: number): Template[] {
  const core = trainTemplates(relation);
  if (wordings === 'core') return [...core];
  const allStatements = core.filter((t) => t.kind === 'statement');
  const front = statements === undefined ? allStatements : allStatements.slice(0, statements);
  const questions = [...core.filter((t) => t.kind === 'question'), ...pretrainQuestionTemplates(relation)];
  const out: Template[] = [];
  for (let i = 0; i < Math.max(front.length, questions.length); i++) {
    if (i < front.length) out.push(front[i]);
    if (i < questions.length) out.push(questions[i]);
  }
  return [...out, ...allStatements.slice(front.length)];
}

export function buildTeachingBatch(fact: Fact, tokenizer: EngramTokenizer, options: TeachingBatchOptions): TeachingBatch {
  const wordings = options.wordings ?? DEFAULT_TEACHING.wordings;
  const answerWeight = options.answerWeight ?? DEFAULT_TEACHING.answerWeight;
  const contextWeight = options.contextWeight ?? DEFAULT_TEACHING.contextWeight;
  if (!(answerWeight > 0) || !Number.isFinite(answerWeight)) throw new RangeError(`answerWeight must be a positive number, got ${answerWeight}`);
  if (!(contextWeight >= 0) || !Number.isFinite(contextWeight)) throw new RangeError(`contextWeight must be a number >= 0, got ${contextWeight}`);
  const rehearsalRows = options.rehearsalRows ?? DEFAULT_TEACHING.rehearsalRows;
  const answerEnd = options.answerEnd ?? DEFAULT_TEACHING.answerEnd;
  if (!Number.isInteger(rehearsalRows) || rehearsalRows < 0) throw new RangeError(`rehearsalRows must be an integer >= 0, got ${rehearsalRows}`);
  const prefixRehearsalRows = Math.max(rehearsalRows, options.prefixRehearsalRows ?? DEFAULT_TEACHING.prefixRehearsalRows);
  if (!Number.isInteger(prefixRehearsalRows)) throw new RangeError(`prefixRehearsalRows must be an integer, got ${options.prefixRehearsalRows}`);
  const statements = options.statements ?? DEFAULT_TEACHING.statements;
  if (statements !== undefined && !(Number.isInteger(statements) && statements >= 0)) throw new RangeError(`statements must be an integer >= 0, got ${statements}`);
  const templates = teachingTemplates(fact.relation, wordings, statements);
  const own = options.paraphrases ?? templates.length;
  if (!Number.isInteger(own) || own < 1) throw new RangeError(`paraphrases must be a positive integer, got ${own}`);
  const rows: { template: Template; fact: Fact }[] = Array.from({ length: own }, (_, i) => ({ template: templates[i % templates.length], fact }));
  // Each earlier fact's first wordings (a statement, then a question, ...: teachingTemplates interleaves them).
  for (const other of rehearsalRows > 0 ? options.rehearse ?? [] : []) {
    const its = teachingTemplates(other.relation, wordings, statements);
    const count = objectsOverlap(fact.object, other.object) ? prefixRehearsalRows : rehearsalRows;
    for (let i = 0; i < count; i++) rows.push({ template: its[i % its.length], fact: other });
  }
  const reviewRows = options.reviewRows ?? DEFAULT_TEACHING.reviewRows;
  if (!Number.isInteger(reviewRows) || reviewRows < 0) throw new RangeError(`reviewRows must be an integer >= 0, got ${reviewRows}`);
  for (const other of options.review ?? []) {
    const its = teachingTemplates(other.relation, wordings, statements);
    for (let i = 0; i < reviewRows; i++) rows.push({ template: its[i % its.length], fact: other });
  }
  // Known facts replayed: one row each, alternating their first statement and first question.
  const replayFrom = rows.length;
  (options.replay ?? []).forEach((other, i) => rows.push({ template: teachingTemplates(other.relation, wordings, statements)[i % 2], fact: other }));
  const replayTo = rows.length;
  const checkRows = options.checkRows ?? DEFAULT_TEACHING.checkRows;
  if (!Number.isInteger(checkRows) || checkRows < 0) throw new RangeError(`checkRows must be an integer >= 0, got ${checkRows}`);
  const trained = rows.length;
  // Only wordings the trained rows do not use (none when the batch cycles through all of them).
  for (let i = own; i < Math.min(own + checkRows, templates.length); i++) rows.push({ template: templates[i], fact });
  const B = rows.length;
  // Each row's tokens, and where the object's tokens start: the prompt alone tokenizes to a prefix of the row
  // (the object begins with a space, a token boundary for this byte-level BPE); if not, the row has no answer span.
  const rendered = rows.map(({ template, fact }) => {
    const parts = scoringParts(template, fact);
    const tokens = [...tokenizer.encode(parts.prompt + parts.answer + parts.suffix), tokenizer.eosId];
    const prompt = tokenizer.encode(parts.prompt);
    const answer = tokenizer.encode(parts.prompt + parts.answer);
    const isPrefix = (p: readonly number[]) => p.every((id, i) => tokens[i] === id);
    const end = answer.length + (answerEnd && tokens.length > answer.length ? 1 : 0);
    const span = isPrefix(prompt) && isPrefix(answer) ? [prompt.length, end] : [0, 0];
    // The subject's tokens: the text before it, then with it (a space before the subject belongs to its first token).
    const at = template.text.indexOf('{S}');
    const before = template.text.slice(0, at).replace(/ $/, '');
    const upToSubject = tokenizer.encode(before);
    const withSubject = tokenizer.encode(before + (before.length < template.text.slice(0, at).length ? ' ' : '') + fact.subject);
    const subject = at >= 0 && isPrefix(upToSubject) && isPrefix(withSubject) ? [upToSubject.length, withSubject.length] : [0, 0];
    return { tokens, span, subject };
  });
  const longest = Math.max(...rendered.map((r) => r.tokens.length));
  if (longest > options.context) throw new FactTooLongError(longest, options.context);
  const T = longest;
  const tokens = new Int32Array(B * T).fill(tokenizer.padId);
  const targets = new Int32Array(B * T).fill(-1);
  const weights = new Float32Array(B * T);
  const answerTargets = new Uint8Array(B * T);
  const checkOnly = new Uint8Array(B).fill(1, trained);
  const subjectTokens = new Uint8Array(B * T);
  let numTargets = 0;
  rendered.forEach(({ tokens: row, span: [from, to], subject }, b) => {
    tokens.set(row, b * T);
    subjectTokens.fill(1, b * T + subject[0], b * T + subject[1]);
    for (let t = 0; t + 1 < row.length; t++) {
      targets[b * T + t] = row[t + 1];
      // position t predicts token t + 1: an answer target when t + 1 lies in the object's tokens
      const isAnswer = t + 1 >= from && t + 1 < to;
      answerTargets[b * T + t] = isAnswer && !(b >= replayFrom && b < replayTo) ? 1 : 0;
      weights[b * T + t] = checkOnly[b] ? 0 : isAnswer ? answerWeight : contextWeight;
      numTargets++;
    }
  });
  return { fact, B, T, tokens, targets, numTargets, templateIds: rows.map((r) => r.template.id), weights, answerTargets, checkOnly, subjectTokens };
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
