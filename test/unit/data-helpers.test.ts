import { describe, expect, it } from 'vitest';
import type { TextDoc } from '../../scripts/data/corpora';
import { InventedNames } from '../../scripts/data/invented-names';
import { parseJsonl, toJsonl } from '../../scripts/data/jsonl';
import { emptyFilterStats, filterDoc } from '../../scripts/data/leakage';
import { NameMatcher } from '../../scripts/data/name-matcher';
import { createRng, hashUnit, shuffled } from '../../scripts/data/rng';
import { splitSentences } from '../../scripts/data/text';

describe('NameMatcher', () => {
  const m = new NameMatcher(['Jan Hendrix Oort', 'Oort', 'San Pedro Sula']);

  it('matches whole words, case-insensitively, including multi-word names', () => {
    expect(m.find('the OORT cloud')).toEqual(['Oort']);
    expect(m.find("Oort's constant")).toEqual(['Oort']);
    expect(m.find('Jan Hendrix Oort (1900-1992)')).toEqual(['Jan Hendrix Oort', 'Oort']);
    expect(m.find('flights to San Pedro Sula today')).toEqual(['San Pedro Sula']);
  });

  it('does not match inside longer words or partial sequences', () => {
    expect(m.matches('Oortcloud and Kuiper')).toBe(false);
    expect(m.matches('San Pedro is not the same place')).toBe(false);
  });

  it('counts occurrences', () => {
    const counts = new Map<string, number>();
    m.count('Oort, Oort and oort', counts);
    expect(counts.get('Oort')).toBe(3);
  });
});

describe('leakage filter', () => {
  const matcher = new NameMatcher(['Oort']);

  it('drops only the sentences that name a held-out entity from prose', () => {
    const doc: TextDoc = { domain: 'sotu', id: 'x', text: 'First sentence. Oort was Dutch. Last one!\n\nSecond paragraph.' };
    const stats = emptyFilterStats();
    expect(filterDoc(doc, matcher, stats)?.text).toBe('First sentence. Last one!\n\nSecond paragraph.');
    expect(stats.droppedUnits).toBe(1);
  });

  it('drops whole gloss lines and leaves untouched documents as they are', () => {
    const glosses: TextDoc = { domain: 'wordnet-glosses', id: 'g', text: 'dog: a canine\nOort: Dutch astronomer. Born 1900\ncat: a feline' };
    expect(filterDoc(glosses, matcher, emptyFilterStats())?.text).toBe('dog: a canine\ncat: a feline');
    const clean: TextDoc = { domain: 'moby-dick', id: 'c', text: 'Call me Ishmael.  Some years ago.' };
    expect(filterDoc(clean, matcher, emptyFilterStats())).toBe(clean);
  });

  it('drops a document left empty', () => {
    const stats = emptyFilterStats();
    expect(filterDoc({ domain: 'factbook', id: 'f', text: 'Oort.' }, matcher, stats)).toBeNull();
    expect(stats.droppedDocs).toBe(1);
  });
});

describe('text helpers', () => {
  it('splits sentences at terminal punctuation before a capital', () => {
    expect(splitSentences('One. Two? "Three!" Four 4.5 and 5. 6 is last')).toEqual(['One.', 'Two?', '"Three!"', 'Four 4.5 and 5.', '6 is last']);
  });

  it('writes JSON lines with a fixed key order and reads them back', () => {
    const text = toJsonl([{ b: 1, a: 'x', c: undefined }], ['a', 'b', 'c']);
    expect(text).toBe('{"a":"x","b":1}\n');
    expect(parseJsonl(text)).toEqual([{ a: 'x', b: 1 }]);
  });
});

describe('seeded randomness', () => {
  it('is reproducible per seed and stream', () => {
    const a = shuffled(createRng('s', 'one'), [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(shuffled(createRng('s', 'one'), [1, 2, 3, 4, 5, 6, 7, 8])).toEqual(a);
    expect(shuffled(createRng('s', 'two'), [1, 2, 3, 4, 5, 6, 7, 8])).not.toEqual(a);
    expect(hashUnit('s', 'k')).toBe(hashUnit('s', 'k'));
    expect(hashUnit('s', 'k')).not.toBe(hashUnit('t', 'k'));
  });
});

describe('invented names', () => {
  it('never returns a forbidden word or the same name twice, and is seeded', () => {
    const forbidden = new Set<string>();
    const first = new InventedNames(createRng('seed', 'names'), forbidden);
    const names = Array.from({ length: 200 }, () => first.word('city'));
    expect(new Set(names).size).toBe(200);
    const again = new InventedNames(createRng('seed', 'names'), forbidden);
    expect(Array.from({ length: 200 }, () => again.word('city'))).toEqual(names);

    const avoiding = new InventedNames(createRng('seed', 'names'), new Set(names.slice(0, 50).map((n) => n.toLowerCase())));
    const other = Array.from({ length: 100 }, () => avoiding.word('city'));
    for (const n of names.slice(0, 50)) expect(other).not.toContain(n);
    expect(new InventedNames(createRng('seed', 'p'), forbidden).person()).toMatch(/^\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+$/u);
  });
});
