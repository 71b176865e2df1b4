/**
 * A fact is one (subject, relation, object) triple. Everything the app teaches, probes or shows is a Fact,
 * whether it came from the pretraining knowledge base (public/data/kb.jsonl), a teach pack
 * (public/data/packs/*.jsonl) or a sentence the user typed.
 */
import type { Relation } from './relations';

export interface Fact {
  readonly subject: string;
  readonly relation: Relation;
  readonly object: string;
}

/** A fact of the pretraining knowledge base. `source` names the npm package it was read from. */
export interface KbFact extends Fact {
  readonly split: 'pretrain';
  readonly source: string;
}

/**
 * Teach packs are never pretrained:
 *  - real-unseen: real facts about entities held out of pretraining entirely (no pretraining line names them)
 *  - counterfactual: edits of pretrained facts; `original` is the pretrained object being overwritten
 *  - invented: facts about entities from a seeded syllable generator, checked against every real name
 */
export const PACK_NAMES = ['real-unseen', 'counterfactual', 'invented'] as const;
export type PackName = (typeof PACK_NAMES)[number];

export interface PackFact extends Fact {
  readonly pack: PackName;
  readonly original?: string;
}

/** Stable identity of a (subject, relation) pair: the knowledge base holds at most one object for each. */
export function factKey(fact: Pick<Fact, 'subject' | 'relation'>): string {
  return `${fact.relation}\u0000${fact.subject}`;
}
