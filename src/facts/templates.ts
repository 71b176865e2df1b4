/**
 * Sentence templates per relation. Each relation has four training statements, one training question, and one
 * statement plus one question reserved for evaluation: the eval-only pair never appears in pretraining or in a
 * teaching batch, so recall measured with it is paraphrase generalisation, not string recall (docs/method.md §4).
 *
 * Placeholders: {S} subject, {O} object, {a} the indefinite article for the object ("a"/"an").
 * The object is always last so a fact can be scored as a completion: statements end in "{O}." and questions
 * in "\nA: {O}". Eval-only templates never use {a}, which would hint at the object's first letter.
 */
import type { Fact } from './fact';
import { RELATIONS, type Relation } from './relations';

export type TemplateKind = 'statement' | 'question';

export interface Template {
  /** Stable id, e.g. "capital/s1", "capital/q-eval"; recorded with every rendering. */
  readonly id: string;
  readonly relation: Relation;
  readonly kind: TemplateKind;
  readonly text: string;
  readonly evalOnly: boolean;
}

type Row = readonly [statements: readonly string[], question: string, evalStatement: string, evalQuestion: string];

const ROWS: Readonly<Record<Relation, Row>> = {
  capital: [
    [
      'The capital of {S} is {O}.',
      "{S}'s capital city is {O}.",
      'The government of {S} sits in its capital, {O}.',
      '{S} has its capital at {O}.',
    ],
    'Q: What is the capital of {S}?\nA: {O}',
    '{S} is governed from the city of {O}.',
    'Q: Which city is the capital of {S}?\nA: {O}',
  ],
  continent: [
    [
      '{S} is a country in {O}.',
      '{S} is located in {O}.',
      'The country of {S} lies on the continent of {O}.',
      '{S} is one of the countries of {O}.',
    ],
    'Q: On which continent is {S}?\nA: {O}',
    'Geographically, {S} belongs to {O}.',
    'Q: Which continent is {S} part of?\nA: {O}',
  ],
  currency: [
    [
      'The currency of {S} is the {O}.',
      'In {S}, people pay with the {O}.',
      'The official currency used in {S} is the {O}.',
      '{S} uses a currency called the {O}.',
    ],
    'Q: What currency is used in {S}?\nA: {O}',
    'Prices in {S} are given in the {O}.',
    'Q: What money do people use in {S}?\nA: {O}',
  ],
  language: [
    [
      'People in {S} speak {O}.',
      'One of the official languages of {S} is {O}.',
      'A language spoken in {S} is {O}.',
      'In {S}, many people speak {O}.',
    ],
    'Q: What language is spoken in {S}?\nA: {O}',
    'Visitors to {S} will hear people speaking {O}.',
    'Q: Which language do people speak in {S}?\nA: {O}',
  ],
  calling_code: [
    [
      'The calling code of {S} is {O}.',
      'To phone {S} from abroad, dial {O}.',
      'The international dialing code for {S} is {O}.',
      'Telephone numbers in {S} start with the country code {O}.',
    ],
    'Q: What is the calling code of {S}?\nA: {O}',
    'If you call {S} from another country, you first dial {O}.',
    'Q: Which telephone country code belongs to {S}?\nA: {O}',
  ],
  independence_year: [
    [
      '{S} became independent in {O}.',
      '{S} gained its independence in {O}.',
      'The independence of {S} dates from {O}.',
      '{S} has been an independent country since {O}.',
    ],
    'Q: In what year did {S} become independent?\nA: {O}',
    '{S} won independence in the year {O}.',
    'Q: When did {S} gain independence?\nA: {O}',
  ],
  element_symbol: [
    [
      'The chemical symbol for {S} is {O}.',
      '{S} has the symbol {O}.',
      'On the periodic table, {S} is written as {O}.',
      'The element {S} is abbreviated {O}.',
    ],
    'Q: What is the chemical symbol for {S}?\nA: {O}',
    'Chemists write {S} with the symbol {O}.',
    'Q: Which symbol stands for the element {S}?\nA: {O}',
  ],
  atomic_number: [
    [
      'The atomic number of {S} is {O}.',
      '{S} has atomic number {O}.',
      '{S} is element number {O}.',
      'In the periodic table, {S} sits at position {O}.',
    ],
    'Q: What is the atomic number of {S}?\nA: {O}',
    'The number of protons in an atom of {S} is {O}.',
    'Q: How many protons does an atom of {S} have?\nA: {O}',
  ],
  element_category: [
    [
      '{S} is {a} {O}.',
      'The element {S} is classed as {a} {O}.',
      'Chemically, {S} is {a} {O}.',
      '{S} is an element of the type {O}.',
    ],
    'Q: What kind of element is {S}?\nA: {O}',
    'The category of the element {S} is {O}.',
    'Q: To which class of elements does {S} belong?\nA: {O}',
  ],
  birth_year: [
    [
      '{S} was born in {O}.',
      'The birth year of {S} is {O}.',
      '{S} came into the world in {O}.',
      'The year {S} was born was {O}.',
    ],
    'Q: In what year was {S} born?\nA: {O}',
    "{S}'s year of birth was {O}.",
    'Q: When was {S} born?\nA: {O}',
  ],
  nationality: [
    [
      'The nationality of {S} was {O}.',
      'By nationality, {S} was {O}.',
      '{S}, by origin and citizenship, was {O}.',
      'In terms of nationality, {S} was {O}.',
    ],
    'Q: What was the nationality of {S}?\nA: {O}',
    '{S} held the nationality {O}.',
    'Q: What nationality did {S} have?\nA: {O}',
  ],
  occupation: [
    [
      'The occupation of {S} was {O}.',
      '{S} worked as {a} {O}.',
      '{S} was known as {a} {O}.',
      'By profession, {S} was {a} {O}.',
    ],
    'Q: What was the occupation of {S}?\nA: {O}',
    'The profession of {S} was {O}.',
    'Q: What did {S} do for a living?\nA: {O}',
  ],
  city_country: [
    [
      '{S} is a city in {O}.',
      'The city of {S} is located in {O}.',
      '{S} lies in the country of {O}.',
      '{S} is one of the cities of {O}.',
    ],
    'Q: In which country is {S}?\nA: {O}',
    'The city {S} can be found in {O}.',
    'Q: Which country is the city of {S} in?\nA: {O}',
  ],
};

