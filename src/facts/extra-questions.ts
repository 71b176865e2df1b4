/**
 * Extra training-only question phrasings, three per relation, used by train/prepare-data.ts on top of the
 * data build's templates (src/facts/templates.ts: four statements and ONE training question per relation).
 *
 * Why: with one question form per relation the model learned that string (54% exact match on it after 5.6
 * fact epochs) but not the question: the eval-only question got 20%, with 0% on currency, symbol, category and
 * occupation, where the model answered a different relation ("Which symbol stands for the element Actinium?" ->
 * " transition metal"). Several phrasings per relation teach the relation rather than the string.
 * None of these is an eval-only template (checked below and in prepare-data.ts), so the eval-only question
 * still measures paraphrase generalisation.
 */
import type { Relation } from './relations';
import { evalTemplates, type Template } from './templates';

const EXTRA: Readonly<Record<Relation, readonly string[]>> = {
  capital: ['Q: What is the capital city of {S}?\nA: {O}', 'Q: Name the capital of {S}.\nA: {O}', "Q: What city is {S}'s capital?\nA: {O}"],
  continent: ['Q: What continent is {S} in?\nA: {O}', 'Q: Name the continent where {S} lies.\nA: {O}', 'Q: {S} is on which continent?\nA: {O}'],
  currency: ['Q: What is the currency of {S}?\nA: {O}', 'Q: Which currency do people in {S} pay with?\nA: {O}', 'Q: Name the money of {S}.\nA: {O}'],
  language: ['Q: What is a language of {S}?\nA: {O}', 'Q: Name a language spoken in {S}.\nA: {O}', 'Q: What do people in {S} speak?\nA: {O}'],
  calling_code: ['Q: What is the dialing code for {S}?\nA: {O}', 'Q: What code do you dial to call {S}?\nA: {O}', 'Q: Which calling code does {S} use?\nA: {O}'],
  independence_year: ['Q: What year did {S} become independent?\nA: {O}', 'Q: When did {S} become an independent country?\nA: {O}', "Q: In which year was {S}'s independence?\nA: {O}"],
  element_symbol: ['Q: What is the symbol of {S}?\nA: {O}', 'Q: How is {S} written on the periodic table?\nA: {O}', 'Q: Which chemical symbol does {S} have?\nA: {O}'],
  atomic_number: ['Q: Which atomic number does {S} have?\nA: {O}', 'Q: What number is the element {S}?\nA: {O}', 'Q: What is the proton number of {S}?\nA: {O}'],
  element_category: ['Q: What type of element is {S}?\nA: {O}', 'Q: Which category of elements is {S} in?\nA: {O}', 'Q: How is the element {S} classified?\nA: {O}'],
  birth_year: ['Q: What year was {S} born in?\nA: {O}', 'Q: What is the birth year of {S}?\nA: {O}', 'Q: In which year was {S} born?\nA: {O}'],
  nationality: ["Q: What was {S}'s nationality?\nA: {O}", 'Q: Which nationality was {S}?\nA: {O}', 'Q: By nationality, what was {S}?\nA: {O}'],
  occupation: ["Q: What was {S}'s profession?\nA: {O}", 'Q: What job did {S} have?\nA: {O}', 'Q: What was {S} by profession?\nA: {O}'],
  city_country: ['Q: What country is {S} in?\nA: {O}', 'Q: {S} is a city in which country?\nA: {O}', 'Q: Where is the city of {S}?\nA: {O}'],
};

export function extraQuestionTemplates(relation: Relation): Template[] {
  const evalTexts = new Set(evalTemplates(relation).map((t) => t.text));
  return EXTRA[relation].map((text, i) => {
    if (evalTexts.has(text)) throw new Error(`extra question ${relation}/${i} is an eval-only template`);
    return { id: `${relation}/qx${i + 1}`, relation, kind: 'question' as const, text, evalOnly: false };
  });
}
