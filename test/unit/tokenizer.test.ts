import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BYTE_ID_OFFSET, EOS_ID, loadTokenizer, PAD_ID, TokenizerFormatError, type EngramTokenizer } from '../../src/model/tokenizer';
import { parseJsonl } from '../../scripts/data/jsonl';
import { DEFAULT_OPTIONS } from '../../scripts/data/options';
import { REPO_ROOT } from '../../scripts/data/packages';
import { byteSymbols } from '../../scripts/data/tokenizer-train';
import { randomInt, seededRandom } from '../seeded-random';

const json = JSON.parse(readFileSync(join(REPO_ROOT, 'public/model/tokenizer.json'), 'utf8'));
let tok: EngramTokenizer;
/** The BPE's trained tokens (the data build's vocabSize), then the numbers 0-999 with and without a leading space. */
const TRAINED = DEFAULT_OPTIONS.vocabSize;
const VOCAB = 6087;

beforeAll(() => {
  tok = loadTokenizer(json);
});

const roundTrips = (s: string) => expect(tok.decode(tok.encode(s))).toBe(s);

describe('tokenizer layout', () => {
  it('has the 4,096 trained tokens and 1,991 whole numbers after them, with <|pad|> = 0 and <|endoftext|> = 1', () => {
    expect(tok.vocabSize).toBe(VOCAB);
    expect(tok.padId).toBe(PAD_ID);
    expect(tok.eosId).toBe(EOS_ID);
    expect([PAD_ID, EOS_ID]).toEqual([0, 1]);
    expect(json.model.vocab['<|pad|>']).toBe(0);
    expect(json.model.vocab['<|endoftext|>']).toBe(1);
    expect(json.added_tokens.map((t: { id: number; special: boolean }) => [t.id, t.special])).toEqual([
      [0, true],
      [1, true],
    ]);
    expect(new Set(Object.values(json.model.vocab)).size).toBe(VOCAB);
    expect(Math.max(...(Object.values(json.model.vocab) as number[]))).toBe(VOCAB - 1);
    // every id from 4,096 on is a number of one to three digits, with or without a leading space
    const added = Object.entries(json.model.vocab as Record<string, number>).filter(([, id]) => id >= TRAINED);
    expect(added).toHaveLength(VOCAB - TRAINED);
    for (const [text, id] of added) expect(tok.decode([id]), text).toMatch(/^ ?[0-9]{1,3}$/);
  });

  it('holds all 256 bytes, byte b at id b + 2', () => {
    const symbols = byteSymbols();
    expect(new Set(symbols).size).toBe(256);
    symbols.forEach((symbol, b) => expect(json.model.vocab[symbol]).toBe(b + BYTE_ID_OFFSET));
    // and every byte value decodes on its own: ASCII bytes to themselves
    for (let b = 0; b < 128; b++) expect(tok.decode([b + BYTE_ID_OFFSET])).toBe(String.fromCharCode(b));
  });

  it('encodes the special tokens written out and decodes them back', () => {
    expect(tok.encode('<|endoftext|>')).toEqual([EOS_ID]);
    expect(tok.decode([EOS_ID, PAD_ID])).toBe('<|endoftext|><|pad|>');
    roundTrips('before<|endoftext|>after');
  });

  it('handles empty input and rejects ids outside the vocabulary', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
    expect(() => tok.decode([VOCAB])).toThrow(RangeError);
    expect(() => tok.decode([-1])).toThrow(RangeError);
  });

  it('rejects a tokenizer.json with the wrong special ids', () => {
    const broken = structuredClone(json);
    broken.model.vocab['<|pad|>'] = 7;
    expect(() => loadTokenizer(broken)).toThrow(TokenizerFormatError);
    expect(() => loadTokenizer({ model: { type: 'WordPiece', vocab: {} } })).toThrow(TokenizerFormatError);
  });
});

