/**
 * Which people and cities go into the pretraining knowledge base and which are held out entirely (the
 * real-unseen pack). Held-out entities are rare in the general text (named at most a couple of times, and
 * those lines are then dropped by the leakage filter); knowledge-base people are the most mentioned ones (at
 * most so many per nationality), so the general text reinforces what the facts say; knowledge-base cities are
 * the most populous (at most so many per country).
 */
import type { City } from './cities';
import type { TextDoc } from './corpora';
import { NameMatcher } from './name-matcher';
import { createRng, shuffled } from './rng';
import { compareStrings, lowerWords, words } from './text';
import type { Person } from './wordnet-people';

export interface EntitySelection {
  readonly kbPeople: Person[];
  readonly kbCities: City[];
  readonly heldOutPeople: Person[];
  readonly heldOutCities: City[];
  /** Names whose mention drops a pretraining line: held-out full names, surnames and city names. */
  readonly heldOutTerms: string[];
}

export interface SelectionInput {
  readonly seed: string;
  readonly people: readonly Person[];
  /** candidate cities, most populous first */
  readonly cities: readonly City[];
  readonly capitals: ReadonlySet<string>;
  /** lower-cased words of every template: a held-out name must not be one of them */
  readonly templateWords: ReadonlySet<string>;
  /** general text the counts are taken over (the training split, before filtering) */
  readonly docs: readonly TextDoc[];
  /** each person's own WordNet gloss, which names them and is dropped anyway if they are held out */
  readonly ownGloss: ReadonlyMap<string, string>;
  readonly counts: {
    readonly kbPeople: number;
    readonly kbCities: number;
    readonly heldOutPeople: number;
    readonly heldOutCities: number;
    readonly maxMentions: number;
    readonly kbCitiesPerCountry: number;
    readonly kbPeoplePerNationality: number;
    readonly heldOutCitiesPerCountry: number;
  };
}

export function selectEntities(input: SelectionInput): EntitySelection {
  const { people, cities, counts } = input;
  const terms = [...people.flatMap((p) => [p.name, p.surname]), ...cities.map((c) => c.name)];
  const matcher = new NameMatcher(terms);
  const mentions = new Map<string, number>();
  for (const doc of input.docs) matcher.count(doc.text, mentions);
  const exactCase = exactWordCounts(input.docs);

  const personMentions = (p: Person) => {
    const own = new Map<string, number>();
    matcher.count(input.ownGloss.get(p.synsetId) ?? '', own);
    return (mentions.get(p.surname) ?? 0) - (own.get(p.surname) ?? 0);
  };
  const usable = (name: string) => lowerWords(name).every((w) => w.length >= 4 && !input.templateWords.has(w));

  // Held-out people: rare surname, not shared with any other candidate (whose facts would name it).
  const surnameOwners = new Map<string, number>();
  for (const p of people) surnameOwners.set(p.surname, (surnameOwners.get(p.surname) ?? 0) + 1);
  const cityNames = new Set(cities.map((c) => c.name.toLowerCase()));
  const peoplePool = people.filter(
    (p) =>
      personMentions(p) <= counts.maxMentions &&
      surnameOwners.get(p.surname) === 1 &&
      usable(p.surname) &&
      !cityNames.has(p.surname.toLowerCase()),
  );
  const heldOutPeople = shuffled(createRng(input.seed, 'held-out-people'), peoplePool)
    .slice(0, counts.heldOutPeople)
    .sort((a, b) => compareStrings(a.name, b.name));

  const surnames = new Set(people.map((p) => p.surname.toLowerCase()));
  const cityPool = cities.filter(
    (c) =>
      (mentions.get(c.name) ?? 0) <= counts.maxMentions &&
      !input.capitals.has(c.name) &&
      usable(c.name) &&
      !lowerWords(c.name).some((w) => surnames.has(w)),
  );
  const heldOutCities = capPer(
    shuffled(createRng(input.seed, 'held-out-cities'), cityPool),
    (c) => c.countryCode,
    counts.heldOutCities,
    counts.heldOutCitiesPerCountry,
  ).sort((a, b) => compareStrings(a.name, b.name));

  const heldOutTerms = [...heldOutPeople.flatMap((p) => [p.name, p.surname]), ...heldOutCities.map((c) => c.name)].sort(
    compareStrings,
  );
  const heldOutMatcher = new NameMatcher(heldOutTerms);
  const heldOutPeopleSet = new Set(heldOutPeople);
  const heldOutCitySet = new Set(heldOutCities);

  // Knowledge-base people: the most mentioned (exact-case surname counts, so "Bell" the word does not count
  // as Bell the inventor, plus full-name mentions), never one that a held-out name would appear in.
  const notability = (p: Person) => (exactCase.get(p.surname) ?? 0) + 5 * (mentions.get(p.name) ?? 0);
  const byNotability = people
    .filter((p) => !heldOutPeopleSet.has(p) && !heldOutMatcher.matches(p.name))
    .map((p) => ({ p, score: notability(p) }))
    .sort((a, b) => b.score - a.score || compareStrings(a.p.name, b.p.name))
    .map(({ p }) => p);
  const kbPeople = capPer(byNotability, (p) => p.nationality, counts.kbPeople, counts.kbPeoplePerNationality).sort((a, b) =>
    compareStrings(a.name, b.name),
  );

  const kbCities = capPer(
    cities.filter((c) => !heldOutCitySet.has(c) && !heldOutMatcher.matches(c.name)),
    (c) => c.countryCode,
    counts.kbCities,
    counts.kbCitiesPerCountry,
  );

  return { kbPeople, kbCities, heldOutPeople, heldOutCities, heldOutTerms };
}

/** The first `total` items in list order, at most `perGroup` from any one group. */
function capPer<T>(items: readonly T[], group: (item: T) => string, total: number, perGroup: number): T[] {
  const taken = new Map<string, number>();
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= total) break;
    const key = group(item);
    const n = taken.get(key) ?? 0;
    if (n >= perGroup) continue;
    taken.set(key, n + 1);
    out.push(item);
  }
  return out;
}

function exactWordCounts(docs: readonly TextDoc[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const doc of docs) for (const w of words(doc.text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}
