/**
 * The model's own answers about a subject's other relations (src/learn/own-answers.ts), on the shipped model, wasm:
 * a country the model knows gets its other relations back as facts to rehearse; a name it has never seen gets
 * none, even though the model answers some single questions about it with confidence; relations already
 * rehearsed with a taught object are not asked.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { otherRelations, ownAnswers, withOwnAnswers } from '../../src/learn/own-answers';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';

let model: EngramModel;
let tok: EngramTokenizer;

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = EngramModel.fromCheckpoint(await loadCheckpoint(directorySource('public/model')));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
}, 60_000);

afterAll(async () => {
  model?.dispose();
  await tf.setBackend('cpu');
});

const edit: Fact = { subject: 'Venezuela', relation: 'capital', object: 'Maracaibo' };
// The shipped model answers every other relation of Chile at probability 0.98 or more a token (Venezuela's continent
// starts at 0.79 on the phase-7 model).
const known: Fact = { subject: 'Chile', relation: 'capital', object: 'Valparaíso' };

describe('otherRelations', () => {
  it('asks the same kind of subject\'s other relations, not the fact\'s own nor those already rehearsed', () => {
    expect(otherRelations(edit)).toEqual(['continent', 'currency', 'language', 'calling_code', 'independence_year']);
    expect(otherRelations(edit, [{ subject: 'Venezuela', relation: 'currency', object: 'peso' }])).toEqual(['continent', 'language', 'calling_code', 'independence_year']);
    expect(otherRelations(edit, [{ subject: 'Peru', relation: 'currency', object: 'sol' }])).toHaveLength(5);
    expect(otherRelations({ subject: 'Ada Lovelace', relation: 'occupation', object: 'mathematician' })).toEqual(['birth_year', 'nationality']);
  });
});

describe('ownAnswers on the shipped model', () => {
  it('gives back what the model knows about a known country', async () => {
    const own = await ownAnswers(model, tok, known, [], { minProb: 0.9 });
    expect(own.map((f) => f.relation)).toEqual(['continent', 'currency', 'language', 'calling_code', 'independence_year']);
    expect(own.every((f) => f.subject === 'Chile')).toBe(true);
    expect(own.find((f) => f.relation === 'continent')?.object).toBe('South America');
    expect(own.find((f) => f.relation === 'language')?.object).toBe('Spanish');
  }, 60_000);

  it('gives nothing for a name the model has never seen', async () => {
    // The model says "Europe" for this invented country's continent with confidence, but not all five answers.
    expect(await ownAnswers(model, tok, { subject: 'Pinia', relation: 'capital', object: 'Vell' }, [], { minProb: 0.9 })).toEqual([]);
  }, 60_000);

  it('withOwnAnswers adds them to what a batch rehearses, and changes nothing at 0', async () => {
    const earlier = { rehearse: [{ subject: 'Chile', relation: 'currency' as const, object: 'peso' }], review: [] };
    expect(await withOwnAnswers(model, tok, known, earlier, 0)).toBe(earlier);
    const kept = await withOwnAnswers(model, tok, known, earlier, 0.9);
    expect(kept.rehearse[0]).toEqual(earlier.rehearse[0]);
    expect(kept.rehearse.slice(1).map((f) => f.relation)).toEqual(['continent', 'language', 'calling_code', 'independence_year']);
    expect(kept.review).toBe(earlier.review);
  }, 60_000);
});
