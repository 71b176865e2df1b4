/**
 * TF-IDF slot ranking (docs/method.md §2 steps 3-6; Lin et al. 2025):
 *   tfidf(i) = c(i) / sum_j c(j) * log((|B| + 1) / (df(i) + 1))
 * c = reads of slot i in this fact's batch (pad tokens excluded), df = number of background batches that read
 * slot i at least once, |B| = number of background batches. Slots every batch reads (hubs, df = |B|) score 0.
 */
import type { Checkpoint } from '../model/checkpoint';

export interface BackgroundStats {
  /** df(i) for every slot: in how many background batches slot i was read at least once. [N] */
  df: Uint32Array;
  /** |B|: how many background batches df was counted over. */
  numBatches: number;
}

export type Ranking = 'tfidf' | 'tf';

/** The background statistics shipped inside a checkpoint (export.py writes df and |B|), or null if it has none. */
export function backgroundOf(checkpoint: Pick<Checkpoint, 'backgroundDf' | 'manifest'>): BackgroundStats | null {
  const { backgroundDf, manifest } = checkpoint;
  if (!backgroundDf || !manifest.background) return null;
  return { df: Uint32Array.from(backgroundDf), numBatches: manifest.background.batches };
}

export function tfidfScores(counts: Uint32Array, background: BackgroundStats, ranking: Ranking = 'tfidf'): Float64Array {
  if (counts.length !== background.df.length) {
    throw new Error(`tfidfScores: counts cover ${counts.length} slots but background df covers ${background.df.length}`);
  }
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const scores = new Float64Array(counts.length);
  if (total === 0) return scores;
  const logBatches = Math.log(background.numBatches + 1);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    const tf = counts[i] / total;
    scores[i] = ranking === 'tf' ? tf : tf * (logBatches - Math.log(background.df[i] + 1));
  }
  return scores;
}

export interface SelectedSlots {
  /** Slot ids, best first. */
  slots: Int32Array;
  scores: Float64Array;
}

/**
 * The top-t slots by score among slots with a positive score (a slot this batch never read, or a hub with
 * score 0, is never trained). Ties break toward the lower slot id so the choice is deterministic.
 */
export function selectTopT(scores: Float64Array, t: number): SelectedSlots {
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] > 0) candidates.push(i);
  candidates.sort((a, b) => scores[b] - scores[a] || a - b);
  const chosen = candidates.slice(0, Math.max(0, t));
  return { slots: Int32Array.from(chosen), scores: Float64Array.from(chosen, (i) => scores[i]) };
}
