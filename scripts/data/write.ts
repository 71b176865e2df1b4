/**
 * Writes a DataBuild to disk. Small, committed outputs go under publicDir (public/): what the app and the
 * tests load. The large pretraining stream goes under buildDir (build/data/, git-ignored) and is regenerated
 * by `npm run data`. Last, public/data/manifest.json records the seed, counts and a sha256 of every file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PACK_NAMES } from '../../src/facts/fact';
import { RELATIONS } from '../../src/facts/relations';
import { EOS_ID, PAD_ID } from '../../src/model/tokenizer';
import { attributionMarkdown } from './attribution';
import type { DataBuild } from './build';
import { toJsonl } from './jsonl';
import { reportMarkdown } from './report';
import type { TokenStats } from './token-stats';

export interface OutputDirs {
  /** the repository's public/ (or a temp dir in tests) */
  readonly publicDir: string;
  /** build/data/ */
  readonly buildDir: string;
  /** paths in the manifest are relative to this */
  readonly root: string;
}

export interface FileEntry {
  readonly sha256: string;
  readonly bytes: number;
  readonly lines?: number;
}

export const PUBLIC_FILES = {
  kb: 'data/kb.jsonl',
  pack: (name: string) => `data/packs/${name}.jsonl`,
  heldout: 'data/heldout.jsonl',
  tokenizer: 'model/tokenizer.json',
  report: 'data/report.md',
  attribution: 'data/ATTRIBUTION.md',
  manifest: 'data/manifest.json',
} as const;

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function writeData(build: DataBuild, tokens: TokenStats, dirs: OutputDirs): { report: string } {
  const files: Record<string, FileEntry> = {};
  const regenerated: Record<string, FileEntry> = {};
  const put = (base: string, path: string, data: string | Uint8Array, into: Record<string, FileEntry>) => {
    const full = join(base, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
    const lines = typeof data === 'string' && path.endsWith('.jsonl') ? data.split('\n').length - 1 : undefined;
    into[relative(dirs.root, full).split('\\').join('/')] = {
      sha256: sha256(data),
      bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength,
      ...(lines === undefined ? {} : { lines }),
    };
  };
  const pub = (path: string, data: string) => put(dirs.publicDir, path, data, files);
  const big = (path: string, data: string | Uint8Array) => put(dirs.buildDir, path, data, regenerated);

  // --- committed, small
  pub(PUBLIC_FILES.kb, toJsonl(build.kb, ['subject', 'relation', 'object', 'split', 'source']));
  for (const name of PACK_NAMES) {
    pub(PUBLIC_FILES.pack(name), toJsonl(build.packs[name], ['subject', 'relation', 'object', 'pack', 'original']));
  }
  pub(PUBLIC_FILES.heldout, toJsonl(build.heldoutDocs, ['domain', 'id', 'text']));
  pub(PUBLIC_FILES.tokenizer, `${JSON.stringify(build.tokenizer)}\n`);
  const report = reportMarkdown(build, tokens);
  pub(PUBLIC_FILES.report, report);
  pub(PUBLIC_FILES.attribution, attributionMarkdown(build.sources));

  // --- regenerated, large (build/data/)
  rmSync(join(dirs.buildDir, 'tokens'), { recursive: true, force: true });
  big('pretrain-text.jsonl', toJsonl(build.pretrainDocs, ['domain', 'id', 'text']));
  const renderings = build.renderings.map((r, i) => ({ ...r, ids: tokens.renderingIds[i] }));
  big('kb-train-renderings.jsonl', toJsonl(renderings, ['subject', 'relation', 'object', 'template', 'kind', 'text', 'ids']));
  for (const c of tokens.corpora) {
    big(`tokens/${c.split}-${c.domain}.u16`, new Uint8Array(c.ids.buffer, c.ids.byteOffset, c.ids.byteLength));
  }
  big('README.md', buildReadme());

  const manifest = {
    generator: 'npm run data (scripts/build-data.ts)',
    seed: build.options.seed,
    options: build.options,
    sources: build.sources,
    tokenizer: {
      path: `public/${PUBLIC_FILES.tokenizer}`,
      vocabSize: Object.keys(build.tokenizer.model.vocab).length,
      merges: build.tokenizer.model.merges.length,
      padId: PAD_ID,
      eosId: EOS_ID,
    },
    counts: {
      kb: build.kb.length,
      kbByRelation: Object.fromEntries(RELATIONS.map((r) => [r, build.kb.filter((f) => f.relation === r).length])),
      packs: Object.fromEntries(PACK_NAMES.map((p) => [p, build.packs[p].length])),
      renderings: build.renderings.length,
      pretrainDocs: build.pretrainDocs.length,
      heldoutDocs: build.heldoutDocs.length,
      tokens: Object.fromEntries(tokens.corpora.map((c) => [`${c.split}/${c.domain}`, c.ids.length])),
    },
    files,
    regenerated,
  };
  pub(PUBLIC_FILES.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return { report };
}

/** Read a manifest back (tests check committed files against it). */
export function readManifest(publicDir: string): { files: Record<string, FileEntry>; seed: string } {
  return JSON.parse(readFileSync(join(publicDir, PUBLIC_FILES.manifest), 'utf8'));
}

function buildReadme(): string {
  return [
    '# build/data (generated by `npm run data`, not committed)',
    '',
    '- `pretrain-text.jsonl`: general-text training documents, one JSON object per line:',
    '  `{"domain", "id", "text"}`; domain is sotu, moby-dick, wordnet-glosses or factbook. The leakage filter',
    '  has already removed every sentence naming a held-out entity.',
    '- `kb-train-renderings.jsonl`: every knowledge-base fact rendered with each training template',
    '  (4 statements + 1 question per relation): `{"subject", "relation", "object", "template", "kind", "text", "ids"}`.',
    '  `ids` are the token ids of `text` (no special tokens added).',
    '- `tokens/<split>-<domain>.u16`: token ids of the general text as little-endian uint16, every document',
    '  followed by `<|endoftext|>` (id 1). split is `train` or `heldout` (held-out text is never trained on;',
    '  its text is also committed in public/data/heldout.jsonl).',
    '',
    'Tokenizer: public/model/tokenizer.json (id 0 `<|pad|>`, id 1 `<|endoftext|>`, byte b is id b + 2).',
    'Sizes, hashes and counts: public/data/manifest.json ("regenerated").',
    '',
  ].join('\n');
}
