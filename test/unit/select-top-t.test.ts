import { describe, expect, it } from 'vitest';
import { tfidfTopT } from '../../src/kernels/select-top-t';
import { selectTopT, slotCountsReference, tfidfScores } from '../../src/kernels/select-top-t-reference';
import { randomInt, seededRandom } from '../seeded-random';
import { randomSlotIds } from '../kernel-cases';

describe('TF-IDF top-t selection in O(reads) against its dense reference twin', () => {
  it('picks the same slots, in the same order, ties and hubs included', () => {
    const rand = seededRandom(61);
    for (const numSlots of [50, 4096, 1_048_576]) {
      for (const t of [0, 1, 7, 500, 100_000]) {
        const numTokens = randomInt(rand, 1, 70);
        const readsPerToken = 4 * 8;
        const ids = randomSlotIds(rand, numTokens * readsPerToken, numSlots, randomInt(rand, 1, 400));
        const mask = Uint8Array.from({ length: numTokens }, () => (rand() < 0.8 ? 1 : 0));
        const numBatches = 20;
        // Few distinct df values (ties), and some hubs read by every background batch (score 0).
        const df = Uint32Array.from({ length: numSlots }, () => [0, 3, 3, 19, numBatches][randomInt(rand, 0, 5)]);
        const { counts } = slotCountsReference(ids, mask, readsPerToken, numSlots);
        const expected = selectTopT(tfidfScores(counts, { df, numBatches }), t);
        const actual = tfidfTopT({ slotIds: ids, tokenMask: mask, numSlots, df, numBackgroundBatches: numBatches, t });
        expect(Array.from(actual.slots), `N=${numSlots} t=${t}`).toEqual(Array.from(expected.slots));
        expect(Array.from(actual.scores)).toEqual(Array.from(expected.scores));
        expect(actual.accessed).toBe(counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0));
        // the sparse read counts are exactly the dense counts' non-zero entries, ascending
        const readSlots = Array.from(counts.keys()).filter((s) => counts[s] > 0);
        expect(Array.from(actual.reads.slots)).toEqual(readSlots);
        expect(Array.from(actual.reads.counts)).toEqual(readSlots.map((s) => counts[s]));
        // TF ranking (the ablation) and a per-slot divisor (the written-rows penalty) rank like the dense twin
        const divisor = Float32Array.from({ length: numSlots }, () => 1 + randomInt(rand, 0, 3));
        const tfOnly = tfidfTopT({ slotIds: ids, tokenMask: mask, numSlots, df, numBackgroundBatches: numBatches, t, ranking: 'tf' });
        expect(Array.from(tfOnly.slots)).toEqual(Array.from(selectTopT(tfidfScores(counts, { df, numBatches }, 'tf'), t).slots));
        const penalised = tfidfTopT({ slotIds: ids, tokenMask: mask, numSlots, df, numBackgroundBatches: numBatches, t, scoreDivisor: divisor });
        const denseScores = tfidfScores(counts, { df, numBatches }).map((score, s) => score / divisor[s]);
        expect(Array.from(penalised.slots)).toEqual(Array.from(selectTopT(denseScores, t).slots));
      }
    }
  });
});
