/**
 * Seeded generated inputs for parseFact and validateFact: each case knows what it should get, either a refusal
 * whose message names the problem or exactly the fact the input states. Nothing may throw.
 */
import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { MAX_FIELD_CHARS, MAX_RAW_INPUT_CHARS, MAX_SENTENCE_CHARS, parseFact, validateFact, type FactResult } from '../../src/facts/parse-fact';
import { RELATION_INFO, RELATIONS, type Relation } from '../../src/facts/relations';
import { renderTemplate, trainTemplates } from '../../src/facts/templates';
import { randomInt, seededRandom } from '../seeded-random';

type Expect = { fact: Fact } | { message: RegExp };
interface Case {
  readonly kind: string;
  readonly run: () => FactResult;
  readonly expect: Expect;
}

const rand = seededRandom(20251125);
const pick = <T,>(items: readonly T[]): T => items[randomInt(rand, 0, items.length)];

// Name pieces from several scripts, all NFC, none an English word a template could latch onto.
const PIECES = ['Vel', 'oria', 'Tam', 'sin', 'Zür', 'ich', 'Ørs', 'Ñu', 'ble', '東', '京', '北', 'القا', 'هرة', 'עב', 'רית', 'मुं', 'बई', 'Мос', 'ква', '🦊', '👨‍👩‍👧', '🇫🇷', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'ﷺ', 'Ω'];
const SPACES = [' ', '  ', '\t', '\n', '\r\n', '\u00A0', '\u3000', '\u2028', '\u0085', '\u200B', '\uFEFF'];
const HTML = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '<iframe srcdoc="<script>parent.x=1</script>">',
  '</textarea><b>bold</b>',
];
const UNKNOWN = [
  'The mayor of {S} is {O}.',
  '{S} loves {O}.',
  '{S} and {O}',
  'Remember that {S} equals {O}',
  '{S} -> {O}',
  'capital: {S} = {O}',
  'The population of {S} is {O}.',
  '{S} was painted by {O}.',
];

function name(): string {
  let out = '';
  const parts = randomInt(rand, 1, 4);
  for (let i = 0; i < parts; i++) out += (i > 0 && rand() < 0.3 ? ' ' : '') + pick(PIECES);
  return out;
}

function objectFor(relation: Relation, subject: string): string {
  switch (RELATION_INFO[relation].objectKind) {
    case 'year':
      return String(randomInt(rand, 1, 2030));
    case 'number':
      return String(randomInt(rand, 1, 200));
    case 'calling-code':
      return `+${randomInt(rand, 1, 999)}`;
    default: {
      let object = name();
      while (object.toLowerCase() === subject.toLowerCase()) object = name();
      return object;
    }
  }
}

function validFact(subject = name()): Fact {
  const relation = pick(RELATIONS);
  return { subject, relation, object: objectFor(relation, subject) };
}

function sentence(fact: Fact): string {
  return renderTemplate(pick(trainTemplates(fact.relation)), fact);
}

function insertAt(text: string, at: number, piece: string): string {
  // Never split a surrogate pair: that would be a second, unintended error.
  const points = Array.from(text);
  const i = Math.min(at, points.length);
  return points.slice(0, i).join('') + piece + points.slice(i).join('');
}

function randomText(length: number): string {
  let out = '';
  while (out.length < length) out += pick([...PIECES, ' ', 'the ', 'is ', '.', '<', 'a'.repeat(randomInt(rand, 1, 50))]);
  return out.slice(0, length);
}

function controlChar(): string {
  const codes = [...range(0x00, 0x09), 0x0e, 0x0f, ...range(0x10, 0x20), 0x7f, ...range(0x80, 0x85), ...range(0x86, 0xa0)];
  return String.fromCodePoint(pick(codes));
}

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo }, (_, i) => lo + i);
}

