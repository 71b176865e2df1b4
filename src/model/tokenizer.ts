/**
 * The Engram tokenizer: a byte-level BPE with 4,096 tokens trained by `npm run data`
 * (scripts/data/tokenizer-train.ts) and saved as a Hugging Face tokenizer.json at public/model/tokenizer.json.
 * Encoding and decoding go through @huggingface/tokenizers (pure JS, runs in the browser, the worker and Node).
 *
 * Layout of the vocabulary (fixed by the data build, checked here):
 *   id 0            <|pad|>
 *   id 1            <|endoftext|>   separates documents and facts; the end-of-sequence token
 *   ids 2..257      the 256 single bytes, byte b has id b + 2
 *   ids 258..4095   BPE merges, in merge order
 *   ids 4096..6086  every number from 0 to 999 as one token, with and without a leading space (the ones the
 *                   merges did not already make)
 *
 * Round trip: decode(encode(s)) === s for every JavaScript string that is well-formed UTF-16, because every
 * byte has a token. A lone surrogate (an unpaired \uD800-\uDFFF) cannot be written in UTF-8, so the encoder
 * (TextEncoder) replaces it with U+FFFD and it decodes as "\uFFFD". Literal "<|pad|>" or "<|endoftext|>" in
 * the input are encoded as the special ids, as every Hugging Face tokenizer does; they still decode to the same
 * text. A number of one to three digits is one token (" 118", "358"), so a taught atomic number or calling code
 * writes memory rows of its own instead of the rows every number's digits share; a longer run of digits is split
 * one digit a token (a space may attach to the first), so "1942" is four tokens and a year is read digit by digit.
 */
import { Tokenizer } from '@huggingface/tokenizers';

export const PAD_TOKEN = '<|pad|>';
export const EOS_TOKEN = '<|endoftext|>';
export const PAD_ID = 0;
export const EOS_ID = 1;
/** Id of the token for byte b is b + BYTE_ID_OFFSET. */
export const BYTE_ID_OFFSET = 2;

export interface EngramTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  /** Token ids of `text`; never adds special tokens of its own. */
  encode(text: string): number[];
  /** The text of `ids`; special tokens are written out ("<|endoftext|>"), nothing is cleaned up. */
  decode(ids: readonly number[]): string;
  /** Each id decoded on its own, for display. A token holding part of a multi-byte character shows U+FFFD. */
  tokenStrings(ids: readonly number[]): string[];
}

/** Hugging Face tokenizer.json as far as this module reads it. */
interface TokenizerJson {
  model: { type: string; vocab: Record<string, number> };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

export class TokenizerFormatError extends Error {
  override name = 'TokenizerFormatError';
}

/** Build the tokenizer from the parsed (or raw string) contents of public/model/tokenizer.json. */
export function loadTokenizer(json: unknown): EngramTokenizer {
  const parsed = (typeof json === 'string' ? JSON.parse(json) : json) as TokenizerJson;
  checkLayout(parsed);
  // clean_up_tokenization_spaces defaults to true in tokenizers.js and would turn " ." into "." on decode.
  const inner = new Tokenizer(parsed, { clean_up_tokenization_spaces: false });
  const vocabSize = Object.keys(parsed.model.vocab).length;

  const decode = (ids: readonly number[]): string => {
    if (ids.length === 0) return ''; // tokenizers.js throws on an empty array
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new RangeError(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
      }
    }
    return inner.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  };

  return {
    vocabSize,
    padId: PAD_ID,
    eosId: EOS_ID,
    encode: (text) => (text.length === 0 ? [] : inner.encode(text, { add_special_tokens: false }).ids),
    decode,
    tokenStrings: (ids) => ids.map((id) => decode([id])),
  };
}

/** Fetch and load the tokenizer the page ships (public/model/tokenizer.json). */
export async function fetchTokenizer(url = `${import.meta.env?.BASE_URL ?? '/'}model/tokenizer.json`): Promise<EngramTokenizer> {
  const response = await fetch(url);
  if (!response.ok) throw new TokenizerFormatError(`could not load the tokenizer from ${url}: HTTP ${response.status}`);
  return loadTokenizer(await response.json());
}

function checkLayout(json: TokenizerJson): void {
  if (json?.model?.type !== 'BPE' || typeof json.model.vocab !== 'object') {
    throw new TokenizerFormatError('tokenizer.json must hold a BPE model with a vocab; regenerate it with `npm run data`');
  }
  const { vocab } = json.model;
  for (const [content, id] of [
    [PAD_TOKEN, PAD_ID],
    [EOS_TOKEN, EOS_ID],
  ] as const) {
    if (vocab[content] !== id) {
      throw new TokenizerFormatError(`expected ${content} to have id ${id}, found ${String(vocab[content])}`);
    }
    if (!json.added_tokens?.some((t) => t.id === id && t.content === content && t.special)) {
      throw new TokenizerFormatError(`${content} must be listed as a special added token`);
    }
  }
}
