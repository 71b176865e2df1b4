import { describe, expect, it } from 'vitest';
import { selectTopT, tfidfScores } from '../../src/kernels/select-top-t-reference';

describe('tfidfScores', () => {
  const background = { df: Uint32Array.from([0, 9, 10, 3, 0]), numBatches: 10 };

  it('matches hand-computed values, including df = 0 and df = |B|', () => {
    const counts = Uint32Array.from([2, 1, 5, 2, 0]); // 10 reads in all
    const s = tfidfScores(counts, background);
    expect(s[0]).toBeCloseTo(0.2 * Math.log(11 / 1), 12); // df = 0: the maximum idf, ln 11
    expect(s[1]).toBeCloseTo(0.1 * Math.log(11 / 10), 12);
    expect(s[2]).toBeCloseTo(0, 12); // df = |B|: read by every background batch -> ln(11/11) = 0
    expect(s[3]).toBeCloseTo(0.2 * Math.log(11 / 4), 12);
    expect(s[4]).toBe(0); // never read in this batch
  });

  it('ranks by term frequency alone for the TF-only ablation', () => {
    const s = tfidfScores(Uint32Array.from([2, 1, 5, 2, 0]), background, 'tf');
    expect(Array.from(s)).toEqual([0.2, 0.1, 0.5, 0.2, 0]);
  });

  it('returns zeros for an empty batch and refuses mismatched sizes', () => {
    expect(Array.from(tfidfScores(new Uint32Array(5), background))).toEqual([0, 0, 0, 0, 0]);
    expect(() => tfidfScores(new Uint32Array(4), background)).toThrow(/4 slots.*5/);
  });
});

describe('selectTopT', () => {
  it('keeps the t best positive scores, best first, ties toward the lower slot id', () => {
    const scores = Float64Array.from([0.1, 0, 0.3, 0.3, 0.05, 0.2]);
    const { slots, scores: chosen } = selectTopT(scores, 3);
    expect(Array.from(slots)).toEqual([2, 3, 5]);
    expect(Array.from(chosen)).toEqual([0.3, 0.3, 0.2]);
  });

  it('never selects zero-score slots (hubs or unread), even when t is larger', () => {
    const { slots } = selectTopT(Float64Array.from([0, 0.4, 0, 0.1]), 10);
    expect(Array.from(slots)).toEqual([1, 3]);
  });
});
