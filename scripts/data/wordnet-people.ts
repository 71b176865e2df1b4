/**
 * Famous people from WordNet's noun.person instances: birth year, nationality and occupation, read from
 * entries such as
 *   Hendrix, Jimi Hendrix, James Marshall Hendrix  @i guitarist
 *   | United States guitarist whose innovative style ... (1942-1970)
 * -> (Jimi Hendrix, birth_year, 1942) (Jimi Hendrix, nationality, American) (Jimi Hendrix, occupation, guitarist)
 */
import { compareStrings, lowerWords } from './text';
import type { Synset } from './wordnet';

export interface Person {
  /** Display name: the first lemma of fewest words (at least two) ending with the surname ("Jimi Hendrix"). */
  readonly name: string;
  readonly surname: string;
  readonly birthYear: string;
  readonly nationality: string;
  readonly occupation: string;
  /** "noun:<offset>", to find the person's own gloss in the corpus */
  readonly synsetId: string;
}

// Gloss-initial nationality phrases -> the adjective used as the fact's object. Longest phrase wins, so
// "South African" is not read as "South". Demonyms for historical states are kept as WordNet writes them.
const NATIONALITIES: Record<string, string> = {
  'United States': 'American',
  American: 'American',
  'South African': 'South African',
  'New Zealand': 'New Zealander',
  'Saudi Arabian': 'Saudi',
  Argentinian: 'Argentine',
  Ukranian: 'Ukrainian',
};
for (const adjective of [
  'English', 'British', 'French', 'German', 'Italian', 'Russian', 'Scottish', 'Spanish', 'Austrian', 'Dutch',
  'Irish', 'Swiss', 'Swedish', 'Canadian', 'Danish', 'Soviet', 'Norwegian', 'Australian', 'Polish', 'Japanese',
  'Belgian', 'Indian', 'Hungarian', 'Israeli', 'Welsh', 'Czech', 'Mexican', 'Chinese', 'Finnish', 'Flemish',
  'Cuban', 'Portuguese', 'Greek', 'Romanian', 'Brazilian', 'Egyptian', 'Indonesian', 'Vietnamese', 'Venezuelan',
  'Turkish', 'Argentine', 'Iranian', 'Persian', 'Chilean', 'Peruvian', 'Jamaican', 'Kenyan', 'Afghan',
  'Albanian', 'Armenian', 'Iraqi', 'Libyan', 'Nicaraguan', 'Mongolian', 'Palestinian', 'Prussian', 'Yugoslav',
  'Czechoslovakian', 'Ukrainian', 'Bulgarian', 'Icelandic', 'Pakistani', 'Nigerian', 'Colombian', 'Korean',
]) {
  NATIONALITIES[adjective] = adjective;
}
const NATIONALITY_PHRASES = Object.keys(NATIONALITIES).sort((a, b) => b.length - a.length || compareStrings(a, b));

// Lemmas that start with a title are not the person's name ("President Adams", "Sir John Herschel").
const TITLE = /^(?:Sir|Dame|Lord|Lady|President|King|Queen|Saint|St\.|Captain|General|Admiral|Pope|Prince|Princess|Mr\.|Mrs\.|Dr\.|Baron|Count|Bishop|Cardinal|Emperor|Czar|Tsar)\b/;
// The last "(1942-1970)" or "(born 1937)" of the gloss gives the birth year; four digits only, no "?".
const YEARS = /\((?:born (?:in )?)?(\d{4})(?:-\d{4})?\)/g;
const OCCUPATION = /^[a-z][a-z -]*$/;

export function readPeople(nouns: readonly Synset[]): Person[] {
  const byOffset = new Map(nouns.map((s) => [s.offset, s]));
  const people: Person[] = [];
  for (const s of nouns) {
    if (s.lexFile !== '18') continue;
    const instanceOf = s.pointers.filter((p) => p.symbol === '@i').map((p) => byOffset.get(p.offset));
    if (instanceOf.length === 0) continue;
    const years = [...s.gloss.matchAll(YEARS)];
    const birthYear = years.at(-1)?.[1];
    if (!birthYear || Number(birthYear) < 1000) continue;
    const phrase = NATIONALITY_PHRASES.find((p) => s.gloss.startsWith(`${p} `) && /^[a-z]/.test(s.gloss.slice(p.length + 1)));
    if (!phrase) continue;
    const occupation = namedOccupation(instanceOf, s.gloss);
    if (!occupation) continue;
    const name = displayName(s.words);
    if (!name) continue;
    people.push({
      name,
      surname: name.split(' ').at(-1)!,
      birthYear,
      nationality: NATIONALITIES[phrase],
      occupation,
      synsetId: `noun:${s.offset}`,
    });
  }
  // The same display name for two people (two "John Adams") would make facts ambiguous: drop both.
  const seen = new Map<string, number>();
  for (const p of people) seen.set(p.name, (seen.get(p.name) ?? 0) + 1);
  return people.filter((p) => seen.get(p.name) === 1);
}

/**
 * The lemma of an instance-of class that the gloss itself uses ("United States prohibitionist ..." picks
 * "prohibitionist" from the class {dry, prohibitionist}). People whose gloss names none of their classes are
 * skipped: WordNet's first lemma alone gives odd occupations ("dry", "center").
 */
function namedOccupation(classes: readonly (Synset | undefined)[], gloss: string): string | undefined {
  const glossWords = ` ${lowerWords(gloss).join(' ')} `;
  for (const c of classes) {
    for (const w of c?.words ?? []) {
      if (OCCUPATION.test(w) && w.split(' ').length <= 2 && glossWords.includes(` ${w} `)) return w;
    }
  }
  return undefined;
}

function displayName(lemmas: readonly string[]): string | undefined {
  const surname = lemmas[0];
  const candidates = lemmas.filter(
    (l) => l.includes(' ') && !TITLE.test(l) && /^[\p{Lu}]/u.test(l) && !/[0-9()]/.test(l) && l.endsWith(surname),
  );
  // Spelled-out names before initials ("Alfred Mason" over "A. E. W. Mason"), then fewest words; among
  // equals, WordNet's own order (it lists the common form before nicknames).
  const rank = (c: string) => (c.includes('.') ? 100 : 0) + c.split(' ').length;
  const best = Math.min(...candidates.map(rank));
  return candidates.find((c) => rank(c) === best);
}
