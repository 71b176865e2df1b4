/**
 * Held-out language-modelling text, split by whole document so no held-out sentence has a training
 * neighbour: every 20th State of the Union address, 10 whole Moby-Dick chapters, 2% of WordNet glosses and
 * 10% of Factbook backgrounds. Glosses are chosen by a hash of the seed and the synset id, so the split of a
 * gloss never depends on what else is in the corpus.
 */
import type { Gloss, TextDoc } from './corpora';
import { hashUnit } from './rng';

export interface TextSplit {
  readonly train: TextDoc[];
  readonly heldout: TextDoc[];
}

export const HELDOUT_RULES = {
  sotuEvery: 20,
  sotuOffset: 10,
  mobyDickChapterModulus: 13,
  mobyDickChapterRemainder: 7,
  glossFraction: 0.02,
  factbookFraction: 0.1,
  glossesPerDoc: 50,
} as const;

/** Addresses 10, 30, 50, ... in chronological order: one in 20, spread over 1790-2021. */
export function splitSotu(docs: readonly TextDoc[]): TextSplit {
  const heldout = (i: number) => i % HELDOUT_RULES.sotuEvery === HELDOUT_RULES.sotuOffset;
  return {
    train: docs.filter((_, i) => !heldout(i)),
    heldout: docs.filter((_, i) => heldout(i)),
  };
}

/** Chapters 7, 20, 33, ..., 124: ten whole chapters from all parts of the book. */
export function splitMobyDick(docs: readonly TextDoc[]): TextSplit {
  const heldout = (d: TextDoc) => {
    const n = /^chapter-(\d+)$/.exec(d.id)?.[1];
    return n !== undefined && Number(n) % HELDOUT_RULES.mobyDickChapterModulus === HELDOUT_RULES.mobyDickChapterRemainder;
  };
  return { train: docs.filter((d) => !heldout(d)), heldout: docs.filter(heldout) };
}

export function splitFactbook(docs: readonly TextDoc[], seed: string): TextSplit {
  const heldout = (d: TextDoc) => hashUnit(seed, `factbook/${d.id}`) < HELDOUT_RULES.factbookFraction;
  return { train: docs.filter((d) => !heldout(d)), heldout: docs.filter(heldout) };
}

export function splitGlosses(glosses: readonly Gloss[], seed: string): { train: Gloss[]; heldout: Gloss[] } {
  const heldout = (g: Gloss) => hashUnit(seed, `gloss/${g.id}`) < HELDOUT_RULES.glossFraction;
  return { train: glosses.filter((g) => !heldout(g)), heldout: glosses.filter(heldout) };
}

/** Consecutive glosses (WordNet file order keeps related senses together) packed into documents. */
export function glossDocs(glosses: readonly Gloss[], prefix: string): TextDoc[] {
  const docs: TextDoc[] = [];
  for (let i = 0; i < glosses.length; i += HELDOUT_RULES.glossesPerDoc) {
    const chunk = glosses.slice(i, i + HELDOUT_RULES.glossesPerDoc);
    const id = `${prefix}-${String(docs.length + 1).padStart(5, '0')}`;
    docs.push({ domain: 'wordnet-glosses', id, text: chunk.map((g) => g.text).join('\n') });
  }
  return docs;
}
