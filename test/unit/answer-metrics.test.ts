import { describe, expect, it } from 'vitest';
import { exactMatch, normalizeAnswer, tokenF1 } from '../../src/eval/answer-metrics';

describe('answer metrics', () => {
  it('normalises case, punctuation, articles and spacing', () => {
    expect(normalizeAnswer('  The  Hague. ')).toBe('hague');
    expect(normalizeAnswer('São Tomé')).toBe('são tomé');
    expect(exactMatch('Paris.', 'paris')).toBe(true);
    expect(exactMatch('Lyon', 'Paris')).toBe(false);
  });

  it('computes token F1 over word bags', () => {
    expect(tokenF1('New York City', 'New York')).toBeCloseTo(0.8, 12); // p 2/3, r 1
    expect(tokenF1('Paris', 'Lyon')).toBe(0);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('x', '')).toBe(0);
    expect(tokenF1('a a b', 'a b b')).toBeCloseTo(2 / 3, 12); // articles dropped: "b" vs "b b"
  });
});
