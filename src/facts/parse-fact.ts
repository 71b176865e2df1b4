/**
 * What a person types (a sentence, or the three fields of the form) becomes a Fact, or a plain-text message that
 * says what is wrong and how to fix it. Never throws: the app and the worker show `message` as text as it is.
 *
 * Policy, applied the same way to sentences and to form fields:
 *  - Whitespace of any kind (tabs, newlines, NBSP) collapses to one space; ends are trimmed.
 *  - Invisible formatting marks (zero-width space, soft hyphen, bidi marks, embeddings and isolates) are
 *    stripped, so a name pasted with them is the same name as one typed without. ZWJ/ZWNJ are kept: emoji
 *    sequences and several scripts need them.
 *  - Other control characters (C0, DEL, C1) and broken UTF-16 are refused, not stripped: they are invisible,
 *    and silently dropping them would teach something other than what the person sees.
 *  - Text is NFC-normalised, so "é" typed as one or two code points is one name to the byte-level tokenizer.
 *  - Names may use any script, digits and emoji; they need at least one letter, digit or pictograph, no "<" or
 *    ">" (no name in the data has them; they only ever arrive as pasted markup), and at most MAX_FIELD_CHARS.
 */
import type { Fact } from './fact';
import { isRelation, RELATION_INFO, RELATIONS, type Relation } from './relations';
import { bySpecificity, matchTemplates, renderTemplate, TEMPLATES, trainTemplates, type Template } from './templates';

/** Longest subject or object, in characters (code points), after cleaning. */
export const MAX_FIELD_CHARS = 200;
/** Longest sentence, in characters (code points), after cleaning. */
export const MAX_SENTENCE_CHARS = 1_000;
/** Input longer than this (UTF-16 units, before cleaning) is refused before any pattern runs on it. */
export const MAX_RAW_INPUT_CHARS = 4 * MAX_SENTENCE_CHARS;

export type FactResult = { ok: true; fact: Fact } | { ok: false; message: string };

type Cleaned = { ok: true; text: string } | { ok: false; message: string };

const INVISIBLE_MARKS = /[\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069]/g;
// \s covers tab, LF, CR, VT, FF, NBSP, U+2028/9, BOM; NEL (U+0085) is a line break in Latin-1 text.
const WHITESPACE_RUN = /[\s\u0085]+/g;
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /\p{Cs}/u;
// So covers emoji and flags (regional indicators); Extended_Pictographic adds pictographs not yet assigned.
const NAME_CONTENT = /[\p{L}\p{N}\p{So}\p{Extended_Pictographic}]/u;
const MARKUP = /[<>]/;

const EXAMPLE_SENTENCES = RELATIONS.map((r) => renderTemplate(trainTemplates(r)[0], RELATION_INFO[r].example));

/** Parse a typed sentence ("The capital of Veloria is Tamsin.") into a fact. */
export function parseFact(input: unknown): FactResult {
  const cleaned = cleanText(input, 'text', MAX_SENTENCE_CHARS);
  if (!cleaned.ok) return cleaned;
  const text = cleaned.text;
  if (!text) return refuse(`Type a fact first, for example "${EXAMPLE_SENTENCES[0]}"`);

  if (text.endsWith('?')) {
    return refuse(
      `That looks like a question. To teach a fact, state it, for example "${EXAMPLE_SENTENCES[0]}" (ask questions in the Ask box).`,
    );
  }
  const fact = matchSentence(text) ?? matchSentence(upperFirst(text));
  if (fact) return checkFact(fact);
  return refuse(
    `I could not tell which relation "${excerpt(text)}" states. Write it like one of these: ${EXAMPLE_SENTENCES.join(' / ')}`,
  );
}

/** The form path: three fields, each checked with the same rules as a parsed sentence. */
export function validateFact(input: { subject: unknown; relation: unknown; object: unknown }): FactResult {
  const relationText = typeof input.relation === 'string' ? input.relation.trim() : '';
  if (!isRelation(relationText)) {
    const shown = typeof input.relation === 'string' && relationText ? `"${excerpt(relationText)}"` : 'no relation';
    return refuse(`Choose a relation: got ${shown}; it must be one of ${RELATIONS.join(', ')}.`);
  }
  const subject = cleanText(input.subject, 'subject', MAX_FIELD_CHARS);
  if (!subject.ok) return subject;
  const object = cleanText(input.object, 'object', MAX_FIELD_CHARS);
  if (!object.ok) return object;
  return checkFact({ subject: subject.text, relation: relationText, object: object.text });
}