describe('tokenizer round trip', () => {
  it.each([
    ['ASCII', 'The capital of France is Paris. Q: What is 2+2?\nA: 4 ~!@#$%^&*()_+`-=[]{}|;\':",./<>?'],
    ['accents', 'Ünïcödé: São Paulo, Malmö, Zürich, Québec, Łódź, Chișinău, Reykjavík, naïve café'],
    ['CJK', '東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.'],
    ['emoji', '🎉👍🏽 👩‍👩‍👧‍👦 🇫🇷 ❤️ 🧠'],
    ['control characters', '\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f\u007f\u0085\u00a0\u2028\u2029\ufeff'],
    ['combining marks and RTL', 'e\u0301 a\u0308 \u0928\u092e\u0938\u094d\u0924\u0947 مرحبا שלום'],
    ['whitespace runs', '  two  spaces,\t\ttabs,\n\n\nnewlines   and trailing   '],
    ['digits', 'born 1942, died 1970; +33; 3.14159; 1,000,000'],
  ])('%s', (_, s) => roundTrips(s));

  it('keeps a number up to 999 one token and splits a longer run of digits one per token', () => {
    expect(tok.tokenStrings(tok.encode('is 118.'))).toEqual(['is', ' 118', '.']);
    expect(tok.tokenStrings(tok.encode('+358'))).toEqual(['+', '358']);
    const ids = tok.encode(' 1942');
    expect(ids).toHaveLength(4);
    expect(tok.tokenStrings(ids)).toEqual([' 1', '9', '4', '2']);
    expect(tok.encode('2024')).toHaveLength(4);
  });

  it('round-trips a seeded fuzz of random Unicode', () => {
    const rand = seededRandom(20240611);
    for (let i = 0; i < 400; i++) {
      const chars: string[] = [];
      const n = randomInt(rand, 0, 40);
      for (let k = 0; k < n; k++) {
        const plane = rand();
        // mostly BMP, some astral; any scalar value (assigned or not, private use, noncharacters)
        let cp = plane < 0.3 ? randomInt(rand, 0, 0x80) : plane < 0.85 ? randomInt(rand, 0, 0x10000) : randomInt(rand, 0x10000, 0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd - (cp & 0xff); // surrogates are not scalar values
        chars.push(String.fromCodePoint(cp));
      }
      roundTrips(chars.join(''));
    }
  });

  it('turns a lone surrogate into U+FFFD (UTF-8 cannot encode it)', () => {
    expect(tok.decode(tok.encode('a\ud800b'))).toBe('a\ufffdb');
    expect(tok.decode(tok.encode('\udc00'))).toBe('\ufffd');
  });

  it('shows U+FFFD for a token holding part of a multi-byte character', () => {
    const ids = tok.encode('東');
    expect(ids.length).toBeGreaterThan(1);
    expect(tok.tokenStrings(ids).join('')).toContain('\ufffd');
  });
});

describe('tokenizer parity with the Rust trainer', () => {
  it('gives the same ids as the `tokenizers` package on real data and fuzz', async () => {
    const rust = RustTokenizer.fromString(JSON.stringify(json));
    const heldout = parseJsonl<{ text: string }>(readFileSync(join(REPO_ROOT, 'public/data/heldout.jsonl'), 'utf8'));
    const kb = parseJsonl<{ subject: string; object: string }>(readFileSync(join(REPO_ROOT, 'public/data/kb.jsonl'), 'utf8'));
    const rand = seededRandom(7);
    const samples = [
      ...heldout.filter((_, i) => i % 5 === 0).map((d) => d.text.slice(0, 4000)),
      ...kb.filter((_, i) => i % 7 === 0).map((f) => `Q: ${f.subject}?\nA: ${f.object}`),
      ...Array.from({ length: 50 }, () =>
        Array.from({ length: 30 }, () => String.fromCodePoint(randomInt(rand, 0x20, 0x3000))).join(''),
      ),
    ];
    const expected = (await rust.encodeBatch(samples)).map((e) => e.getIds());
    samples.forEach((s, i) => expect(tok.encode(s), s.slice(0, 60)).toEqual(expected[i]));
  });
});
