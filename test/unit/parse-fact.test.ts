import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import {
  MAX_FIELD_CHARS,
  MAX_RAW_INPUT_CHARS,
  MAX_SENTENCE_CHARS,
  parseFact,
  validateFact,
  VARIANT_TEMPLATES,
} from '../../src/facts/parse-fact';
import { RELATION_INFO, RELATIONS, type Relation } from '../../src/facts/relations';
import { evalTemplates, indefiniteArticle, renderTemplate, trainTemplates } from '../../src/facts/templates';

/** A second, made-up fact per relation, with names from other scripts, so the round trip is not about ASCII. */
const OTHER: Readonly<Record<Relation, Fact>> = {
  capital: { subject: 'Veloria', relation: 'capital', object: 'Tamsin' },
  continent: { subject: 'Ōrvik Ñuble', relation: 'continent', object: 'Oceania' },
  currency: { subject: '東方国', relation: 'currency', object: '金貨' },
  language: { subject: 'الوادي', relation: 'language', object: 'עברית' },
  calling_code: { subject: 'Zerland', relation: 'calling_code', object: '+1 268' },
  independence_year: { subject: 'Bapatheand', relation: 'independence_year', object: '1858' },
  element_symbol: { subject: 'Unobtainium', relation: 'element_symbol', object: 'Uo' },
  atomic_number: { subject: 'Unobtainium', relation: 'atomic_number', object: '119' },
  element_category: { subject: 'Unobtainium', relation: 'element_category', object: 'alkali metal' },
  birth_year: { subject: 'Basta Taseitez', relation: 'birth_year', object: '1962' },
  nationality: { subject: 'Jean-Luc Ødegård', relation: 'nationality', object: 'Norwegian' },
  occupation: { subject: '🦊 Fox', relation: 'occupation', object: 'astronaut' },
  city_country: { subject: 'Zorvath', relation: 'city_country', object: 'Peru' },
};

function fillVariant(text: string, fact: Fact): string {
  return text.replace(/\{[SOa]\}/g, (slot) => (slot === '{S}' ? fact.subject : slot === '{O}' ? fact.object : indefiniteArticle(fact.object)));
}

describe('parseFact: every template round-trips', () => {
  it.each(RELATIONS)('%s: training and eval-only renderings parse back to the fact', (relation) => {
    for (const fact of [RELATION_INFO[relation].example, OTHER[relation]]) {
      for (const template of [...trainTemplates(relation), ...evalTemplates(relation)]) {
        const text = renderTemplate(template, fact);
        expect(parseFact(text), `${template.id}: ${text}`).toEqual({ ok: true, fact });
      }
    }
  });

  it('parses each natural variant to its relation', () => {
    for (const template of VARIANT_TEMPLATES) {
      for (const fact of [RELATION_INFO[template.relation].example, OTHER[template.relation]]) {
        const text = fillVariant(template.text, fact);
        expect(parseFact(text), `${template.id}: ${text}`).toEqual({ ok: true, fact });
      }
    }
  });

  it('renders and parses back a subject with replacement patterns or placeholders in it', () => {
    for (const subject of ["A$'B", 'A$&B', 'X{a}Y', 'Q{S}R']) {
      const fact: Fact = { subject, relation: 'occupation', object: 'engineer' };
      for (const template of trainTemplates('occupation')) {
        const text = renderTemplate(template, fact);
        expect(text).toContain(subject);
        expect(parseFact(text)).toEqual({ ok: true, fact });
      }
    }
  });
});