function checkFact(fact: Fact): FactResult {
  for (const role of ['subject', 'object'] as const) {
    const problem = nameProblem(fact[role], role);
    if (problem) return refuse(problem);
  }
  const kindProblem = objectKindProblem(fact.relation, fact.object);
  if (kindProblem) return refuse(kindProblem);
  // City-states are their own capital (Singapore, Monaco, Djibouti in the knowledge base), and a city may share its
  // country's name; for every other relation the two sides are different kinds of thing.
  const mayRepeat = fact.relation === 'capital' || fact.relation === 'city_country';
  if (!mayRepeat && fact.subject.toLocaleLowerCase() === fact.object.toLocaleLowerCase()) {
    return refuse(`The subject and the object are both "${excerpt(fact.subject)}"; a fact links two different things.`);
  }
  return { ok: true, fact };
}

function nameProblem(name: string, role: 'subject' | 'object'): string | null {
  if (!name) return `The ${role} is empty; fill it in.`;
  const length = codePoints(name);
  if (length > MAX_FIELD_CHARS) return `The ${role} is ${length} characters long; keep it to ${MAX_FIELD_CHARS} or fewer.`;
  if (MARKUP.test(name)) return `The ${role} "${excerpt(name)}" contains "<" or ">"; names are plain text, so leave those out.`;
  if (!NAME_CONTENT.test(name)) return `The ${role} "${excerpt(name)}" has no letters or digits; give it a name.`;
  return null;
}

// Years and numbers are taught digit by digit (the tokenizer splits digits), so a word there can never be recalled
// the way the question asks for it. The shapes follow public/data: years 1-4 digits, atomic numbers 1-3, "+961".
function objectKindProblem(relation: Relation, object: string): string | null {
  const { objectKind, label } = RELATION_INFO[relation];
  if (objectKind === 'year' && !/^\d{1,4}$/.test(object)) return `The ${label} must be a year written in digits, like 1957; got "${excerpt(object)}".`;
  if (objectKind === 'number' && !/^\d{1,3}$/.test(object)) return `The ${label} must be a whole number, like 26; got "${excerpt(object)}".`;
  if (objectKind === 'calling-code' && !/^\+?\d{1,4}(?:[ -]\d{1,4})?$/.test(object)) {
    return `The ${label} must be digits with an optional "+", like +33; got "${excerpt(object)}".`;
  }
  return null;
}

/**
 * Natural phrasings beyond the training templates. They only parse; teaching always renders the training
 * templates. The round-trip test checks that none of them captures a training rendering.
 */
const VARIANT_TEXTS: Readonly<Record<Relation, readonly string[]>> = {
  capital: ['The capital city of {S} is {O}.', "{S}'s capital is {O}.", '{O} is the capital of {S}.', '{O} is the capital city of {S}.'],
  continent: ['{S} is in {O}.', '{S} lies in {O}.', '{S} is on the continent of {O}.', '{S} is part of {O}.'],
  currency: ['The currency of {S} is {O}.', "{S}'s currency is the {O}.", "{S}'s currency is {O}.", '{S} pays with the {O}.'],
  language: ['The language of {S} is {O}.', 'The official language of {S} is {O}.', '{O} is spoken in {S}.', 'In {S}, people speak {O}.'],
  calling_code: ['The country code of {S} is {O}.', 'The dialing code of {S} is {O}.', "{S}'s calling code is {O}."],
  independence_year: ['{S} became independent in the year {O}.', '{S} won independence in {O}.', '{S} gained independence in {O}.'],
  element_symbol: ['The symbol of {S} is {O}.', 'The symbol for {S} is {O}.', "{S}'s symbol is {O}.", '{O} is the symbol for {S}.'],
  atomic_number: ["{S}'s atomic number is {O}.", 'The atomic number for {S} is {O}.'],
  element_category: ['{S} is classed as {a} {O}.', 'The element {S} is {a} {O}.'],
  birth_year: ['{S} was born in the year {O}.', "{S}'s birth year is {O}.", '{S} is born in {O}.'],
  nationality: ['{S} was of {O} nationality.', "{S}'s nationality was {O}.", "{S}'s nationality is {O}.", 'The nationality of {S} is {O}.'],
  occupation: ['{S} was {a} {O} by profession.', '{S} was {a} {O}.', "{S}'s occupation was {O}.", 'The occupation of {S} is {O}.', '{S} worked as {O}.'],
  city_country: ['{S} is a city of {O}.', '{S} is in the country of {O}.', 'The city of {S} is in {O}.', '{S} is located in the country {O}.'],
};

