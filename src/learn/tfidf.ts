/**
 * TF-IDF slot ranking (docs/method.md §2 steps 3-6; Lin et al. 2025):
 *   tfidf(i) = c(i) / sum_j c(j) * log((|B| + 1) / (df(i) + 1))
 * c = reads of slot i in this fact's batch (pad tokens excluded), df = number of background batches that read
 * slot i at least once, |B| = number of background batches. Slots every batch reads (hubs, df = |B|) score 0.
 * The learner ranks in O(reads) with src/kernels/select-top-t.ts (its dense twin for tests:
 * src/kernels/select-top-t-reference.ts); this module holds the background statistics both read.
 */
import type { Checkpoint } from '../model/checkpoint';
import type { EngramModel } from '../model/transformer';

export interface BackgroundStats {
  /** df(i) for every slot: in how many background batches slot i was read at least once. [N] */
  df: Uint32Array;
  /** |B|: how many background batches df was counted over. */
  numBatches: number;
  /**
   * Optional second background, per relation (relation-background.ts): which slots known facts of each relation
   * read. The sparse learner needs it when its relationWeight is above 0.
   */
  relations?: PerRelationBackground;
}

/** What the sparse learner asks of a per-relation background (RelationBackground in relation-background.ts). */
export interface PerRelationBackground {
  /** The counts for `relation`, if already counted (null when none). */
  get(relation: string): BackgroundStats | null;
  /** Counts `relation` on `model` unless already counted; null when the relation has no known facts. */
  forRelation(relation: string, model: EngramModel): Promise<BackgroundStats | null>;
}

/** The background statistics shipped inside a checkpoint (export.py writes df and |B|), or null if it has none. */
export function backgroundOf(checkpoint: Pick<Checkpoint, 'backgroundDf' | 'manifest'>): BackgroundStats | null {
  const { backgroundDf, manifest } = checkpoint;
  if (!backgroundDf || !manifest.background) return null;
  return { df: Uint32Array.from(backgroundDf), numBatches: manifest.background.batches };
}