describe('parseFact: hand cases', () => {
  const veloria = { ok: true, fact: { subject: 'Veloria', relation: 'capital', object: 'Tamsin' } };

  it('tolerates case, spacing, missing full stop and invisible marks', () => {
    expect(parseFact('The capital of Veloria is Tamsin.')).toEqual(veloria);
    expect(parseFact('  the capital   of\tVeloria\nis  Tamsin  ')).toEqual(veloria);
    expect(parseFact('The capital of Ve\u200Bloria is Tam\u00ADsin.')).toEqual(veloria);
    expect(parseFact('\uFEFFThe capital of Veloria is\u00A0Tamsin.')).toEqual(veloria);
    expect(parseFact('Tamsin is the capital of Veloria.')).toEqual(veloria);
    expect(parseFact('Q: What is the capital of Veloria? A: Tamsin')).toEqual(veloria);
  });

  it('tells a city from a country by the object when the phrasing is shared', () => {
    expect(parseFact('Kenya is in Africa.')).toEqual({ ok: true, fact: { subject: 'Kenya', relation: 'continent', object: 'Africa' } });
    expect(parseFact('Lyon is in France.')).toEqual({ ok: true, fact: { subject: 'Lyon', relation: 'city_country', object: 'France' } });
  });

  it('normalises to NFC and keeps every script and emoji', () => {
    const decomposed = 'The capital of Zu\u0308rich-Land is Ko\u0308ln.';
    expect(parseFact(decomposed)).toEqual({ ok: true, fact: { subject: 'Zürich-Land', relation: 'capital', object: 'Köln' } });
    expect(parseFact('The capital of \u200Fالمملكة\u200F is القاهرة.')).toEqual({
      ok: true,
      fact: { subject: 'المملكة', relation: 'capital', object: 'القاهرة' },
    });
    expect(parseFact('The capital of 👨‍👩‍👧 Land is 🇫🇷.')).toEqual({
      ok: true,
      fact: { subject: '👨‍👩‍👧 Land', relation: 'capital', object: '🇫🇷' },
    });
  });

  it.each([
    ['', /^Type a fact first/],
    [' \t\n\u00A0 ', /^Type a fact first/],
    ['What is the capital of France?', /looks like a question/],
    ['The mayor of Veloria is Tamsin.', /could not tell which relation "The mayor of Veloria is Tamsin\." states.*The capital of France is Paris\./],
    ['The capital of Veloria is \u0007Tamsin.', /control character \(U\+0007\) at position 27/],
    ['The capital of Veloria is Tams\u009Bin.', /control character \(U\+009B\)/],
    ['The capital of Ve\uD800loria is Tamsin.', /broken character/],
    ['The capital of ... is Tamsin.', /subject "\.\.\." has no letters or digits/],
    ['The capital of Veloria is ?!.', /object "\?!" has no letters or digits/],
    ['The capital of <script>alert(1)</script> is Tamsin.', /subject ".*" contains "<" or ">"/],
    ['Veloria is a country in veloria.', /both "Veloria"/],
    ['People in Veloria speak Veloria.', /both "Veloria"/],
    ['Bapatheand became independent in long ago.', /year of independence must be a year written in digits/],
    ['Iron has atomic number twenty-six.', /atomic number must be a whole number/],
    ['The calling code of France is thirty-three.', /calling code must be digits/],
    [`The capital of ${'x'.repeat(MAX_FIELD_CHARS + 1)} is Tamsin.`, new RegExp(`subject is ${MAX_FIELD_CHARS + 1} characters long; keep it to ${MAX_FIELD_CHARS}`)],
    [`The capital of Veloria is ${'y '.repeat(MAX_SENTENCE_CHARS / 2)}.`, /text is 1,0\d\d characters long; keep it to 1,000 or fewer/],
    ['z'.repeat(MAX_RAW_INPUT_CHARS + 1), /text is 4,001 characters long/],
  ])('refuses %j', (input, message) => {
    const result = parseFact(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('refuses what is not text', () => {
    for (const input of [42, {}, ['The capital of A is B.'], true]) {
      expect(parseFact(input)).toEqual({ ok: false, message: `The text must be text; got ${typeof input}.` });
    }
  });

  it('accepts a sentence at exactly the limits', () => {
    const subject = 'S'.repeat(MAX_FIELD_CHARS);
    expect(parseFact(`The capital of ${subject} is Tamsin.`)).toEqual({ ok: true, fact: { subject, relation: 'capital', object: 'Tamsin' } });
    // Whitespace collapses before the sentence limit is applied.
    expect(parseFact(`The capital of Veloria is${' '.repeat(MAX_SENTENCE_CHARS * 2)}Tamsin.`)).toEqual(veloria);
  });
});

describe('validateFact (the form)', () => {
  it('cleans the fields and keeps the relation', () => {
    expect(validateFact({ subject: '  Veloria ', relation: 'capital', object: 'Tam\u200Bsin\n' })).toEqual({
      ok: true,
      fact: { subject: 'Veloria', relation: 'capital', object: 'Tamsin' },
    });
  });

  it.each([
    [{ subject: 'A', relation: 'mayor', object: 'B' }, /Choose a relation: got "mayor"; it must be one of capital, continent,/],
    [{ subject: 'A', relation: undefined, object: 'B' }, /Choose a relation: got no relation/],
    [{ subject: '', relation: 'capital', object: 'B' }, /^The subject is empty/],
    [{ subject: 'A', relation: 'capital', object: '   ' }, /^The object is empty/],
    [{ subject: 7, relation: 'capital', object: 'B' }, /^The subject must be text; got number/],
    [{ subject: 'A\u0000', relation: 'capital', object: 'B' }, /subject contains an invisible control character \(U\+0000\)/],
    [{ subject: 'A', relation: 'capital', object: 'b'.repeat(MAX_FIELD_CHARS + 1) }, /object is 201 characters long/],
    [{ subject: '---', relation: 'capital', object: 'B' }, /subject "---" has no letters or digits/],
    [{ subject: 'A', relation: 'birth_year', object: 'last year' }, /year of birth must be a year/],
    [{ subject: 'Same', relation: 'language', object: 'SAME' }, /both "Same"/],
  ])('refuses %j', (input, message) => {
    const result = validateFact(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('accepts every fact of the knowledge base and the teach packs unchanged', () => {
    const files = ['kb.jsonl', 'packs/real-unseen.jsonl', 'packs/counterfactual.jsonl', 'packs/invented.jsonl'];
    let count = 0;
    for (const file of files) {
      for (const line of readFileSync(new URL(`../../public/data/${file}`, import.meta.url), 'utf8').split('\n')) {
        if (!line) continue;
        const { subject, relation, object } = JSON.parse(line) as Fact;
        expect(validateFact({ subject, relation, object }), line).toEqual({ ok: true, fact: { subject, relation, object } });
        count++;
      }
    }
    expect(count).toBeGreaterThan(4000);
  });
});
