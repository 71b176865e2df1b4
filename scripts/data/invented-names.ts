/**
 * Seeded syllable names for invented entities ("Veloria", "Tamsin Oduvar"). A name is accepted only if none
 * of its words is a word of any corpus, a real place name or any other real name the build knows, and it
 * was not generated before, so the model cannot have seen it and cannot confuse it with a real entity.
 */
import { pick, randomInt, type Rng } from './rng';

// Weighted by repetition: simple consonants are common, clusters rare, so names read like "Veloria".
const ONSETS = ['b', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'l', 'm', 'n', 'r', 's', 't', 'v', 'br', 'dr', 'gr', 'kr', 'tr', 'th', 'st'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'i', 'o', 'a', 'ai', 'ei'];
const CODAS = ['n', 'r', 'l', 's', 'm'];
const SUFFIXES: Record<NameKind, readonly string[]> = {
  country: ['ia', 'ora', 'ova', 'and', 'esh', 'ara', 'enia', 'oria', 'avia', 'istan'],
  city: ['', '', '', 'on', 'ar', 'is', 'ek', 'ah', 'ul'],
  given: ['', '', '', 'a', 'o', 'en', 'el'],
  family: ['', '', 'ov', 'ar', 'ez', 'ell', 'an', 'ski'],
};
const MAX_LENGTH: Record<NameKind, number> = { country: 10, city: 9, given: 7, family: 9 };

export type NameKind = 'country' | 'city' | 'given' | 'family';

export class InventedNames {
  private readonly used = new Set<string>();

  constructor(
    private readonly rng: Rng,
    /** lower-cased words that an invented word must not be */
    private readonly forbidden: ReadonlySet<string>,
  ) {}

  word(kind: NameKind): string {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const syllables = randomInt(this.rng, 2, kind === 'given' ? 3 : 4);
      let w = '';
      for (let i = 0; i < syllables; i++) {
        // After a closed syllable the next one starts with a single consonant, never a cluster.
        const onsets = /[aeiou]$/.test(w) || w === '' ? ONSETS : ONSETS.filter((o) => o.length === 1);
        w += pick(this.rng, onsets) + pick(this.rng, VOWELS);
        if (this.rng() < 0.2) w += pick(this.rng, CODAS);
      }
      const suffix = pick(this.rng, SUFFIXES[kind]);
      w = /[aeiou]$/.test(w) && /^[aeiou]/.test(suffix) ? w.slice(0, -1) + suffix : w + suffix;
      if (w.length < 4 || w.length > MAX_LENGTH[kind] || /(.)\1/.test(w)) continue;
      const key = w.toLowerCase();
      if (this.forbidden.has(key) || this.used.has(key)) continue;
      this.used.add(key);
      return w[0].toUpperCase() + w.slice(1);
    }
    throw new Error(`could not invent a new ${kind} name in 10000 attempts`);
  }

  person(): string {
    return `${this.word('given')} ${this.word('family')}`;
  }
}
