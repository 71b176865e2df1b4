/**
 * Top-t slots by TF-IDF for one fact's batch (docs/method.md §2 steps 3-6), on the CPU from the lookup's slot ids.
 *
 * Why the CPU: the learner needs the chosen slot ids on the CPU anyway (undo log, the slot map in the UI, the
 * update's slot list), and this reads back only the batch's T x H x K ids (256 KiB at 512 tokens), counts them
 * in O(reads) and keeps a size-t heap: nothing scales with N. A GPU version would need the dense counts[N]
 * (or a compaction) plus a multi-pass selection, and then still a read-back of the t ids. `npm run bench`
 * measures this path against the tfjs-op one (unsortedSegmentSum + topk over all N slots).
 *
 * Scores and ties follow src/learn/tfidf.ts exactly: tfidf(i) = c(i) / sum c * (log(|B|+1) - log(df(i)+1)),
 * only positive scores, higher score first, then lower slot id.
 */

export interface TopTSelection {
  slots: Int32Array; // best first
  scores: Float64Array;
  /** Distinct slots read by non-pad tokens. */
  accessed: number;
  /** Every slot read by non-pad tokens (ascending id) and how often: the TF counts, sparse. */
  reads: { slots: Int32Array; counts: Uint32Array };
}

// One zeroed count array per N, reused: only the touched entries are reset after each call.
const scratch = new Map<number, Uint32Array>();

export function tfidfTopT(args: {
  slotIds: Int32Array; // [T, H, K]
  tokenMask: Uint8Array | Uint32Array; // [T], 0 = pad
  numSlots: number; // N
  df: Uint32Array | Float32Array; // [N], background document frequency
  numBackgroundBatches: number; // |B|
  t: number;
  /** 'tf' ranks by the counts alone (an ablation; df is then not read). Default 'tfidf'. */
  ranking?: 'tfidf' | 'tf';
  /** Optional [N] divisor of each slot's score (1 leaves the score as it is). */
  scoreDivisor?: Float32Array | null;
}): TopTSelection {
  const { slotIds, tokenMask, numSlots, df, numBackgroundBatches, t } = args;
  const byTf = args.ranking === 'tf';
  const divisor = args.scoreDivisor ?? null;
  const readsPerToken = slotIds.length / tokenMask.length;
  if (!Number.isInteger(readsPerToken)) throw new Error(`tfidfTopT: ${slotIds.length} slot ids are not [T=${tokenMask.length}, H, K]`);
  if (df.length !== numSlots) throw new Error(`tfidfTopT: df covers ${df.length} slots, expected N = ${numSlots}`);
  let counts = scratch.get(numSlots);
  if (!counts) scratch.set(numSlots, (counts = new Uint32Array(numSlots)));
  const touched: number[] = [];
  let total = 0;
  for (let r = 0; r < slotIds.length; r++) {
    if (!tokenMask[(r / readsPerToken) | 0]) continue;
    const slot = slotIds[r];
    if (slot < 0 || slot >= numSlots) continue;
    if (counts[slot]++ === 0) touched.push(slot);
    total++;
  }
  // Min-heap of the best t (root = worst kept): (score, slot) ranks before another if higher score, lower slot.
  const heapSlots: number[] = [];
  const heapScores: number[] = [];
  const worse = (i: number, j: number) => heapScores[i] < heapScores[j] || (heapScores[i] === heapScores[j] && heapSlots[i] > heapSlots[j]);
  const swap = (i: number, j: number) => {
    [heapSlots[i], heapSlots[j]] = [heapSlots[j], heapSlots[i]];
    [heapScores[i], heapScores[j]] = [heapScores[j], heapScores[i]];
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heapSlots.length && worse(l, m)) m = l;
      if (r < heapSlots.length && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const logBatches = Math.log(numBackgroundBatches + 1);
  touched.sort((a, b) => a - b);
  const readCounts = Uint32Array.from(touched, (slot) => counts![slot]);
  for (const slot of touched) {
    let score = byTf ? counts[slot] / total : (counts[slot] / total) * (logBatches - Math.log(df[slot] + 1));
    if (divisor) score /= divisor[slot];
    counts[slot] = 0;
    if (!(score > 0) || t <= 0) continue;
    if (heapSlots.length < t) {
      heapSlots.push(slot);
      heapScores.push(score);
      for (let i = heapSlots.length - 1; i > 0 && worse(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
    } else if (score > heapScores[0] || (score === heapScores[0] && slot < heapSlots[0])) {
      heapSlots[0] = slot;
      heapScores[0] = score;
      siftDown(0);
    }
  }
  const order = heapSlots.map((_, i) => i).sort((a, b) => heapScores[b] - heapScores[a] || heapSlots[a] - heapSlots[b]);
  return {
    slots: Int32Array.from(order, (i) => heapSlots[i]),
    scores: Float64Array.from(order, (i) => heapScores[i]),
    accessed: touched.length,
    reads: { slots: Int32Array.from(touched), counts: readCounts },
  };
}
