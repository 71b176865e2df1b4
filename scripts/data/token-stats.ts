/**
 * Token ids of everything the trainer reads, encoded with the trained tokenizer, and the token counts the
 * report prints. Bulk encoding uses the Rust tokenizer (encodeBatch runs in parallel); the unit tests check
 * that it gives the same ids as src/model/tokenizer.ts, which the app uses.
 */
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { EOS_ID } from '../../src/model/tokenizer';
import type { DataBuild } from './build';
import { DOMAINS, type Domain, type TextDoc } from './corpora';

export interface EncodedCorpus {
  readonly split: 'train' | 'heldout';
  readonly domain: Domain;
  readonly docs: number;
  readonly chars: number;
  /** ids of all documents, each followed by <|endoftext|> */
  readonly ids: Uint16Array;
}

export interface TokenStats {
  readonly corpora: readonly EncodedCorpus[];
  /** ids of each training rendering, in the order of build.renderings */
  readonly renderingIds: readonly number[][];
  readonly renderingTokens: { readonly statement: number; readonly question: number };
  /** mean tokens of an object (with its leading space), per relation, over the knowledge base */
  readonly objectTokens: Readonly<Record<string, number>>;
}

export async function tokenStats(build: DataBuild): Promise<TokenStats> {
  const tok = RustTokenizer.fromString(JSON.stringify(build.tokenizer));
  const encode = async (texts: readonly string[]) => (await tok.encodeBatch([...texts])).map((e) => e.getIds());

  const corpora: EncodedCorpus[] = [];
  for (const [split, docs] of [
    ['train', build.pretrainDocs],
    ['heldout', build.heldoutDocs],
  ] as const) {
    for (const domain of DOMAINS) {
      const inDomain = docs.filter((d: TextDoc) => d.domain === domain);
      const ids = await encode(inDomain.map((d) => d.text));
      const flat = new Uint16Array(ids.reduce((n, x) => n + x.length + 1, 0));
      let at = 0;
      for (const x of ids) {
        flat.set(x, at);
        at += x.length;
        flat[at++] = EOS_ID;
      }
      corpora.push({ split, domain, docs: inDomain.length, chars: inDomain.reduce((n, d) => n + d.text.length, 0), ids: flat });
    }
  }

  const renderingIds = await encode(build.renderings.map((r) => r.text));
  const renderingTokens = { statement: 0, question: 0 };
  build.renderings.forEach((r, i) => (renderingTokens[r.kind] += renderingIds[i].length));

  const objectIds = await encode(build.kb.map((f) => ` ${f.object}`));
  const sums = new Map<string, [number, number]>();
  build.kb.forEach((f, i) => {
    const [n, t] = sums.get(f.relation) ?? [0, 0];
    sums.set(f.relation, [n + 1, t + objectIds[i].length]);
  });
  const objectTokens = Object.fromEntries([...sums].map(([r, [n, t]]) => [r, t / n]));
  return { corpora, renderingIds, renderingTokens, objectTokens };
}