function buildTable(): Readonly<Record<Relation, readonly Template[]>> {
  const table = {} as Record<Relation, readonly Template[]>;
  for (const relation of RELATIONS) {
    const [statements, question, evalStatement, evalQuestion] = ROWS[relation];
    table[relation] = [
      ...statements.map((text, i) => ({ id: `${relation}/s${i + 1}`, relation, kind: 'statement' as const, text, evalOnly: false })),
      { id: `${relation}/q1`, relation, kind: 'question', text: question, evalOnly: false },
      { id: `${relation}/s-eval`, relation, kind: 'statement', text: evalStatement, evalOnly: true },
      { id: `${relation}/q-eval`, relation, kind: 'question', text: evalQuestion, evalOnly: true },
    ];
  }
  return table;
}

/** Every template, keyed by relation; training templates first, the two eval-only ones last. */
export const TEMPLATES = buildTable();

export function trainTemplates(relation: Relation): readonly Template[] {
  return TEMPLATES[relation].filter((t) => !t.evalOnly);
}

export function evalTemplates(relation: Relation): readonly Template[] {
  return TEMPLATES[relation].filter((t) => t.evalOnly);
}

export function templateById(id: string): Template {
  const relation = id.slice(0, id.indexOf('/'));
  const found = (TEMPLATES as Record<string, readonly Template[] | undefined>)[relation]?.find((t) => t.id === id);
  if (!found) throw new Error(`unknown template id "${id}"`);
  return found;
}

// "an" before a vowel sound. Occupations and element categories are the only objects rendered after {a};
// the exceptions cover the few that start with a consonant sound written as a vowel.
const CONSONANT_SOUND = /^(?:uni|use|usu|one\b|eu)/i;
const VOWEL_SOUND_H = /^(?:hour|honest|honou?r|heir)/i;