function cases(): Case[] {
  const out: Case[] = [];
  const parse = (kind: string, input: unknown, expect: Expect) => out.push({ kind, run: () => parseFact(input), expect });

  for (let i = 0; i < 20; i++) {
    const blank = Array.from({ length: randomInt(rand, 0, 12) }, () => pick(SPACES)).join('');
    parse('blank', blank, { message: /^Type a fact first/ });
  }
  for (let i = 0; i < 12; i++) {
    const length = i === 0 ? 100 * 1024 : randomInt(rand, MAX_RAW_INPUT_CHARS + 1, 200_000);
    parse('huge paste', randomText(length), { message: new RegExp(`^The text is ${length.toLocaleString('en-US')} characters long`) });
  }
  for (let i = 0; i < 12; i++) {
    // Long after whitespace collapses, short enough to be cleaned first.
    const fact = validFact();
    const padding = Array.from({ length: randomInt(rand, MAX_SENTENCE_CHARS / 2, MAX_RAW_INPUT_CHARS / 2 - 50) }, () => 'ab').join(' ');
    parse('long sentence', `${sentence(fact)} ${padding}`, { message: /^The text is [\d,]+ characters long; keep it to 1,000 or fewer\.$/ });
  }
  for (let i = 0; i < 30; i++) {
    const text = sentence(validFact());
    const control = controlChar();
    const at = randomInt(rand, 0, Array.from(text).length + 1);
    const code = control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    parse('control character', insertAt(text, at, control), { message: new RegExp(`control character \\(U\\+${code}\\)`) });
  }
  for (let i = 0; i < 40; i++) {
    const fact = validFact();
    parse('unicode names', sentence(fact), { fact });
  }
  for (let i = 0; i < 10; i++) {
    // Right-to-left names pasted with direction marks: the marks go, the letters stay.
    const bare = pick(['القاهرة', 'עברית', 'دبي', 'ירושלים']);
    const fact: Fact = { subject: bare, relation: 'capital', object: 'Tamsin' };
    parse('rtl with marks', `The capital of \u200F${bare}\u202C\u2067 is Tamsin.`, { fact });
  }
  for (let i = 0; i < 24; i++) {
    const html = pick(HTML);
    const fact = validFact();
    if (i % 3 === 0) parse('html as sentence', html, { message: /could not tell which relation|looks like a question/ });
    else if (i % 3 === 1) parse('html subject', sentence({ ...fact, subject: html }), { message: /subject ".*" contains "<" or ">"/ });
    else {
      const relation = pick(RELATIONS.filter((r) => !['year', 'number', 'calling-code'].includes(RELATION_INFO[r].objectKind)));
      parse('html object', sentence({ subject: name(), relation, object: html }), { message: /object ".*" contains "<" or ">"/ });
    }
  }
  for (let i = 0; i < 15; i++) {
    const long = 'W'.repeat(randomInt(rand, MAX_FIELD_CHARS + 1, 900));
    parse('long word', sentence({ ...validFact(), subject: long }), { message: new RegExp(`^The subject is ${long.length} characters long`) });
  }
  for (let i = 0; i < 20; i++) {
    const text = pick(UNKNOWN).replace('{S}', name()).replace('{O}', name());
    parse('unknown relation', text, { message: /^I could not tell which relation ".+" states\. Write it like one of these: The capital of France is Paris\./ });
  }
  for (let i = 0; i < 15; i++) {
    const punctuation = Array.from({ length: randomInt(rand, 1, 6) }, () => pick(['.', ',', '-', '!', '"', "'", '(', ')', '*', '&', '…', '—'])).join('');
    parse('punctuation subject', sentence({ ...validFact(), subject: punctuation }), { message: /^The subject ".*" has no letters or digits/ });
  }
  for (let i = 0; i < 10; i++) {
    const subject = name();
    const relation = pick(['continent', 'currency', 'language', 'nationality', 'occupation', 'element_symbol'] as const);
    parse('object is subject', sentence({ subject, relation, object: subject.toUpperCase() }), { message: /^The subject and the object are both/ });
  }
  for (let i = 0; i < 10; i++) {
    const text = sentence(validFact());
    parse('lone surrogate', insertAt(text, randomInt(rand, 0, 10), pick(['\uD83E', '\uDD8A', '\uDBFF'])), { message: /broken character/ });
  }
  for (const input of [0, -1, NaN, true, false, {}, [], Symbol('x'), () => 1, 10n]) {
    parse('not text', input, { message: /^The text must be text; got \w+\.$/ });
  }
  for (let i = 0; i < 20; i++) {
    const fact = validFact();
    const relation = pick(['Capital', 'CAPITAL', 'mayor', '', '__proto__', 'constructor', 'toString', '<b>capital</b>', 'capital\u0000', '🦊']);
    out.push({ kind: 'form relation', run: () => validateFact({ ...fact, relation }), expect: { message: /^Choose a relation: got/ } });
  }
  for (let i = 0; i < 20; i++) {
    const fact = validFact();
    const subject = `${pick(SPACES)}${fact.subject}${pick(SPACES)}`;
    out.push({ kind: 'form valid', run: () => validateFact({ ...fact, subject }), expect: { fact } });
  }
  return out;
}

describe('parseFact and validateFact on generated input', () => {
  const all = cases();

  it('generates enough cases of every kind', () => {
    expect(all.length).toBeGreaterThanOrEqual(200);
    expect(new Set(all.map((c) => c.kind)).size).toBeGreaterThanOrEqual(15);
  });

  it('never throws, and answers each case with its fact or a specific message', () => {
    for (const [i, c] of all.entries()) {
      const label = `case ${i} (${c.kind})`;
      let result: FactResult;
      expect(() => (result = c.run()), label).not.toThrow();
      result = result!;
      if ('fact' in c.expect) {
        expect(result, label).toEqual({ ok: true, fact: c.expect.fact });
      } else {
        expect(result.ok, label).toBe(false);
        if (result.ok) continue;
        expect(result.message, label).toMatch(c.expect.message);
        // Plain text, one line, bounded: safe to show as it is.
        expect(result.message, label).not.toMatch(/[\p{Cc}\p{Cs}]/u);
        expect(result.message.length, label).toBeLessThan(1000);
      }
    }
  });
});
