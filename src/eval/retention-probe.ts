/**
 * The retention probe (public/data/retention-probe.jsonl): pretrained facts the base model answers correctly
 * on the eval-only question, stratified by relation, none about a teach-pack subject. Retention is the share
 * still answered after teaching; the relative drop is 1 - after / before (the paper's "% drop in held-out QA").
 */
import { RELATIONS, type Relation } from '../facts/relations';
import type { Fact } from '../facts/fact';

export interface ProbeFact extends Fact {
  readonly template: string;
  readonly baseline: { readonly exact_match: number; readonly answer_logprob: number };
}

export function parseRetentionProbe(jsonl: string): ProbeFact[] {
  return jsonl
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      const record = JSON.parse(line) as ProbeFact;
      if (!RELATIONS.includes(record.relation as Relation) || typeof record.subject !== 'string' || typeof record.object !== 'string') {
        throw new Error(`retention probe line ${i + 1} is not a fact record`);
      }
      return record;
    });
}

/** An evenly spread subset (every k-th fact keeps the relation mix), for quick live evaluation. */
export function probeSubset<T>(probe: readonly T[], size: number): T[] {
  if (size >= probe.length) return [...probe];
  const step = probe.length / size;
  return Array.from({ length: size }, (_, i) => probe[Math.floor(i * step)]);
}

/** 1 - after / before, as a fraction (0.05 = 5% of what was known is lost). */
export function relativeDrop(before: number, after: number): number {
  return before > 0 ? 1 - after / before : 0;
}
