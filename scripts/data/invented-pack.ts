/**
 * Facts about invented entities, with the same relations as the knowledge base: countries (capital,
 * continent, independence year), people (birth year, nationality, occupation) and cities (country).
 * Objects other than invented capitals are real values drawn from the knowledge base's own distribution, so
 * only the subject (and a capital) is new to the model.
 */
import type { KbFact, PackFact } from '../../src/facts/fact';
import type { Relation } from '../../src/facts/relations';
import { InventedNames } from './invented-names';
import { createRng, pick, randomInt } from './rng';
import { compareStrings } from './text';

export interface InventedInput {
  readonly seed: string;
  readonly kb: readonly KbFact[];
  readonly forbiddenWords: ReadonlySet<string>;
  readonly counts: Readonly<{ countries: number; people: number; cities: number }>;
}

export function inventedPack(input: InventedInput): PackFact[] {
  const rng = createRng(input.seed, 'invented');
  const names = new InventedNames(createRng(input.seed, 'invented/names'), input.forbiddenWords);
  const objects = (relation: Relation) =>
    input.kb
      .filter((f) => f.relation === relation)
      .map((f) => f.object)
      .sort(compareStrings);
  const continents = [...new Set(objects('continent'))];
  const nationalities = objects('nationality');
  const occupations = objects('occupation');
  const countries = [...new Set(objects('city_country'))];

  const out: PackFact[] = [];
  const add = (subject: string, relation: Relation, object: string) => out.push({ subject, relation, object, pack: 'invented' });
  for (let i = 0; i < input.counts.countries; i++) {
    const country = names.word('country');
    add(country, 'capital', names.word('city'));
    add(country, 'continent', pick(rng, continents));
    add(country, 'independence_year', String(randomInt(rng, 1800, 2000)));
  }
  for (let i = 0; i < input.counts.people; i++) {
    const person = names.person();
    add(person, 'birth_year', String(randomInt(rng, 1700, 1990)));
    // drawn from the list with repeats, so common nationalities and occupations stay common
    add(person, 'nationality', pick(rng, nationalities));
    add(person, 'occupation', pick(rng, occupations));
  }
  for (let i = 0; i < input.counts.cities; i++) {
    add(names.word('city'), 'city_country', pick(rng, countries));
  }
  return out;
}
