/**
 * Soak (memory must stay flat over a long stream): stream many facts through sparse memory finetuning and watch for leaks. Prints the
 * tensor count and backend bytes every `--every` facts, the least-squares slope of both over the stream (per
 * 100 facts), errors, and recall / retention at the end.
 *
 *   npm run soak -- [--n 1000] [--every 100] [--backend wasm|cpu] [--probe 240] [--t 500] [--lr 5] [--steps 2]
 *
 * t, lr and steps default to the `sparse` method's defaults (src/learn/methods.ts).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import { PACK_NAMES, type PackFact } from '../src/facts/fact';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { EngramModel } from '../src/model/transformer';
import { loadTokenizer } from '../src/model/tokenizer';
import { SparseMemoryLearner } from '../src/learn/sparse-learner';
import { methodSpec } from '../src/learn/methods';
import { TaughtFacts } from '../src/worker/taught-facts';
import { teachStep } from '../src/worker/learning-step';
import { scoreFacts, summarize } from '../src/eval/fact-recall';
import { parseRetentionProbe, probeSubset, relativeDrop } from '../src/eval/retention-probe';
import { seededShuffle } from './experiment-facts';
import { slope } from './least-squares';
import { shippedBackground } from '../src/learn/background-node';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  n: { type: 'string', default: '1000' },
  every: { type: 'string', default: '100' },
  backend: { type: 'string', default: 'wasm' },
  probe: { type: 'string', default: '240' },
  t: { type: 'string' },
  lr: { type: 'string' },
  steps: { type: 'string' },
});

async function main() {
  const n = Number(args.n);
  const every = Number(args.every);
  await tf.setBackend(args.backend!);
  await tf.ready();
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const model = EngramModel.fromCheckpoint(ckpt);
  const background = shippedBackground(ckpt, tok);
  const defaults = methodSpec('sparse').defaults;
  // The app's settings: the registry defaults (until-answered steps, relation background) with t, lr, steps as given.
  const settings = { ...defaults, t: Number(args.t ?? defaults.t), lr: Number(args.lr ?? defaults.lr), steps: Number(args.steps ?? defaults.steps) };
  const learner = new SparseMemoryLearner(model, background, settings);
  console.log(`soak: ${learner.label}, ${n} facts, backend ${tf.getBackend()}`);
  // The app's own log (src/worker/taught-facts.ts): each fact with the rows its step left, as the page keeps them.
  const taught = new TaughtFacts();
  // All pack facts (890), cycled with a new shuffle each pass when n exceeds them.
  const pool = PACK_NAMES.flatMap((name) => readFileSync(`public/data/packs/${name}.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PackFact));
  const stream: PackFact[] = [];
  for (let pass = 0; stream.length < n; pass++) stream.push(...seededShuffle(pool, pass + 1));
  stream.length = n;
  const probe = probeSubset(parseRetentionProbe(readFileSync('public/data/retention-probe.jsonl', 'utf8')), Number(args.probe));
  const retentionBefore = summarize(await scoreFacts(model, tok, probe)).exactMatch;

  const xs: number[] = [];
  const tensors: number[] = [];
  const bytes: number[] = [];
  const sample = (facts: number) => {
    const m = tf.memory();
    xs.push(facts);
    tensors.push(m.numTensors);
    bytes.push(m.numBytes);
    console.log(`${String(facts).padStart(5)} facts: ${m.numTensors} tensors, ${(m.numBytes / 2 ** 20).toFixed(2)} MiB on the ${tf.getBackend()} backend`);
  };
  let errors = 0;
  let ms = 0;
  const started = Date.now();
  for (const [i, fact] of stream.entries()) {
    if (i === 1) sample(1); // after one warm-up fact (the first fact creates the cached causal masks)
    try {
      const { after, step } = await teachStep(learner, model, tok, fact, 8, taught.earlierFor(fact));
      taught.add({ fact, origin: fact.pack, after, step });
      ms += step.ms;
    } catch (error) {
      errors++;
      console.error(`fact ${i + 1} failed: ${(error as Error).message}`);
    }
    if ((i + 1) % every === 0) sample(i + 1);
  }
  // Facts taught twice (n > pool) overwrite the same subjects: recall counts each distinct fact once, latest object.
  const latest = new Map(stream.map((f) => [`${f.relation}\u0000${f.subject}`, f]));
  const recall = summarize(await scoreFacts(model, tok, [...latest.values()]));
  const retentionAfter = summarize(await scoreFacts(model, tok, probe)).exactMatch;
  const masks = model.cachedMaskCount;
  console.log(`\nsoak: ${n} facts in ${((Date.now() - started) / 1000).toFixed(0)} s (${(ms / n).toFixed(0)} ms per step), ${errors} errors`);
  console.log(`tensors: ${tensors[0]} -> ${tensors[tensors.length - 1]} (slope ${(slope(xs, tensors) * 100).toFixed(3)} per 100 facts; ${masks} of them are cached causal masks, one per sequence length)`);
  console.log(`backend bytes: ${(bytes[0] / 2 ** 20).toFixed(2)} -> ${(bytes[bytes.length - 1] / 2 ** 20).toFixed(2)} MiB (slope ${((slope(xs, bytes) * 100) / 2 ** 10).toFixed(3)} KiB per 100 facts)`);
  console.log(`recall of the ${latest.size} distinct facts taught: ${(recall.exactMatch * 100).toFixed(1)}% exact match, F1 ${(recall.f1 * 100).toFixed(1)}%`);
  console.log(`retention on ${probe.length} probe facts: ${(retentionBefore * 100).toFixed(1)}% -> ${(retentionAfter * 100).toFixed(1)}% (relative drop ${(relativeDrop(retentionBefore, retentionAfter) * 100).toFixed(1)}%)`);
  console.log(`changed value rows: ${taught.changedSlots().size} of ${model.cfg.nKeys ** 2}`);
  model.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
