/**
 * The 118 chemical elements from periodic-table: symbol, atomic number and category. The discovery years in
 * that package are unreliable (aluminium and calcium are marked "Ancient"), so they are not used.
 */
import { readPackageJson } from './packages';
import type { SourceFact } from './source-fact';

interface Element {
  atomicNumber: number;
  symbol: string;
  name: string;
  groupBlock: string;
}

// The package calls the post-transition metals of groups 13-15 plain "metal" and uses both names.
const CATEGORY_NAMES: Record<string, string> = { metal: 'post-transition metal' };

export function readElements(): { names: string[]; facts: SourceFact[] } {
  const elements = readPackageJson<Element[]>('periodic-table', 'data.json');
  const facts: SourceFact[] = [];
  for (const e of [...elements].sort((a, b) => a.atomicNumber - b.atomicNumber)) {
    const source = 'periodic-table';
    facts.push({ subject: e.name, relation: 'element_symbol', object: e.symbol, source });
    facts.push({ subject: e.name, relation: 'atomic_number', object: String(e.atomicNumber), source });
    if (e.groupBlock) {
      facts.push({ subject: e.name, relation: 'element_category', object: CATEGORY_NAMES[e.groupBlock] ?? e.groupBlock, source });
    }
  }
  return { names: elements.map((e) => e.name), facts };
}
