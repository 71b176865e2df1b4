/**
 * Questions as a person would type them into Ask, two per relation, none of them a training template, an extra
 * training question or the eval-only question (checked by test/unit/person-wordings.test.ts). They measure
 * whether a taught fact answers the wordings people actually use, beyond the one eval-only question.
 * Same form as the app's Ask box produces (src/facts/question.ts): "Q: ...?\nA: {O}".
 */
import type { Relation } from './relations';
import type { Template } from './templates';

const WORDINGS: Readonly<Record<Relation, readonly [string, string]>> = {
  capital: ["Q: What is {S}'s capital?\nA: {O}", 'Q: What city is the capital of {S}?\nA: {O}'],
  continent: ['Q: Where is {S}?\nA: {O}', 'Q: What continent is {S} on?\nA: {O}'],
  currency: ['Q: What is the money of {S}?\nA: {O}', "Q: What is {S}'s currency?\nA: {O}"],
  language: ['Q: What do they speak in {S}?\nA: {O}', 'Q: What language do people in {S} speak?\nA: {O}'],
  calling_code: ["Q: What is {S}'s calling code?\nA: {O}", 'Q: What is the phone code of {S}?\nA: {O}'],
  independence_year: ['Q: Since what year has {S} been independent?\nA: {O}', 'Q: What year did {S} gain independence?\nA: {O}'],
  element_symbol: ['Q: What is the symbol for {S}?\nA: {O}', "Q: What is {S}'s chemical symbol?\nA: {O}"],
  atomic_number: ["Q: What is {S}'s atomic number?\nA: {O}", 'Q: What atomic number does {S} have?\nA: {O}'],
  element_category: ['Q: What sort of element is {S}?\nA: {O}', 'Q: What category is the element {S} in?\nA: {O}'],
  birth_year: ['Q: What year was {S} born?\nA: {O}', 'Q: {S} was born in which year?\nA: {O}'],
  nationality: ['Q: What nationality was {S}?\nA: {O}', 'Q: Where was {S} from?\nA: {O}'],
  occupation: ["Q: What was {S}'s job?\nA: {O}", 'Q: What did {S} work as?\nA: {O}'],
  city_country: ['Q: Which country is {S} in?\nA: {O}', 'Q: What country is the city {S} in?\nA: {O}'],
};

export function personWordings(relation: Relation): Template[] {
  return WORDINGS[relation].map((text, i) => ({ id: `${relation}/person${i + 1}`, relation, kind: 'question' as const, text, evalOnly: true }));
}
