/**
 * Counts the per-relation background (src/learn/relation-background.ts) on the shipped checkpoint and writes
 * public/data/relation-background.bin (src/learn/relation-background-file.ts), which the app and the Node scripts
 * read instead of counting it themselves. Run it whenever the checkpoint, the pretrained facts or the retention
 * probe change (a file of another checkpoint is refused by its sha256).
 *
 *   npm run relation-background [-- --model public/model --out public/data/relation-background.bin]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '../src/gpu/wasm-kernel-fixes';
import type { Fact } from '../src/facts/fact';
import { knownFactsFor, RelationBackground } from '../src/learn/relation-background';
import { encodeRelationBackground } from '../src/learn/relation-background-file';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { nSlots } from '../src/model/config';
import { loadTokenizer } from '../src/model/tokenizer';
import { EngramModel } from '../src/model/transformer';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  model: { type: 'string', default: 'public/model' },
  probe: { type: 'string', default: 'public/data/retention-probe.jsonl' },
  out: { type: 'string', default: 'public/data/relation-background.bin' },
  'per-relation': { type: 'string', default: '32' },
});

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Fact);

await tf.setBackend('wasm');
const started = Date.now();
const ckpt = await loadCheckpoint(directorySource(args.model!));
const tok = loadTokenizer(readFileSync(`${args.model}/tokenizer.json`, 'utf8'));
const model = EngramModel.fromCheckpoint(ckpt);
const perRelation = Number(args['per-relation']);
const known = knownFactsFor(jsonl(`${args.model}/pretrained-facts.jsonl`), jsonl(args.probe!));
const counts = await new RelationBackground(tok, known, perRelation).countAll(model, (relation) => console.log(`counted ${relation} (${((Date.now() - started) / 1000).toFixed(0)} s)`));
const bytes = encodeRelationBackground(counts, ckpt.manifest.files.weights.sha256, nSlots(model.cfg), perRelation);
writeFileSync(args.out!, bytes);
console.log(`wrote ${args.out}: ${counts.size} relations, ${perRelation} known facts each (probe facts left out), ${(bytes.length / 1024).toFixed(0)} KiB`);
