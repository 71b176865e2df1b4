/**
 * The background statistics as scripts and tests get them in Node: the checkpoint's df plus the per-relation
 * background sampled from the model's pretrained facts less the retention probe's, exactly as the app's worker
 * builds them from kb.jsonl (the same facts) and the probe. Kept apart from relation-background.ts so the browser
 * bundle never imports node:fs.
 */
import { readFileSync } from 'node:fs';
import type { Fact } from '../facts/fact';
import type { Checkpoint } from '../model/checkpoint';
import type { EngramTokenizer } from '../model/tokenizer';
import { knownFactsFor, RelationBackground } from './relation-background';
import { backgroundOf, type BackgroundStats } from './tfidf';

function readJsonl(path: string): Fact[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Fact);
}

/** null when the checkpoint has no background df. */
export function shippedBackground(
  checkpoint: Checkpoint,
  tokenizer: EngramTokenizer,
  options: { modelDir?: string; probeFile?: string; perRelation?: number } = {},
): BackgroundStats | null {
  const { modelDir = 'public/model', probeFile = 'public/data/retention-probe.jsonl', perRelation } = options;
  const background = backgroundOf(checkpoint);
  if (!background) return null;
  const known = knownFactsFor(readJsonl(`${modelDir}/pretrained-facts.jsonl`), readJsonl(probeFile));
  return { ...background, relations: new RelationBackground(tokenizer, known, perRelation) };
}
