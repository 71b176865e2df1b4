import { Tokenizer as RustTokenizer } from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { trainTokenizer, withWholeNumbers, type TokenizerJson } from '../../scripts/data/tokenizer-train';
import { randomInt, seededRandom } from '../seeded-random';

// A small BPE trained here (the build trains 4,096 tokens on the whole corpus the same way), then the numbers added.
const corpus = [
  'The calling code of Finland is +358. The atomic number of Neon is 10.',
  'Ada Lovelace was born in 1815. In 1942 the war went on; 3.14 is pi.',
  'What is the capital of France? Paris. Which continent is Chile in? South America.',
];
let trained: TokenizerJson;
let grown: TokenizerJson;
let tok: EngramTokenizer;

beforeAll(() => {
  trained = trainTokenizer(Array.from({ length: 20 }, () => corpus).flat(), 300);
  grown = withWholeNumbers(trained);
  tok = loadTokenizer(grown);
});

describe('whole-number tokens', () => {
  it('keeps every trained token at its id and adds the numbers after them', () => {
    for (const [text, id] of Object.entries(trained.model.vocab)) expect(grown.model.vocab[text]).toBe(id);
    const added = Object.entries(grown.model.vocab).filter(([, id]) => id >= 300);
    // 1,000 unspaced numbers (0-9 were bytes already) and the ten 00-09, 1,000 spaced ones, less those BPE had
    expect(added.length).toBeGreaterThan(1900);
    expect(new Set(Object.values(grown.model.vocab)).size).toBe(Object.keys(grown.model.vocab).length);
    expect(Math.max(...Object.values(grown.model.vocab))).toBe(Object.keys(grown.model.vocab).length - 1);
  });

  it('makes every number from 0 to 999 one token, with or without a leading space', () => {
    for (let n = 0; n <= 999; n++) {
      for (const text of [String(n), ` ${n}`]) {
        const ids = tok.encode(text);
        expect(ids, text).toHaveLength(1);
        expect(tok.decode(ids)).toBe(text);
      }
    }
  });

  it('keeps numbers whole inside text and longer runs of digits digit by digit', () => {
    expect(tok.tokenStrings(tok.encode('+358'))).toEqual(['+', '358']);
    expect(tok.tokenStrings(tok.encode('+44 20 7946'))).toEqual(['+', '44', ' 20', ' 7', '9', '4', '6']);
    expect(tok.tokenStrings(tok.encode(' 1942.')).slice(0, 4)).toEqual([' 1', '9', '4', '2']);
    expect(tok.encode('12345')).toHaveLength(5);
    expect(tok.tokenStrings(tok.encode('3.14'))).toEqual(['3', '.', '14']);
  });

  it('round-trips text and gives the ids the Rust tokenizer gives', async () => {
    const rand = seededRandom(99);
    const samples = [
      ...corpus,
      'x² ٣٤ 0 07 007 999 1000 +1 +1-268',
      ...Array.from({ length: 200 }, () => {
        const n = randomInt(rand, 0, 100_000);
        return `a ${n} b+${n % 1000}, ${String(n).slice(0, randomInt(rand, 1, 5))}${String.fromCodePoint(randomInt(rand, 0x20, 0x3000))}`;
      }),
    ];
    const rust = RustTokenizer.fromString(JSON.stringify(grown));
    const expected = (await rust.encodeBatch(samples)).map((e) => e.getIds());
    samples.forEach((s, i) => {
      expect(tok.decode(tok.encode(s))).toBe(s);
      expect(tok.encode(s), s).toEqual(expected[i]);
    });
  });
});
