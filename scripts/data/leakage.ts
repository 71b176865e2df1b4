/**
 * The leakage filter: no pretraining line may name an entity whose facts are held out. Glosses are dropped
 * line by line (one gloss per line); prose is dropped sentence by sentence, since a State of the Union
 * address is a single line and dropping it whole for one name would waste a whole document.
 */
import type { TextDoc } from './corpora';
import type { NameMatcher } from './name-matcher';
import { splitSentences } from './text';

export interface FilterStats {
  droppedUnits: number;
  droppedChars: number;
  droppedDocs: number;
}

export function emptyFilterStats(): FilterStats {
  return { droppedUnits: 0, droppedChars: 0, droppedDocs: 0 };
}

export function filterDoc(doc: TextDoc, matcher: NameMatcher, stats: FilterStats): TextDoc | null {
  const lineUnits = doc.domain === 'wordnet-glosses';
  const paragraphs = doc.text.split('\n').map((paragraph) => {
    if (lineUnits) return keep(paragraph, matcher, stats) ? paragraph : null;
    if (!matcher.matches(paragraph)) return paragraph;
    const kept = splitSentences(paragraph)
      .filter((s) => keep(s, matcher, stats))
      .join(' ');
    // A name split across a sentence break ("St. | Louis") survives the sentence pass: drop the paragraph.
    if (kept.length === 0) return null;
    if (matcher.matches(kept)) {
      stats.droppedUnits++;
      stats.droppedChars += kept.length;
      return null;
    }
    return kept;
  });
  const text = paragraphs
    .filter((p): p is string => p !== null)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length === 0) {
    stats.droppedDocs++;
    return null;
  }
  return text === doc.text ? doc : { ...doc, text };
}

function keep(unit: string, matcher: NameMatcher, stats: FilterStats): boolean {
  if (!matcher.matches(unit)) return true;
  stats.droppedUnits++;
  stats.droppedChars += unit.length;
  return false;
}
