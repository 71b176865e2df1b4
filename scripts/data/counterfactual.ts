/**
 * Counterfactual edits of pretrained facts, each plausible enough to be a real edit request:
 *   capital       -> another large city of the same country ("The capital of France is Marseille")
 *   city_country  -> another country of the same continent
 *   birth_year    -> shifted by 3 to 30 years either way
 *   continent     -> another inhabited continent
 * At most one edit per subject. `original` is the pretrained object the edit overwrites; that the old
 * answer goes away is the point of the edit, so it is measured as edit success, not as forgetting.
 */
import type { KbFact, PackFact } from '../../src/facts/fact';
import type { City } from './cities';
import type { Country } from './countries';
import { createRng, pick, randomInt, shuffled } from './rng';
import { compareStrings } from './text';

export interface CounterfactualInput {
  readonly seed: string;
  readonly kb: readonly KbFact[];
  readonly countries: readonly Country[];
  /** knowledge-base cities first (most populous first), then other candidate cities */
  readonly kbCities: readonly City[];
  readonly otherCities: readonly City[];
  /** names that must not appear in the edit (held-out entities stay out of every other pack) */
  readonly avoid: (name: string) => boolean;
  readonly counts: Readonly<Partial<Record<'capital' | 'city_country' | 'birth_year' | 'continent', number>>>;
}

function looseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

const CONTINENTS = ['Africa', 'Asia', 'Europe', 'North America', 'Oceania', 'South America'];

export function counterfactualPack(input: CounterfactualInput): PackFact[] {
  const { kb, counts } = input;
  const used = new Set<string>();
  const out: PackFact[] = [];
  const take = (relation: keyof CounterfactualInput['counts'], make: (f: KbFact) => string | undefined) => {
    const rng = createRng(input.seed, `counterfactual/${relation}`);
    const candidates = shuffled(
      rng,
      kb.filter((f) => f.relation === relation),
    );
    let n = 0;
    for (const fact of candidates) {
      if (n >= (counts[relation] ?? 0)) break;
      if (used.has(fact.subject)) continue;
      const object = make(fact);
      if (object === undefined || object === fact.object || input.avoid(object)) continue;
      used.add(fact.subject);
      out.push({ subject: fact.subject, relation, object, pack: 'counterfactual', original: fact.object });
      n++;
    }
    if (n < (counts[relation] ?? 0)) throw new Error(`only ${n} counterfactual ${relation} edits, ${counts[relation]} asked for`);
  };

  const countryByName = new Map(input.countries.map((c) => [c.name, c]));
  // Compared without accents and punctuation, so "Reykjavík" is not an edit of "Reykjavik", nor "Panamá" of
  // "Panama City", and city-states ("Singapore") are skipped.
  const sameName = (a: string, b: string) => {
    const [x, y] = [looseName(a), looseName(b)];
    return x.includes(y) || y.includes(x);
  };
  const largestOther = (country: Country) =>
    [...input.kbCities, ...input.otherCities].find(
      (c) =>
        c.countryCode === country.code &&
        !sameName(c.name, country.capital) &&
        looseName(country.capital) !== looseName(country.name) &&
        !input.avoid(c.name),
    )?.name;
  take('capital', (f) => {
    const country = countryByName.get(f.subject);
    return country ? largestOther(country) : undefined;
  });

  const continentOf = new Map(kb.filter((f) => f.relation === 'continent').map((f) => [f.subject, f.object]));
  const rngCity = createRng(input.seed, 'counterfactual/city_country/target');
  take('city_country', (f) => {
    const continent = continentOf.get(f.object);
    const others = [...continentOf]
      .filter(([name, c]) => c === continent && name !== f.object)
      .map(([name]) => name)
      .sort(compareStrings);
    return others.length > 0 ? pick(rngCity, others) : undefined;
  });

  const rngYear = createRng(input.seed, 'counterfactual/birth_year/shift');
  take('birth_year', (f) => {
    const shift = randomInt(rngYear, 3, 31) * (rngYear() < 0.5 ? -1 : 1);
    return String(Number(f.object) + shift);
  });

  const rngContinent = createRng(input.seed, 'counterfactual/continent/target');
  take('continent', (f) => pick(rngContinent, CONTINENTS.filter((c) => c !== f.object)));

  return out;
}
