/** A candidate fact as a source module reads it, before selection and splitting. */
import type { Relation } from '../../src/facts/relations';

export interface SourceFact {
  readonly subject: string;
  readonly relation: Relation;
  readonly object: string;
  /** npm package the (subject, relation) pair was read from; exactly one source per pair. */
  readonly source: string;
}
