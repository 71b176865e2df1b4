/**
 * Finds names in text, word by word and case-insensitively. It is the leakage filter's eye: a held-out name
 * must not appear in any pretraining line, and matching without case is the conservative choice (it also
 * catches the Factbook's "DE GAULLE" style and sentence-initial words).
 */
import { lowerWords } from './text';

export class NameMatcher {
  /** first word -> every term (as a word sequence) that starts with it */
  private readonly byFirstWord = new Map<string, string[][]>();
  private readonly original = new Map<string, string>();

  constructor(terms: Iterable<string>) {
    for (const term of terms) {
      const seq = lowerWords(term);
      if (seq.length === 0) continue;
      const key = seq.join(' ');
      if (this.original.has(key)) continue;
      this.original.set(key, term);
      const list = this.byFirstWord.get(seq[0]) ?? [];
      list.push(seq);
      this.byFirstWord.set(seq[0], list);
    }
  }

  get size(): number {
    return this.original.size;
  }

  /** The terms found in `text` (as given to the constructor), each once, in order of first appearance. */
  find(text: string): string[] {
    const found: string[] = [];
    const seen = new Set<string>();
    this.scan(lowerWords(text), (key) => {
      if (!seen.has(key)) {
        seen.add(key);
        found.push(this.original.get(key)!);
      }
    });
    return found;
  }

  matches(text: string): boolean {
    let hit = false;
    this.scan(lowerWords(text), () => {
      hit = true;
    });
    return hit;
  }

  /** Add the number of occurrences of each term in `text` to `counts` (keyed by the original term). */
  count(text: string, counts: Map<string, number>): void {
    this.scan(lowerWords(text), (key) => {
      const term = this.original.get(key)!;
      counts.set(term, (counts.get(term) ?? 0) + 1);
    });
  }

  private scan(seq: string[], onMatch: (key: string) => void): void {
    for (let i = 0; i < seq.length; i++) {
      const candidates = this.byFirstWord.get(seq[i]);
      if (!candidates) continue;
      for (const cand of candidates) {
        if (i + cand.length > seq.length) continue;
        let ok = true;
        for (let k = 1; k < cand.length; k++) {
          if (seq[i + k] !== cand[k]) {
            ok = false;
            break;
          }
        }
        if (ok) onMatch(cand.join(' '));
      }
    }
  }
}
