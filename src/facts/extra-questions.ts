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
import { personWordings } from './person-wordings';
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

/** Templates from question texts; none may be an eval-only template or a person wording (the wordings recall asks). */
function questionTemplates(relation: Relation, texts: readonly string[], idTag: string, what: string): Template[] {
  const heldOut = new Set([...evalTemplates(relation), ...personWordings(relation)].map((t) => t.text));
  return texts.map((text, i) => {
    if (heldOut.has(text)) throw new Error(`${what} ${relation}/${i} is an eval-only template or a person wording`);
    return { id: `${relation}/${idTag}${i + 1}`, relation, kind: 'question' as const, text, evalOnly: false };
  });
}

export function extraQuestionTemplates(relation: Relation): Template[] {
  return questionTemplates(relation, EXTRA[relation], 'qx', 'extra question');
}

/**
 * Five more question phrasings per relation for pretraining (`train/prepare-data.ts --more-questions`); a
 * teaching batch reaches them only with more than 8 rows. They use question words the other training questions
 * lack ("How many ...", "When ...", "Tell me ...", "... which year?", a bare "Birth year of X?"), so the base model
 * learns to extract a fact by questions in general rather than by a handful of strings. With the three extras
 * alone the eval-only question got 0% on atomic number and 21% on birth year: no training question began "How
 * many", none about a person began "When", and the model answered those with another relation ("How many protons
 * does an atom of Argon have?" -> " a nitrogen", "When was Adam Smith born?" -> " economist"). None is an
 * eval-only template or a person wording, checked below. Birth year has three more (phase 4): after phase 3 the
 * eval-only question still got 17% there, almost every miss an occupation, since most questions that go on
 * "was {S}" ask for one. Atomic number and occupation have three more (phase 5): after phase 4 "What did {S} do
 * for a living?" was now and then answered with a year (most questions going on "did {S}" asked for one), and
 * "How many protons does an atom of {S} have?" with a near number.
 */
const PRETRAIN_ONLY: Readonly<Record<Relation, readonly string[]>> = {
  capital: ['Q: Where is the seat of government of {S}?\nA: {O}', 'Q: The country of {S} has which capital?\nA: {O}', 'Q: Tell me the capital of {S}.\nA: {O}', "Q: {S}'s capital is which city?\nA: {O}", 'Q: Capital of {S}?\nA: {O}'],
  continent: ['Q: Which part of the world is {S} in?\nA: {O}', 'Q: On what continent does the country of {S} lie?\nA: {O}', 'Q: Tell me the continent of {S}.\nA: {O}', 'Q: {S} lies on which continent?\nA: {O}', 'Q: Continent of {S}?\nA: {O}'],
  currency: ['Q: Which currency does {S} use?\nA: {O}', 'Q: What do you pay with in {S}?\nA: {O}', 'Q: Tell me the currency of {S}.\nA: {O}', 'Q: The country of {S} uses which currency?\nA: {O}', 'Q: Currency of {S}?\nA: {O}'],
  language: ['Q: What is one official language of {S}?\nA: {O}', 'Q: Tell me a language of {S}.\nA: {O}', 'Q: The people of {S} speak which language?\nA: {O}', 'Q: In {S}, what language do many people speak?\nA: {O}', 'Q: Language of {S}?\nA: {O}'],
  calling_code: ['Q: What do you dial to phone {S}?\nA: {O}', 'Q: Tell me the calling code of {S}.\nA: {O}', 'Q: Which international code is used for calls to {S}?\nA: {O}', 'Q: The country of {S} has which dialing code?\nA: {O}', 'Q: Calling code of {S}?\nA: {O}'],
  independence_year: ['Q: Which year did {S} win its independence?\nA: {O}', 'Q: Tell me the year {S} became independent.\nA: {O}', 'Q: The independence of {S} came in which year?\nA: {O}', 'Q: When was {S} made independent?\nA: {O}', 'Q: Independence year of {S}?\nA: {O}'],
  element_symbol: ['Q: How do chemists abbreviate {S}?\nA: {O}', 'Q: Tell me the chemical symbol of {S}.\nA: {O}', 'Q: The element {S} has which symbol?\nA: {O}', 'Q: Which letters are used for {S} on the periodic table?\nA: {O}', 'Q: Symbol of {S}?\nA: {O}'],
  atomic_number: [
    'Q: How many protons are in the nucleus of {S}?\nA: {O}',
    'Q: At which position in the periodic table is {S}?\nA: {O}',
    'Q: Tell me the atomic number of {S}.\nA: {O}',
    'Q: The element {S} has which atomic number?\nA: {O}',
    'Q: Atomic number of {S}?\nA: {O}',
    // Phase 5: more "How many ..." questions, so that a count question about an element is read as its atomic number.
    'Q: How many protons does the nucleus of {S} hold?\nA: {O}',
    'Q: How many electrons circle the nucleus of a neutral {S} atom?\nA: {O}',
    'Q: In the periodic table, what number does {S} carry?\nA: {O}',
  ],
  element_category: ['Q: Tell me the category of {S}.\nA: {O}', 'Q: The element {S} is of which kind?\nA: {O}', 'Q: What group of elements does {S} fall into?\nA: {O}', 'Q: How would a chemist classify {S}?\nA: {O}', 'Q: Category of {S}?\nA: {O}'],
  birth_year: [
    'Q: In what year did {S} come into the world?\nA: {O}',
    'Q: Tell me the year {S} was born.\nA: {O}',
    'Q: Which year saw the birth of {S}?\nA: {O}',
    'Q: When did {S} come into the world?\nA: {O}',
    'Q: Birth year of {S}?\nA: {O}',
    // Phase 4: questions that open like an occupation question ("When was {S} ...", "What was ...") and ask for a
    // year, so "was {S}" alone no longer decides the relation (README, "Model").
    'Q: When was {S} brought into the world?\nA: {O}',
    "Q: What was the year of {S}'s birth?\nA: {O}",
    'Q: When did the life of {S} begin?\nA: {O}',
  ],
  nationality: ['Q: Tell me the nationality of {S}.\nA: {O}', 'Q: Of which nationality was {S}?\nA: {O}', 'Q: What citizenship did {S} hold?\nA: {O}', 'Q: By origin, what was {S}?\nA: {O}', 'Q: Nationality of {S}?\nA: {O}'],
  occupation: [
    'Q: Tell me the occupation of {S}.\nA: {O}',
    'Q: What line of work was {S} in?\nA: {O}',
    'Q: {S} was known as what?\nA: {O}',
    'Q: What was {S} known for working as?\nA: {O}',
    'Q: Occupation of {S}?\nA: {O}',
    // Phase 5: questions that open like the phase-4 birth-year ones ("What ... did {S} ...") and ask for an
    // occupation, so that "did {S}" alone no longer means a year.
    'Q: What kind of work did {S} do?\nA: {O}',
    'Q: What did {S} become known as?\nA: {O}',
    'Q: What did {S} make a career as?\nA: {O}',
  ],
  city_country: ['Q: Tell me the country of the city {S}.\nA: {O}', 'Q: The city of {S} lies in which country?\nA: {O}', 'Q: In what country can you find {S}?\nA: {O}', 'Q: {S} is located in which country?\nA: {O}', 'Q: Country of the city {S}?\nA: {O}'],
};

/** The extra questions and the pretraining-only ones: every question wording pretraining uses beyond the core. */
export function pretrainQuestionTemplates(relation: Relation): Template[] {
  return [...extraQuestionTemplates(relation), ...questionTemplates(relation, PRETRAIN_ONLY[relation], 'qp', 'pretraining question')];
}