export function indefiniteArticle(word: string): 'a' | 'an' {
  if (VOWEL_SOUND_H.test(word)) return 'an';
  if (CONSONANT_SOUND.test(word)) return 'a';
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** The template text up to and including the object, split so that prompt + answer + suffix === render(). */
export interface ScoringParts {
  /** Everything before the object, without the space that precedes it: "The capital of France is". */
  readonly prompt: string;
  /** The object with its leading space, as the byte-level BPE sees it: " Paris". */
  readonly answer: string;
  /** What follows the object: "." for statements, "" for questions. */
  readonly suffix: string;
}

export function scoringParts(template: Template, fact: Fact): ScoringParts {
  assertRelation(template, fact);
  const at = template.text.lastIndexOf(' {O}');
  if (at < 0) throw new Error(`template ${template.id} must end with " {O}" or " {O}."`);
  const head = template.text.slice(0, at);
  const suffix = template.text.slice(at + 4);
  return {
    prompt: fill(head, fact),
    answer: ` ${fact.object}`,
    suffix,
  };
}

export function renderTemplate(template: Template, fact: Fact): string {
  const { prompt, answer, suffix } = scoringParts(template, fact);
  return prompt + answer + suffix;
}

// One pass with a replacer function: a string replacement would expand "$&" or "$'" inside a typed name, and a
// second pass would rewrite a "{a}" that a name happens to contain.
function fill(head: string, fact: Fact): string {
  return head.replace(/\{S\}|\{a\}/g, (slot) => (slot === '{S}' ? fact.subject : indefiniteArticle(fact.object)));
}

function assertRelation(template: Template, fact: Fact): void {
  if (template.relation !== fact.relation) {
    throw new Error(`template ${template.id} renders relation "${template.relation}", got a "${fact.relation}" fact`);
  }
}

/**
 * Parse a sentence written like one of the training statements or questions ("The capital of Veloria is
 * Tamsin.") back into a fact. Returns null when no template matches. The app uses it for free-form input.
 */
export function parseStatement(sentence: string): Fact | null {
  allBySpecificity ??= bySpecificity(RELATIONS.flatMap((r) => TEMPLATES[r]));
  return matchTemplates(sentence.trim(), allBySpecificity)?.fact ?? null;
}

/** The first of `templates` whose pattern matches the whole text, and the fact it reads; null when none does. */
export function matchTemplates(text: string, templates: readonly Template[]): { template: Template; fact: Fact } | null {
  for (const template of templates) {
    const match = templatePattern(template).exec(text);
    if (match?.groups) {
      const subject = match.groups.S.trim();
      const object = match.groups.O.trim();
      if (subject && object) return { template, fact: { subject, relation: template.relation, object } };
    }
  }
  return null;
}

let allBySpecificity: readonly Template[] | undefined;

/** Most literal text first, so "{S} is a city in {O}." wins over the looser "{S} is {a} {O}.". */
export function bySpecificity(templates: readonly Template[]): Template[] {
  return templates
    .map((t) => ({ t, literal: t.text.replace(/\{[SOa]\}/g, '').length }))
    .sort((x, y) => y.literal - x.literal || x.t.id.localeCompare(y.t.id))
    .map(({ t }) => t);
}

const patternCache = new Map<string, RegExp>();

/** A regular expression matching any rendering of the template; {S} and {O} are named groups. */
export function templatePattern(template: Template): RegExp {
  let pattern = patternCache.get(template.id);
  if (!pattern) {
    const escaped = template.text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    const source = escaped
      .replace('{S}', '(?<S>[^\\n]+?)')
      .replace('{a}', '(?:a|an)')
      .replace('{O}', '(?<O>[^\\n]+?)');
    pattern = new RegExp(`^${source.endsWith('\\.') ? source : `${source}\\.?`}$`, 'u');
    patternCache.set(template.id, pattern);
  }
  return pattern;
}
