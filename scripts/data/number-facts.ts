/**
 * Invented facts whose answers are every number from 1 to 999, for a continued-pretraining phase of a model whose
 * tokenizer writes numbers whole (`wholeNumbers`): once as an atomic number (of an invented element "<name>ine")
 * and once as a calling code ("+N", of invented "<name> Islands"). Most of those numbers are never an answer in the
 * knowledge base (atomic numbers stop at 118; calling codes are a few hundred), so without these facts their tokens
 * are ones the model never produced after a question.
 *
 * The subjects' forms are ones the stream and pack generators never make for these relations (their elements end in
 * "ium", their countries are one word), so a fact taught later never meets one of these subjects; their words are
 * none of `forbidden` (the knowledge base's and packs' words, and the names pretraining must not contain).
 */
import type { Fact } from '../../src/facts/fact';
import { InventedNames } from './invented-names';
import { createRng } from './rng';

export const NUMBER_FACT_MAX = 999;

export function inventedNumberFacts(forbidden: ReadonlySet<string>, seed = 'number-facts'): Fact[] {
  const names = new InventedNames(createRng(seed, 'names'), forbidden);
  const out: Fact[] = [];
  for (let n = 1; n <= NUMBER_FACT_MAX; n++) {
    out.push({ subject: `${names.word('city')}ine`, relation: 'atomic_number', object: String(n) });
    out.push({ subject: `${names.word('city')} Islands`, relation: 'calling_code', object: `+${n}` });
  }
  return out;
}
