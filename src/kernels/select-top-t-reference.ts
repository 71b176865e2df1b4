/**
 * Dense plain-TypeScript twin of src/kernels/select-top-t.ts, for tests: per-slot read counts over all N slots,
 * TF-IDF (or TF) scores over all N, then the top t by a full sort. Same formula, same ties:
 *   tfidf(i) = c(i) / sum_j c(j) * log((|B| + 1) / (df(i) + 1))
 * c = reads of slot i by non-pad tokens, df = background batches that read slot i, |B| = background batches.
 * Slots every batch reads (hubs, df = |B|) score 0 and are never chosen.
 */
import type { BackgroundStats } from '../learn/tfidf';

export type Ranking = 'tfidf' | 'tf';

/** counts[N]: reads of each slot by non-pad tokens; out-of-range ids are dropped and counted. */
export function slotCountsReference(
  slotIds: Int32Array, // [T, H, K]
  tokenMask: Uint8Array | Uint32Array, // [T]
  readsPerToken: number,
  numSlots: number,
): { counts: Uint32Array; dropped: number } {
  const counts = new Uint32Array(numSlots);
  let dropped = 0;
  for (let read = 0; read < slotIds.length; read++) {
    if (!tokenMask[Math.floor(read / readsPerToken)]) continue;
    const slot = slotIds[read];
    if (slot < 0 || slot >= numSlots) dropped++;
    else counts[slot]++;
  }
  return { counts, dropped };
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
