/**
 * The background statistics as scripts and tests get them in Node: the checkpoint's df plus the per-relation
 * background sampled from the model's pretrained facts less the retention probe's, exactly as the app's worker
 * builds them from kb.jsonl (the same facts) and the probe. Kept apart from relation-background.ts so the browser
 * bundle never imports node:fs.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Fact } from '../facts/fact';
import type { Checkpoint } from '../model/checkpoint';
import type { EngramTokenizer } from '../model/tokenizer';
import { knownFactsFor, RelationBackground } from './relation-background';
import { decodeRelationBackground, readRelationBackgroundHeader } from './relation-background-file';
import { nSlots } from '../model/config';
import { backgroundOf, type BackgroundStats } from './tfidf';

/** The facts of a JSONL file, one per line (blank lines skipped). */
export function readJsonl(path: string): Fact[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Fact);
}

/**
 * null when the checkpoint has no background df. The counts come from `relationFile` (`npm run relation-background`)
 * when it belongs to this checkpoint and was counted on as many facts per relation; otherwise (another model, as
 * `npm run experiment -- --model DIR` may load) each relation is counted the first time it is taught.
 */
export function shippedBackground(
  checkpoint: Checkpoint,
  tokenizer: EngramTokenizer,
  options: { modelDir?: string; probeFile?: string; relationFile?: string; perRelation?: number } = {},
): BackgroundStats | null {
  const { modelDir = 'public/model', probeFile = 'public/data/retention-probe.jsonl', relationFile = 'public/data/relation-background.bin', perRelation = 32 } = options;
  const background = backgroundOf(checkpoint);
  if (!background) return null;
  const known = knownFactsFor(readJsonl(`${modelDir}/pretrained-facts.jsonl`), readJsonl(probeFile));
  let counted: Map<string, BackgroundStats> | undefined;
  if (existsSync(relationFile)) {
    const bytes = new Uint8Array(readFileSync(relationFile));
    const header = readRelationBackgroundHeader(bytes);
    if (header?.checkpointSha256 === checkpoint.manifest.files.weights.sha256 && header.perRelation === perRelation) {
      counted = decodeRelationBackground(bytes, header.checkpointSha256, nSlots(checkpoint.config));
    }
  }
  return { ...background, relations: new RelationBackground(tokenizer, known, perRelation, counted) };
}