/** The variants as templates, so they share templatePattern (and its cache) with the training templates. */
export const VARIANT_TEMPLATES: readonly Template[] = RELATIONS.flatMap((relation) =>
  VARIANT_TEXTS[relation].map((text, i) => ({ id: `${relation}/v${i + 1}`, relation, kind: 'statement' as const, text, evalOnly: false })),
);

// One list, most literal first: "{S} was born in the year {O}." must win over the training "{S} was born in {O}.".
const ALL_TEMPLATES = bySpecificity([...RELATIONS.flatMap((r) => TEMPLATES[r]), ...VARIANT_TEMPLATES]);

function matchSentence(text: string): Fact | null {
  // Questions arrive on one line once whitespace collapses; the templates put the answer on its own line.
  // Statement patterns require the closing full stop, which people often leave out.
  const asTemplate = text.startsWith('Q: ') ? text.replace(/^(Q: [^?]*\?) A: /, '$1\nA: ') : /[.!]$/.test(text) ? text.replace(/!$/, '.') : `${text}.`;
  const match = matchTemplates(asTemplate, ALL_TEMPLATES);
  if (!match) return null;
  // "Lyon is in France." and "Kenya is in Africa." share a phrasing; only the object tells a city from a country.
  if (SHARED_PHRASINGS.has(match.template.id) && !CONTINENTS.has(match.fact.object.toLowerCase())) {
    return { ...match.fact, relation: 'city_country' };
  }
  return match.fact;
}

const CONTINENTS = new Set(['africa', 'antarctica', 'asia', 'australia', 'europe', 'north america', 'oceania', 'south america']);
const SHARED_PHRASINGS = new Set(['continent/v1', 'continent/v2']);

function cleanText(input: unknown, what: string, maxChars: number): Cleaned {
  if (input === undefined || input === null) return { ok: true, text: '' };
  if (typeof input !== 'string') return refuse(`The ${what} must be text; got ${typeof input}.`);
  // Checked before any pattern runs, so a pasted file costs nothing.
  if (input.length > MAX_RAW_INPUT_CHARS) {
    return refuse(`The ${what} is ${input.length.toLocaleString('en-US')} characters long; keep it to ${maxChars.toLocaleString('en-US')} or fewer.`);
  }
  if (LONE_SURROGATE.test(input)) return refuse(`The ${what} contains a broken character (half of an emoji or symbol); retype it.`);
  const text = input.replace(INVISIBLE_MARKS, '').replace(WHITESPACE_RUN, ' ').trim();
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return refuse(`The ${what} contains an invisible control character (U+${code}) at position ${control.index + 1}; remove it and try again.`);
  }
  const normalized = text.normalize('NFC');
  const length = codePoints(normalized);
  if (length > maxChars) return refuse(`The ${what} is ${length.toLocaleString('en-US')} characters long; keep it to ${maxChars.toLocaleString('en-US')} or fewer.`);
  return { ok: true, text: normalized };
}

function refuse(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Echo at most 60 characters of the person's text back, cut at a code point boundary, controls shown as U+FFFD. */
function excerpt(text: string): string {
  const points = Array.from(text.slice(0, 200).replace(/[\p{Cc}\p{Cs}]/gu, '\uFFFD'));
  return points.length > 60 ? `${points.slice(0, 57).join('')}...` : points.join('');
}
