/**
 * Learning, not only log-probability: a short stream of invented facts taught with the shipped defaults (the
 * method registry's sparse settings and the default teaching batch, exactly what the app and `npm run
 * experiment` use) is answered by each fact's eval-only question, a wording never seen in pretraining or in a
 * teaching batch, at the end of the stream. Also: the until-answered steps stop as soon as every wording of the
 * batch gives the object, and never write rows on a step that found the fact answered. And a second fact about a
 * subject does not overwrite the first one's answer (the earlier fact rehearsed in the batch, the answer's end learned).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { EngramModel } from '../../src/model/transformer';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { buildTeachingBatch, DEFAULT_TEACHING, earlierFactsFor, sameSubjectFacts } from '../../src/learn/teaching-batch';
import { answersEveryWording } from '../../src/learn/answer-check';
import { createLearner, methodSpec } from '../../src/learn/methods';
import { SparseMemoryLearner } from '../../src/learn/sparse-learner';
import { backgroundOf } from '../../src/learn/tfidf';
import { shippedBackground } from '../../src/learn/background-node';
import { scoreFacts } from '../../src/eval/fact-recall';
import type { Fact } from '../../src/facts/fact';

let ckpt: Checkpoint;
let tok: EngramTokenizer;
const models: EngramModel[] = [];

// Invented entities (names checked against everything the model was trained on by the data build), one fact
// per relation the base model answers well on its own pretraining facts.
const STREAM: Fact[] = [
  { subject: 'Veloria', relation: 'capital', object: 'Tamsin' },
  { subject: 'Drakovia', relation: 'continent', object: 'South America' },
  { subject: 'Brelisar Tomaz', relation: 'nationality', object: 'Finnish' },
  { subject: 'Kelmaron', relation: 'city_country', object: 'Portugal' },
  { subject: 'Sunevaria', relation: 'language', object: 'Greek' },
  { subject: 'Thoravesh', relation: 'capital', object: 'Mirabel' },
];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
}, 120_000);

afterAll(() => models.forEach((m) => m.dispose()));

function freshModel(): EngramModel {
  const model = EngramModel.fromCheckpoint(ckpt);
  models.push(model);
  return model;
}

describe('the shipped defaults learn a short stream of invented facts', () => {
  it('answers each fact with its eval-only question at the end of the stream, where the base model answered none', async () => {
    const model = freshModel();
    const before = await scoreFacts(model, tok, STREAM);
    expect(before.filter((s) => s.exactMatch).length).toBe(0);
    const learner = createLearner('sparse', model, shippedBackground(ckpt, tok));
    // As the app teaches: each batch also teaches again the earlier facts the defaults name (earlierFactsFor).
    const learned: boolean[] = [];
    for (const [i, fact] of STREAM.entries()) {
      const earlier = earlierFactsFor(fact, STREAM.slice(0, i), learned);
      learned.push((await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING, ...earlier }))).answered ?? false);
    }
    const after = await scoreFacts(model, tok, STREAM);
    const missed = STREAM.flatMap((f, i) => (after[i].exactMatch ? [] : [`${f.subject} / ${f.relation}: "${after[i].answer}"`]));
    console.log(`defaults ${JSON.stringify(methodSpec('sparse').defaults)}: ${STREAM.length - missed.length} of ${STREAM.length} answered${missed.length ? `; missed ${missed.join(', ')}` : ''}`);
    expect(missed.length).toBeLessThanOrEqual(1);
  }, 300_000);
});

describe('steps until answered', () => {
  it('stops once every wording of the batch gives the object, and a step that finds it answered writes nothing', async () => {
    const model = freshModel();
    const learner = new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 500, lr: 8, steps: 1, maxSteps: 8 });
    const batch = buildTeachingBatch(STREAM[0], tok, { context: model.cfg.context, paraphrases: 8, wordings: 'all' });
    const report = await learner.teach(batch);
    expect(report.steps).toBeGreaterThanOrEqual(1);
    expect(report.steps).toBeLessThanOrEqual(8);
    const predicted = tf.tidy(() => tf.argMax(model.forward(tf.tensor2d(batch.tokens, [batch.B, batch.T], 'int32')).logits, -1));
    const answered = answersEveryWording(batch, (await predicted.data()) as Int32Array);
    predicted.dispose();
    // Either it stopped early because every wording is answered, or it used every step it was allowed.
    expect(answered || report.steps === 8).toBe(true);
    if (report.steps < 8) expect(answered).toBe(true);
    // The report says so (which facts later batches review): answered when the check stopped it before the cap.
    expect(report.answered).toBe(report.steps < 8);

    // Teaching the same, now answered, fact again with no fixed step beyond the first: one step, since the
    // check only starts after the fixed steps; with steps 1 that first step always writes.
    const values = Float32Array.from(await model.values!.data());
    const again = new SparseMemoryLearner(model, backgroundOf(ckpt), { t: 500, lr: 8, steps: 1, maxSteps: 8 });
    const second = await again.teach(batch);
    expect(second.steps).toBe(1);
    expect(second.answered).toBe(true);
    const after = (await model.values!.data()) as Float32Array;
    let changedRows = 0;
    for (let row = 0; row < after.length / model.cfg.valueDim; row++) {
      for (let d = 0; d < model.cfg.valueDim; d++) {
        if (after[row * model.cfg.valueDim + d] !== values[row * model.cfg.valueDim + d]) {
          changedRows++;
          break;
        }
      }
    }
    expect(changedRows).toBeLessThanOrEqual(500); // only the one fixed step's rows
  }, 300_000);
});

describe('a second fact about the same subject', () => {
  // A capital, then a currency or language whose name starts with the capital's: the capital question must still
  // end after the capital. Without the answer's end and the rehearsal (the earlier teaching) it came back
  // "Tamsin crownish". Eight invented pairs, so that one borderline pair does not decide the test: on the shipped
  // model the defaults keep 6 of 8 earlier answers (7 of 8 on the 65,536-slot model), object tokens alone without
  // rehearsal 1 of 8.
  const PAIRS: { first: Fact; second: Fact }[] = (
    [
      ['Veloria', 'Tamsin', 'currency', 'Tamsin crown'],
      ['Quenbria', 'Dovrel', 'currency', 'Dovrel mark'],
      ['Ostavia', 'Kestrel', 'language', 'Kestrelian'],
      ['Marendi', 'Solvik', 'currency', 'Solvik dollar'],
      ['Pellonia', 'Arvet', 'language', 'Arvetic'],
      ['Tirosk', 'Belmar', 'currency', 'Belmar franc'],
      ['Zandria', 'Orlen', 'language', 'Orlenish'],
      ['Cavessa', 'Lunor', 'currency', 'Lunor peso'],
    ] as const
  ).map(([subject, capital, relation, object]) => ({ first: { subject, relation: 'capital', object: capital }, second: { subject, relation, object } }));

  /** Teaches each pair on a fresh model; the eval-only answers to each pair's first and second fact. */
  async function teachPairs(teaching: Partial<typeof DEFAULT_TEACHING>): Promise<{ first: string; second: string }[]> {
    const answers: { first: string; second: string }[] = [];
    for (const { first, second } of PAIRS) {
      const model = EngramModel.fromCheckpoint(ckpt); // disposed below: sixteen fresh models would hold 0.6 GB
      const learner = createLearner('sparse', model, shippedBackground(ckpt, tok));
      const taught: Fact[] = [];
      for (const fact of [first, second]) {
        const rehearse = sameSubjectFacts(fact, taught);
        await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING, ...teaching, rehearse }));
        taught.push(fact);
      }
      const [a, b] = await scoreFacts(model, tok, [first, second]);
      learner.dispose();
      model.dispose();
      answers.push({ first: a.answer, second: b.answer });
    }
    return answers;
  }

  /** How many pairs answer their first (or second) fact's object. */
  const kept = (answers: { first: string; second: string }[], which: 'first' | 'second') => answers.filter((answer, p) => answer[which] === PAIRS[p][which].object).length;

  it('keeps the first answered, with its end, when the earlier fact is rehearsed (and loses it when not)', async () => {
    expect(sameSubjectFacts(PAIRS[0].second, [PAIRS[0].first])).toHaveLength(1);
    const now = await teachPairs({});
    console.log(`defaults: ${JSON.stringify(now)}`);
    expect(kept(now, 'first')).toBeGreaterThanOrEqual(6);
    expect(kept(now, 'second')).toBeGreaterThanOrEqual(7);
    const before = await teachPairs({ answerEnd: false, rehearsalRows: 0 });
    console.log(`object tokens only, no rehearsal: ${JSON.stringify(before.map((a) => a.first))}`);
    expect(kept(before, 'first')).toBeLessThanOrEqual(3);
  }, 900_000);
});
