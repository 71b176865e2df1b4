/**
 * The invented number facts of a continued-pretraining phase (scripts/data/number-facts.ts): every number 1-999 is
 * an answer once per relation, the subjects are new, their words are none of the forbidden ones, and their forms
 * are ones the stream generator never makes for those relations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { inventedNumberFacts, NUMBER_FACT_MAX } from '../../scripts/data/number-facts';

const jsonl = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Fact);
const known = [...jsonl('public/data/kb.jsonl'), ...['counterfactual', 'invented', 'real-unseen'].flatMap((p) => jsonl(`public/data/packs/${p}.jsonl`))];
const words = (text: string) => text.toLowerCase().split(/[^a-z]+/).filter(Boolean);

describe('invented number facts', () => {
  const forbidden = new Set(known.flatMap((f) => [...words(f.subject), ...words(f.object)]));
  const facts = inventedNumberFacts(forbidden);

  it('answer every number from 1 to 999 once as an atomic number and once as a calling code', () => {
    const atomic = facts.filter((f) => f.relation === 'atomic_number').map((f) => Number(f.object));
    const calling = facts.filter((f) => f.relation === 'calling_code').map((f) => f.object);
    const all = Array.from({ length: NUMBER_FACT_MAX }, (_, i) => i + 1);
    expect(atomic).toEqual(all);
    expect(calling).toEqual(all.map((n) => `+${n}`));
    expect(facts).toHaveLength(2 * NUMBER_FACT_MAX);
  });

  it('have new subjects of forms the stream generator never makes, with no forbidden word, the same every time', () => {
    const subjects = facts.map((f) => f.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    const knownSubjects = new Set(known.map((f) => f.subject.toLowerCase()));
    expect(subjects.filter((s) => knownSubjects.has(s.toLowerCase()))).toEqual([]);
    for (const f of facts) {
      // the stream's elements are "<name>ium" and its countries one word
      if (f.relation === 'atomic_number') expect(f.subject).toMatch(/^[A-Z][a-z]+ine$/);
      else expect(f.subject).toMatch(/^[A-Z][a-z]+ Islands$/);
      expect(f.subject).not.toMatch(/ium$/);
      // the invented word itself, before "ine" or " Islands"
      const name = f.subject.replace(/ine$| Islands$/, '').toLowerCase();
      expect(forbidden.has(name)).toBe(false);
    }
    expect(inventedNumberFacts(forbidden)).toEqual(facts);
    expect(inventedNumberFacts(forbidden, 'another seed')).not.toEqual(facts);
  });
});
