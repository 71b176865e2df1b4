/**
 * Where a relation's answers are read from: for facts of a stream, the memory slots read at the position that
 * predicts the answer's last token (the number after "+" of a calling code, the number of an atomic number, the
 * last token of a capital), and how many of the per-relation background's sample facts read those slots: of the
 * fact's own relation, and of the twelve others. A relation whose answer is read mostly from rows every fact of
 * the relation reads is one the ranking (which leaves those rows alone) and the relation damping (which slows
 * them) make hard to teach: README, "What limits it, honestly". Reads do not depend on the value table, so this
 * runs on the shipped model as it is, with nothing taught.
 *
 *   node --import tsx scripts/answer-reads.ts --facts build/streams/s5.jsonl [--per 6] [--relations capital,calling_code]
 *
 * A stream comes from `npx tsx scripts/make-stream.ts --n 1000 --seed 5 --out build/streams/s5.jsonl`.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import { RELATIONS, type Relation } from '../src/facts/relations';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { EngramModel } from '../src/model/transformer';
import { loadTokenizer } from '../src/model/tokenizer';
import { buildTeachingBatch, DEFAULT_TEACHING, type TeachingBatch } from '../src/learn/teaching-batch';
import { readJsonl, shippedBackground } from '../src/learn/background-node';
import { readSlots } from '../src/learn/relation-background';
import type { BackgroundStats } from '../src/learn/tfidf';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  facts: { type: 'string', default: 'build/streams/s5.jsonl' },
  per: { type: 'string', default: '6' },
  relations: { type: 'string', default: RELATIONS.join(',') },
});

function fail(message: string): never {
  console.error(`answer-reads: ${message}`);
  process.exit(2);
}

/** Per trained row, the position whose prediction is the answer's last token (the answer-end target follows it). */
function lastAnswerPositions(batch: TeachingBatch): { row: number; position: number }[] {
  const found: { row: number; position: number }[] = [];
  for (let row = 0; row < batch.B; row++) {
    if (batch.checkOnly[row]) continue;
    const targets: number[] = [];
    for (let t = 0; t < batch.T; t++) if (batch.answerTargets[row * batch.T + t]) targets.push(t);
    const last = targets.length - (DEFAULT_TEACHING.answerEnd ? 2 : 1);
    if (last >= 0) found.push({ row, position: targets[last] });
  }
  return found;
}

async function main(): Promise<void> {
  if (!existsSync(args.facts)) fail(`no facts file at ${args.facts}; make a stream first (see --help)`);
  const per = Number(args.per);
  if (!Number.isInteger(per) || per < 1) fail(`--per must be a positive integer, got "${args.per}"`);
  const relations = args.relations.split(',').map((r) => r.trim());
  const unknown = relations.filter((r) => !RELATIONS.includes(r as Relation));
  if (unknown.length > 0) fail(`unknown relation(s) ${unknown.join(', ')}; the relations are ${RELATIONS.join(', ')}`);
  const facts = readJsonl(args.facts);

  await tf.setBackend('wasm');
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const model = EngramModel.fromCheckpoint(ckpt);
  const perRelation = shippedBackground(ckpt, tok)?.relations ?? fail('the shipped model has no per-relation background');
  const samples = new Map<string, BackgroundStats>();
  for (const relation of RELATIONS) {
    const stats = await perRelation.forRelation(relation, model);
    if (stats) samples.set(relation, stats);
  }

  console.log(`reads at the position that predicts the answer's last token (${per} facts a relation from ${args.facts}):`);
  console.log(`${'relation'.padEnd(20)}${"own relation's samples".padStart(26)}${"other relations' samples".padStart(28)}${'other relations with >= 1/4 reading'.padStart(38)}`);
  for (const relation of relations) {
    const own = samples.get(relation);
    if (!own) continue;
    let reads = 0;
    let ownShare = 0;
    let otherShare = 0;
    let othersReading = 0;
    for (const fact of facts.filter((f) => f.relation === relation).slice(0, per)) {
      const batch = buildTeachingBatch(fact, tok, { context: model.cfg.context, ...DEFAULT_TEACHING });
      const ids = await readSlots(model, batch.tokens, batch.B, batch.T);
      const readsPerToken = ids.length / (batch.B * batch.T);
      for (const { row, position } of lastAnswerPositions(batch)) {
        for (let k = 0; k < readsPerToken; k++) {
          const slot = ids[(row * batch.T + position) * readsPerToken + k];
          reads++;
          ownShare += own.df[slot] / own.numBatches;
          for (const [other, stats] of samples) {
            if (other === relation) continue;
            otherShare += stats.df[slot] / stats.numBatches / (samples.size - 1);
            if (stats.df[slot] >= stats.numBatches / 4) othersReading++;
          }
        }
      }
    }
    if (reads === 0) continue;
    const pct = (x: number) => `${((100 * x) / reads).toFixed(0)}%`.padStart(4);
    console.log(`${relation.padEnd(20)}${pct(ownShare).padStart(26)}${pct(otherShare).padStart(28)}${(othersReading / reads).toFixed(1).padStart(32)} of ${samples.size - 1}`);
  }
  model.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
