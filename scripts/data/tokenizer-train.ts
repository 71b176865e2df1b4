/**
 * Trains the byte-level BPE (public/model/tokenizer.json) with the `tokenizers` npm package (Hugging Face's
 * Rust tokenizer; prebuilt binaries, works offline). Its Node binding exposes train(files) with the default
 * BpeTrainer only (30k tokens, no special tokens, an alphabet of just the bytes it saw), so the saved model
 * is repaired afterwards:
 *   1. keep the first K merges: merges are ordered, so any prefix is a valid smaller BPE;
 *   2. rebuild the vocabulary as the special tokens, all 256 byte symbols (byte b -> id b + 2), then the K
 *      merge results, so any input can be encoded and decoded;
 *   3. list the specials as added tokens and set the ByteLevel decoder.
 * Pre-tokenizer: digits are split one by one (a leading space may stay attached), then GPT-2's byte-level
 * regex. One digit per token means every year is four tokens with the same structure, so a model can learn
 * and be scored on years digit by digit instead of meeting 1942 as one token and 1943 as two.
 *
 * With whole numbers (`withWholeNumbers`, the build option `wholeNumbers`), numbers of one to three digits are one
 * token each after training: "+358" is "+" "358", "is 118." is "is" " 118" "."; longer runs of digits (years)
 * stay digit by digit. The trained vocabulary keeps its ids; the number tokens come after it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { EOS_TOKEN, PAD_TOKEN } from '../../src/model/tokenizer';

export const SPECIAL_TOKENS = [PAD_TOKEN, EOS_TOKEN] as const;

/** One digit per pre-token (a leading space may stay attached): how the BPE is trained. */
const DIGIT_BY_DIGIT = ' ?\\p{N}';
/**
 * A run of one to three digits not inside a longer run (a leading space may stay attached) is one pre-token;
 * the digits of a longer run are one each, as before. The lookbehind sits after the optional space, so "+44 20"
 * keeps " 20" whole.
 */
const WHOLE_NUMBERS = ' ?(?<!\\p{N})\\p{N}{1,3}(?!\\p{N})| ?\\p{N}';

function preTokenizer(digits: string) {
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: digits }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    ],
  };
}

function bpeModel(vocab: Record<string, number>, merges: [string, string][]) {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  };
}

function tokenizerJson(vocab: Record<string, number>, merges: [string, string][], digits = DIGIT_BY_DIGIT) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: preTokenizer(digits),
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: bpeModel(vocab, merges),
  };
}

export type TokenizerJson = ReturnType<typeof tokenizerJson>;

/** GPT-2's reversible map from bytes to printable characters (the symbols of a byte-level BPE). */
export function byteSymbols(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const symbols = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    symbols[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + next++);
  }
  return symbols;
}

/**
 * Train on `texts` (one training sample per entry; newlines inside are fine) and return the repaired
 * tokenizer.json object with exactly `vocabSize` tokens.
 */
export function trainTokenizer(texts: Iterable<string>, vocabSize: number): TokenizerJson {
  const dir = mkdtempSync(join(tmpdir(), 'engram-bpe-'));
  try {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, Array.from(texts).join('\n'));
    const trainer = RustTokenizer.fromString(JSON.stringify(tokenizerJson({}, [])));
    trainer.train([corpus]);
    const full = join(dir, 'full.json');
    trainer.save(full);
    const trained = JSON.parse(readFileSync(full, 'utf8')) as { model: { merges: ([string, string] | string)[] } };
    const merges = trained.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
    return trimmed(merges, vocabSize);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function trimmed(allMerges: [string, string][], vocabSize: number): TokenizerJson {
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const special of SPECIAL_TOKENS) vocab[special] = id++;
  for (const symbol of byteSymbols()) vocab[symbol] = id++;
  const merges: [string, string][] = [];
  for (const [a, b] of allMerges) {
    if (id >= vocabSize) break;
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b} uses a token that is not in the vocabulary`);
    merges.push([a, b]);
    // Two merges can build the same string ("ab"+"c", "a"+"bc"); the second adds a merge but no token.
    if (!(a + b in vocab)) vocab[a + b] = id++;
  }
  if (id !== vocabSize) throw new Error(`training produced only ${id} tokens, ${vocabSize} were asked for`);
  return tokenizerJson(vocab, merges);
}

/** The numbers lo..hi as written (no leading zeros). */
const wholeNumberStrings = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => String(lo + i));

/**
 * `trained` with every number from 0 to 999 one token, with and without a leading space (ids after the trained
 * ones, which keep theirs), and the pre-tokenizer that keeps such numbers whole. Merges are appended in an order
 * that reaches every number whatever order BPE tries them in: a spaced number grows from its space-and-first-digit
 * token to the right; an unspaced three-digit number can join as "ab"+"c" or as "a"+"bc" (both merges build the
 * same token, so "bc" exists for every c including 00-09).
 */
export function withWholeNumbers(trained: TokenizerJson): TokenizerJson {
  const vocab = { ...trained.model.vocab };
  const merges = trained.model.merges.map((m) => [...m] as [string, string]);
  let id = Object.keys(vocab).length;
  const space = byteSymbols()[0x20];
  const add = (a: string, b: string) => {
    if (!(a in vocab) || !(b in vocab)) throw new Error(`whole numbers: merge ${a} ${b} uses a token that is not in the vocabulary`);
    merges.push([a, b]);
    if (!(a + b in vocab)) vocab[a + b] = id++;
  };
  const twoDigit = wholeNumberStrings(10, 99);
  const threeDigit = wholeNumberStrings(100, 999);
  for (const d of wholeNumberStrings(0, 9)) if (!(space + d in vocab)) add(space, d);
  for (const s of twoDigit) add(space + s[0], s[1]);
  for (const s of threeDigit) add(space + s.slice(0, 2), s[2]);
  for (const s of [...wholeNumberStrings(0, 9).map((d) => `0${d}`), ...twoDigit]) add(s[0], s[1]);
  for (const s of threeDigit) add(s.slice(0, 2), s[2]);
  for (const s of threeDigit) add(s[0], s.slice(1));
  return tokenizerJson(vocab, merges, WHOLE_NUMBERS);
}
