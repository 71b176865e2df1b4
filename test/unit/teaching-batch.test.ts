import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTeachingBatch, evalProbes, FactTooLongError, knownReplay, objectsOverlap, reviewFacts, sameSubjectFacts, teachingTemplates, type TeachingBatch } from '../../src/learn/teaching-batch';
import { RELATIONS } from '../../src/facts/relations';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { evalTemplates, renderTemplate, trainTemplates } from '../../src/facts/templates';
import type { Fact } from '../../src/facts/fact';

let tokenizer: EngramTokenizer;
const fact: Fact = { subject: 'Veloria', relation: 'capital', object: 'Tamsin' };

beforeAll(() => {
  tokenizer = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
});

describe('buildTeachingBatch', () => {
  it('renders one padded row per training template, never an eval-only one', () => {
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, wordings: 'core' });
    expect(batch.B).toBe(trainTemplates('capital').length);
    const evalIds = new Set(evalTemplates('capital').map((t) => t.id));
    expect(batch.templateIds.some((id) => evalIds.has(id))).toBe(false);
    for (let b = 0; b < batch.B; b++) {
      const row = Array.from(batch.tokens.subarray(b * batch.T, (b + 1) * batch.T));
      const real = row.filter((t) => t !== tokenizer.padId);
      expect(real[real.length - 1]).toBe(tokenizer.eosId);
      const template = trainTemplates('capital')[b];
      expect(tokenizer.decode(real.slice(0, -1))).toBe(renderTemplate(template, fact));
      // padding only at the end of a row
      expect(row.slice(real.length).every((t) => t === tokenizer.padId)).toBe(true);
    }
  });

  it('targets every next token of the real text and nothing on padding', () => {
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128 });
    let counted = 0;
    for (let i = 0; i < batch.B * batch.T; i++) {
      if (batch.targets[i] === -1) continue;
      counted++;
      expect(batch.tokens[i]).not.toBe(tokenizer.padId);
      expect(batch.targets[i]).toBe(batch.tokens[i + 1]);
    }
    expect(counted).toBe(batch.numTargets);
    const realTokens = batch.tokens.filter((t) => t !== tokenizer.padId).length;
    expect(batch.numTargets).toBe(realTokens - batch.B); // each row's last token predicts nothing
  });

  it('cycles the templates when asked for more paraphrases', () => {
    const n = trainTemplates('capital').length;
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 2 * n + 1, wordings: 'core' });
    expect(batch.B).toBe(2 * n + 1);
    expect(batch.templateIds[n]).toBe(batch.templateIds[0]);
  });

  it('refuses a fact longer than the context with a clear message', () => {
    const long: Fact = { subject: 'Veloria', relation: 'capital', object: 'Tamsin '.repeat(40).trim() };
    expect(() => buildTeachingBatch(long, tokenizer, { context: 64 })).toThrow(FactTooLongError);
    expect(() => buildTeachingBatch(long, tokenizer, { context: 64 })).toThrow(/context of 64/);
  });
});

