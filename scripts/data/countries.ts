/**
 * Sovereign countries: the 196 states listed by world-countries-capitals, named and described by
 * countries-list (capital, continent, currency, language, calling code). Capitals come from countries-list
 * only: it is newer than the 2015 Factbook (Burundi's capital is Gitega, Palau's is Ngerulmud).
 */
import { packageInfo, readPackageJson } from './packages';
import type { SourceFact } from './source-fact';

interface ClCountry {
  name: string;
  capital: string;
  continent: string;
  continents?: string[];
  currency: string[];
  languages: string[];
  phone: number[];
  alias?: string[];
}

interface WccCountry {
  country: string;
  iso: { alpha_2: string };
}

export interface Country {
  /** ISO 3166-1 alpha-2, upper case */
  readonly code: string;
  readonly name: string;
  readonly capital: string;
  /** Other names the country goes by (countries-list aliases, Factbook spellings), for joins and filters. */
  readonly aliases: readonly string[];
  readonly continent: string;
}

// Short English names where countries-list uses a form that the general text (SOTU, Factbook) never uses.
const NAME_OVERRIDES: Record<string, string> = { TR: 'Turkey' };

// countries-list language names that are not the usual English name of the language.
const LANGUAGE_OVERRIDES: Record<string, string> = {
  Somalia: 'Somali',
  Rwandi: 'Kinyarwanda',
  Cambodian: 'Khmer',
  Laotian: 'Lao',
  Tonga: 'Tongan',
  Peul: 'Fula',
};

// A currency named by its unit ("Japanese Yen" -> "yen"): short, and what the templates say ("the yen").
// Units that are not a currency's everyday name are skipped.
const SKIP_CURRENCY_UNITS = new Set(['gold']);

export interface CountrySource {
  readonly countries: readonly Country[];
  readonly facts: readonly SourceFact[];
}

export function readCountries(): CountrySource {
  const cl = readPackageJson<Record<string, ClCountry>>('countries-list', 'countries.min.json');
  const continents = readPackageJson<Record<string, string>>('countries-list', 'continents.min.json');
  const currencies = readPackageJson<Record<string, { name: string }>>('countries-list', 'currencies.min.json');
  const languages = readPackageJson<Record<string, { name: string }>>('countries-list', 'languages.min.json');
  const sovereign = readPackageJson<WccCountry[]>('world-countries-capitals', 'data/data.json');
  const source = packageInfo('countries-list').name;

  const countries: Country[] = [];
  const facts: SourceFact[] = [];
  for (const code of sovereign.map((w) => w.iso.alpha_2.toUpperCase()).sort()) {
    const c = cl[code];
    if (!c) throw new Error(`world-countries-capitals lists ${code}, which countries-list does not have`);
    const name = NAME_OVERRIDES[code] ?? c.name;
    const aliases = [c.name, ...(c.alias ?? [])].filter((a) => a !== name);
    countries.push({ code, name, capital: c.capital, aliases, continent: continents[c.continent] });
    const add = (relation: SourceFact['relation'], object: string) => facts.push({ subject: name, relation, object, source });

    add('capital', c.capital);
    // Transcontinental states (Russia, Turkey, Egypt...) have no single right answer; leave them out.
    if (!c.continents || c.continents.length <= 1) add('continent', continents[c.continent]);
    const unit = currencies[c.currency[0]]?.name.split(' ').pop()?.toLowerCase();
    if (unit && !SKIP_CURRENCY_UNITS.has(unit)) add('currency', unit);
    const language = languages[c.languages[0]]?.name;
    if (language) add('language', LANGUAGE_OVERRIDES[language] ?? language);
    // One code only, and not the North American "+1 268"-style area codes, which are written inconsistently.
    if (c.phone.length === 1 && c.phone[0] < 1000) add('calling_code', `+${c.phone[0]}`);
  }
  return { countries, facts };
}