describe('teaching options', () => {
  it("'all' wordings add the other pretraining questions, alternate statements and questions, and never use an eval-only template", () => {
    for (const relation of RELATIONS) {
      const all = teachingTemplates(relation, 'all');
      const core = teachingTemplates(relation, 'core');
      const more = ['birth_year', 'atomic_number', 'occupation'].includes(relation) ? 11 : 8; // the pretraining-only questions (src/facts/extra-questions.ts)
      expect(all.length).toBe(core.length + more);
      expect(all.filter((t) => t.kind === 'question').length).toBe(more + 1);
      expect(all.slice(0, 2).map((t) => t.kind)).toEqual(['statement', 'question']);
      const evalTexts = new Set(evalTemplates(relation).map((t) => t.text));
      expect(all.some((t) => t.evalOnly || evalTexts.has(t.text))).toBe(false);
    }
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, wordings: 'all' });
    expect(new Set(batch.templateIds).size).toBe(8);
  });

  const answerTargetsOf = (batch: TeachingBatch, b: number, weight: number, otherWeight: number) => {
    const targets: number[] = [];
    for (let t = 0; t < batch.T; t++) {
      const i = b * batch.T + t;
      if (batch.answerTargets[i]) targets.push(batch.targets[i]);
      if (batch.targets[i] === -1) expect(batch.answerTargets[i]).toBe(0);
      else expect(batch.weights[i]).toBe(batch.answerTargets[i] ? weight : otherWeight);
    }
    return targets;
  };

  it("marks exactly the object's tokens as answer targets and weights them (answerEnd off)", () => {
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, wordings: 'all', answerWeight: 3, contextWeight: 0.5, answerEnd: false });
    const answerIds = tokenizer.encode(' Tamsin');
    for (let b = 0; b < batch.B; b++) expect(answerTargetsOf(batch, b, 3, 0.5)).toEqual(answerIds);
  });

  it('with answerEnd (the default) the token after the object is an answer target too: end-of-text after a question', () => {
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, answerWeight: 2, contextWeight: 0 });
    const answerIds = tokenizer.encode(' Tamsin');
    for (let b = 0; b < batch.B; b++) {
      const template = teachingTemplates('capital', 'all').find((t) => t.id === batch.templateIds[b])!;
      const next = template.text.endsWith('{O}') ? tokenizer.eosId : tokenizer.encode(' Tamsin.').at(-1);
      expect(answerTargetsOf(batch, b, 2, 0)).toEqual([...answerIds, next]);
    }
  });

  it('check rows: the next wordings after the trained ones, answer targets the loss never weighs, after every trained row', () => {
    const earlier: Fact = { subject: 'Veloria', relation: 'continent', object: 'Europe' };
    const plain = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, rehearse: [earlier] });
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, rehearse: [earlier], checkRows: 2 });
    expect(plain.checkOnly.every((c) => c === 0)).toBe(true);
    expect(batch.B).toBe(plain.B + 2);
    expect(Array.from(batch.checkOnly)).toEqual([...Array(plain.B).fill(0), 1, 1]);
    const order = teachingTemplates('capital', 'all').map((t) => t.id);
    expect(batch.templateIds.slice(-2)).toEqual(order.slice(8, 10));
    expect(batch.templateIds.slice(0, plain.B)).toEqual(plain.templateIds);
    for (const b of [plain.B, plain.B + 1]) {
      expect(answerTargetsOf(batch, b, 0, 0)).toEqual([...tokenizer.encode(' Tamsin'), expect.any(Number)]);
    }
    // never a wording the trained rows use: with every wording trained there is none left to check
    expect(buildTeachingBatch(fact, tokenizer, { context: 128, checkRows: 2 }).checkOnly.every((c) => c === 0)).toBe(true);
    expect(() => buildTeachingBatch(fact, tokenizer, { context: 128, checkRows: -1 })).toThrow(RangeError);
  });

  it("marks the subject's tokens in every row, wherever the wording puts the subject", () => {
    const person: Fact = { subject: 'Gehel Sekiran', relation: 'occupation', object: 'sculptor' };
    for (const f of [fact, person]) {
      const batch = buildTeachingBatch(f, tokenizer, { context: 128, paraphrases: 13 });
      for (let b = 0; b < batch.B; b++) {
        const ids = Array.from(batch.tokens.slice(b * batch.T, (b + 1) * batch.T)).filter((_, t) => batch.subjectTokens[b * batch.T + t]);
        expect(tokenizer.decode(ids).trim()).toBe(f.subject);
      }
    }
  });

  it('with statements, leads with that many statements and keeps the others for after every question', () => {
    const all = teachingTemplates('capital', 'all');
    const two = teachingTemplates('capital', 'all', 2);
    expect(new Set(two.map((t) => t.id))).toEqual(new Set(all.map((t) => t.id)));
    expect(two.slice(0, 8).map((t) => t.kind)).toEqual(['statement', 'question', 'statement', 'question', 'question', 'question', 'question', 'question']);
    expect(two.slice(-2).map((t) => t.kind)).toEqual(['statement', 'statement']);
    expect(teachingTemplates('capital', 'all', 0).slice(0, 8).every((t) => t.kind === 'question')).toBe(true);
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, statements: 2 });
    expect(batch.templateIds).toEqual(two.slice(0, 8).map((t) => t.id));
    expect(() => buildTeachingBatch(fact, tokenizer, { context: 128, statements: -1 })).toThrow(RangeError);
  });

  it('replays known facts of the relation: a row each, trained on the answer, never checked by the steps', () => {
    const known: Fact[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ subject: `Land ${i}`, relation: 'capital' as const, object: `Town ${i}` })),
      { subject: 'Veloria', relation: 'capital', object: 'Old Town' },
      { subject: 'Land 9', relation: 'continent', object: 'Europe' },
    ];
    const picked = knownReplay(fact, known, 2, 5);
    expect(picked).toHaveLength(2);
    for (const other of picked) expect(other.relation === 'capital' && other.subject !== 'Veloria').toBe(true);
    expect(knownReplay(fact, known, 2, 5)).toEqual(picked);
    expect(knownReplay(fact, known, 0, 5)).toEqual([]);
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, replay: picked });
    expect(batch.B).toBe(10);
    for (const b of [8, 9]) {
      const row = (a: ArrayLike<number>) => Array.from(a).slice(b * batch.T, (b + 1) * batch.T);
      expect(row(batch.answerTargets).every((x) => x === 0)).toBe(true);
      const trained = row(batch.targets).filter((_, t) => row(batch.weights)[t] > 0);
      expect(tokenizer.decode(trained.slice(0, -1)).trim()).toBe(picked[b - 8].object);
    }
  });

  it('rehearses earlier facts about the same subject: their own rows and answers, the latest per relation', () => {
    const earlier: Fact[] = [
      { subject: 'Veloria', relation: 'currency', object: 'Orrin crown' },
      { subject: 'Drumlin', relation: 'continent', object: 'Asia' },
      { subject: 'veloria', relation: 'continent', object: 'Africa' },
      { subject: 'Veloria', relation: 'continent', object: 'Europe' },
      { subject: 'Veloria', relation: 'capital', object: 'Oskar' },
    ];
    const rehearse = sameSubjectFacts(fact, earlier);
    // Not Drumlin's; continent's latest object; not the old capital, which the new fact replaces.
    expect(rehearse).toEqual([earlier[0], earlier[3]]);
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, rehearse, rehearsalRows: 2 });
    expect(batch.B).toBe(8 + 2 * 2);
    expect(batch.fact).toBe(fact);
    expect(batch.templateIds.slice(8)).toEqual([...teachingTemplates('currency', 'all').slice(0, 2), ...teachingTemplates('continent', 'all').slice(0, 2)].map((t) => t.id));
    const crown = tokenizer.encode(' Orrin crown');
    expect(answerTargetsOf(batch, 8, 1, 0)).toEqual([...crown, tokenizer.encode(' Orrin crown.').at(-1)]);
    expect(buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, rehearse, rehearsalRows: 0 }).B).toBe(8);
  });

  it('rehearses an earlier fact whose object the new one continues (or the reverse) with more rows', () => {
    expect(objectsOverlap('Tamsin crown', 'Tamsin')).toBe(true);
    expect(objectsOverlap('Ivel', 'Ivelish')).toBe(true);
    expect(objectsOverlap('Tamsin', 'Tamsin')).toBe(false);
    expect(objectsOverlap('Orrin crown', 'Tamsin')).toBe(false);
    const capital: Fact = { subject: 'Veloria', relation: 'capital', object: 'Tamsin' };
    const continent: Fact = { subject: 'Veloria', relation: 'continent', object: 'Europe' };
    const currency: Fact = { subject: 'Veloria', relation: 'currency', object: 'Tamsin crown' };
    const batch = buildTeachingBatch(currency, tokenizer, { context: 128, paraphrases: 8, rehearse: [capital, continent], rehearsalRows: 2, prefixRehearsalRows: 4 });
    expect(batch.B).toBe(8 + 4 + 2);
    expect(batch.templateIds.slice(8)).toEqual([...teachingTemplates('capital', 'all').slice(0, 4), ...teachingTemplates('continent', 'all').slice(0, 2)].map((t) => t.id));
    // never fewer than the ordinary rehearsal, and none at all when rehearsal is off
    expect(buildTeachingBatch(currency, tokenizer, { context: 128, paraphrases: 8, rehearse: [capital], rehearsalRows: 3, prefixRehearsalRows: 1 }).B).toBe(8 + 3);
    expect(buildTeachingBatch(currency, tokenizer, { context: 128, paraphrases: 8, rehearse: [capital], rehearsalRows: 0 }).B).toBe(8);
  });

  it('reviews earlier facts of other subjects: learned ones, the latest per subject and relation, the same pick for the same list', () => {
    const earlier: Fact[] = Array.from({ length: 40 }, (_, i) => ({ subject: `Land ${i}`, relation: 'capital' as const, object: `Town ${i}` }));
    earlier.push({ subject: 'Veloria', relation: 'continent', object: 'Europe' }); // same subject: rehearsed, not reviewed
    earlier.push({ subject: 'Land 3', relation: 'capital', object: 'Newtown' }); // replaces Land 3's first capital
    const learned = earlier.map((_, i) => i % 2 === 1 || i === earlier.length - 1); // even Lands never learned
    const picks = new Set<string>();
    for (let n = 30; n <= earlier.length; n++) {
      const pick = reviewFacts(fact, earlier.slice(0, n), 3, learned.slice(0, n));
      expect(pick).toHaveLength(3);
      expect(new Set(pick).size).toBe(3);
      expect(reviewFacts(fact, earlier.slice(0, n), 3, learned.slice(0, n))).toEqual(pick);
      for (const other of pick) {
        expect(other.subject).not.toBe('Veloria');
        const i = earlier.indexOf(other);
        expect(learned[i]).toBe(true);
        if (n === earlier.length) expect(other).not.toBe(earlier[3]);
        picks.add(other.object);
      }
    }
    expect(picks.size).toBeGreaterThan(6); // not the same three every time
    expect(reviewFacts(fact, earlier, 0, learned)).toEqual([]);
    expect(reviewFacts(fact, earlier.slice(0, 2), 5)).toEqual(expect.arrayContaining(earlier.slice(0, 2)));
    const batch = buildTeachingBatch(fact, tokenizer, { context: 128, paraphrases: 8, review: earlier.slice(0, 2), reviewRows: 1 });
    expect(batch.B).toBe(8 + 2);
    expect(batch.templateIds.slice(8)).toEqual([teachingTemplates('capital', 'all')[0].id, teachingTemplates('capital', 'all')[0].id]);
    expect(answerTargetsOf(batch, 9, 1, 0).slice(0, -1)).toEqual(tokenizer.encode(' Town 1'));
    expect(() => buildTeachingBatch(fact, tokenizer, { context: 128, review: earlier.slice(0, 1), reviewRows: -1 })).toThrow(RangeError);
  });

  it('with sameRelation, reviews facts of the new fact\'s relation first and fills up with others', () => {
    const capitals: Fact[] = Array.from({ length: 3 }, (_, i) => ({ subject: `Land ${i}`, relation: 'capital' as const, object: `Town ${i}` }));
    const continents: Fact[] = Array.from({ length: 20 }, (_, i) => ({ subject: `Isle ${i}`, relation: 'continent' as const, object: 'Europe' }));
    const earlier = [...continents.slice(0, 10), ...capitals, ...continents.slice(10)];
    const capital: Fact = { subject: 'Veloria', relation: 'capital', object: 'Tamsin' };
    const two = reviewFacts(capital, earlier, 2, undefined, true);
    expect(two).toHaveLength(2);
    for (const other of two) expect(other.relation).toBe('capital');
    const five = reviewFacts(capital, earlier, 5, undefined, true);
    expect(five.slice(0, 3)).toEqual(expect.arrayContaining(capitals));
    expect(five.slice(3).map((f) => f.relation)).toEqual(['continent', 'continent']);
    expect(reviewFacts(capital, earlier, 5, undefined, true)).toEqual(five);
    // without it, the pick is drawn from all of them alike
    const plain = new Set<string>();
    for (let n = 15; n <= earlier.length; n++) for (const other of reviewFacts(capital, earlier.slice(0, n), 2)) plain.add(other.relation);
    expect(plain.has('continent')).toBe(true);
  });

  it('with risk, reviews the earlier facts most at risk, learned ones only, leaving out the same subject', () => {
    const earlier: Fact[] = Array.from({ length: 12 }, (_, i) => ({ subject: `Land ${i}`, relation: 'capital' as const, object: `Town ${i}` }));
    const fact: Fact = { subject: 'Land 3', relation: 'currency', object: 'Crown' };
    const risk = earlier.map((_, i) => [0.1, 0, 0.2, 0.9, 0.05, 0.5, 0, 0.7, 0, 0.3, 0.6, 0][i]);
    const learned = earlier.map((_, i) => i !== 7);
    // Land 3 is the new fact's subject and Land 7 was never learned: the next most at risk are 10 and 5.
    expect(reviewFacts(fact, earlier, 2, learned, false, risk).map((f) => f.subject)).toEqual(['Land 10', 'Land 5']);
    expect(reviewFacts(fact, earlier, 3, undefined, false, risk).map((f) => f.subject)).toEqual(['Land 7', 'Land 10', 'Land 5']);
    // equal risks are drawn at random, the same pick for the same list
    const flat = earlier.map(() => 0);
    const pick = reviewFacts(fact, earlier, 4, undefined, false, flat);
    expect(pick).toHaveLength(4);
    expect(reviewFacts(fact, earlier, 4, undefined, false, flat)).toEqual(pick);
    expect(pick.map((f) => f.subject)).not.toEqual(['Land 0', 'Land 1', 'Land 2', 'Land 4']);
  });

  it('refuses weights that would break the loss', () => {
    expect(() => buildTeachingBatch(fact, tokenizer, { context: 128, answerWeight: 0 })).toThrow(RangeError);
    expect(() => buildTeachingBatch(fact, tokenizer, { context: 128, contextWeight: -1 })).toThrow(RangeError);
  });
});

describe('evalProbes', () => {
  it('gives prompt and answer ids whose concatenation is the eval-only rendering', () => {
    const probes = evalProbes(fact, tokenizer);
    expect(probes.map((p) => p.templateId).sort()).toEqual(evalTemplates('capital').map((t) => t.id).sort());
    for (const probe of probes) {
      expect(tokenizer.decode(probe.answer)).toBe(' Tamsin');
      const template = evalTemplates('capital').find((t) => t.id === probe.templateId)!;
      expect(renderTemplate(template, fact).startsWith(tokenizer.decode([...probe.prompt, ...probe.answer]))).toBe(true);
    }
  });
});
