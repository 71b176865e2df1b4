/**
 * Calibrates the paper's baselines (docs/method.md §3) on the shipped model: for each method, learning rate and
 * steps per fact, teach single invented facts (fresh model each time) and print the eval-only answer
 * log-probability before/after (the question the teaching batch never contains), whether it became the argmax,
 * a forgetting signal (retention-probe exact match and mean answer log-prob over a fixed subset, before ->
 * after), and wall ms per fact. One fact at a time: this is the per-fact learning curve, not a stream.
 * With --timing N it instead times N facts in a row per method (the first is a warm-up, not counted), the
 * sparse learner, full finetuning and LoRA interleaved fact by fact, and prints the ratios to sparse.
 *
 *   npx tsx scripts/calibrate-baselines.ts [--methods full,lora] [--lrs 1e-5,1e-4,...] [--steps 1,4]
 *     [--facts 3] [--paraphrases 8] [--rank 8] [--alpha 16] [--probe 64] [--backend wasm] [--json FILE]
 *   npx tsx scripts/calibrate-baselines.ts --timing 6 [--steps 1] [--full-lr 1e-3] [--lora-lr 1e-2]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import type { PackFact } from '../src/facts/fact';
import { parseRetentionProbe, probeSubset } from '../src/eval/retention-probe';
import { FullFinetuneLearner } from '../src/learn/full-finetune-learner';
import type { Learner } from '../src/learn/learner';
import { LoraLearner } from '../src/learn/lora-learner';
import { SparseMemoryLearner } from '../src/learn/sparse-learner';
import { buildTeachingBatch, evalProbes, type ProbeItem } from '../src/learn/teaching-batch';
import { scoreAnswers } from '../src/model/answers';
import { loadCheckpoint, type Checkpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../src/model/tokenizer';
import { EngramModel } from '../src/model/transformer';
import type { Fact } from '../src/facts/fact';
import { backgroundOf } from '../src/learn/tfidf';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const settings = {
  backend: opt('--backend', 'wasm'),
  methods: list(opt('--methods', 'full,lora')),
  lrs: list(opt('--lrs', '1e-5,3e-5,1e-4,3e-4,1e-3,3e-3,1e-2')).map(Number),
  steps: list(opt('--steps', '1,4')).map(Number),
  facts: Number(opt('--facts', '3')),
  paraphrases: Number(opt('--paraphrases', '8')),
  rank: Number(opt('--rank', '8')),
  alpha: Number(opt('--alpha', '16')),
  probe: Number(opt('--probe', '64')),
  json: argv.includes('--json') ? opt('--json', '') : '',
  timing: Number(opt('--timing', '0')),
  fullLr: Number(opt('--full-lr', '1e-3')),
  loraLr: Number(opt('--lora-lr', '1e-2')),
};

function evalQuestion(fact: Fact, tok: EngramTokenizer): ProbeItem {
  const q = evalProbes(fact, tok).find((p) => p.templateId.endsWith('/q-eval'));
  if (!q) throw new Error(`relation ${fact.relation} has no eval-only question`);
  return q;
}

async function score(model: EngramModel, items: ProbeItem[]): Promise<{ logprob: number; hit: boolean }[]> {
  return (await scoreAnswers(model, items)).map((s) => ({ logprob: s.logprob, hit: s.hit }));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

async function main() {
  await tf.setBackend(settings.backend);
  await tf.ready();
  console.log(`calibrate-baselines: ${JSON.stringify(settings)}`);
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const invented = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  if (settings.timing > 0) return timing(ckpt, tok, invented);
  // Facts of different subjects and relations.
  const facts: PackFact[] = [];
  for (const f of invented) {
    if (facts.length >= settings.facts) break;
    if (!facts.some((g) => g.relation === f.relation || g.subject === f.subject)) facts.push(f);
  }
  const probeFacts = probeSubset(parseRetentionProbe(readFileSync('public/data/retention-probe.jsonl', 'utf8')), settings.probe);
  const probeItems = probeFacts.map((f) => evalQuestion(f, tok));
  const questions = facts.map((f) => evalQuestion(f, tok));

  const base = EngramModel.fromCheckpoint(ckpt);
  const before = await score(base, questions);
  const probeBefore = await score(base, probeItems);
  base.dispose();
  facts.forEach((f, i) => console.log(`fact ${i}: ${f.subject} / ${f.relation} / ${f.object}: eval-only logprob before ${before[i].logprob.toFixed(2)}`));
  console.log(`retention subset: ${probeItems.length} facts, EM ${mean(probeBefore.map((s) => (s.hit ? 1 : 0))).toFixed(3)}, mean logprob ${mean(probeBefore.map((s) => s.logprob)).toFixed(3)}`);
  console.log('\nmethod | lr | steps | logprob before -> after (mean over facts) | gain | argmax | retention EM | retention logprob | ms/fact | per fact after');
  const rows: unknown[] = [];
  for (const method of settings.methods) {
    for (const steps of settings.steps) {
      for (const lr of settings.lrs) {
        const after: number[] = [];
        const hits: number[] = [];
        const retEm: number[] = [];
        const retLp: number[] = [];
        const ms: number[] = [];
        let failed = '';
        for (let i = 0; i < facts.length; i++) {
          const model = EngramModel.fromCheckpoint(ckpt);
          let learner: Learner | undefined;
          try {
            learner = method === 'full' ? new FullFinetuneLearner(model, { lr, steps }) : new LoraLearner(model, { lr, steps, rank: settings.rank, alpha: settings.alpha });
            const report = await learner.teach(buildTeachingBatch(facts[i], tok, { context: model.cfg.context, paraphrases: settings.paraphrases }));
            ms.push(report.ms);
            const [s] = await score(model, [questions[i]]);
            after.push(s.logprob);
            hits.push(s.hit ? 1 : 0);
            const ret = await score(model, probeItems);
            retEm.push(mean(ret.map((r) => (r.hit ? 1 : 0))));
            retLp.push(mean(ret.map((r) => r.logprob)));
          } catch (error) {
            failed = (error as Error).message;
          } finally {
            learner?.dispose();
            model.dispose();
          }
          if (failed) break;
        }
        const b = mean(before.map((s) => s.logprob));
        const row = { method, lr, steps, before: b, after: mean(after), argmax: mean(hits), retentionEm: mean(retEm), retentionLogprob: mean(retLp), ms: mean(ms), perFact: after, failed };
        rows.push(row);
        console.log(
          failed
            ? `${method} | ${lr} | ${steps} | failed: ${failed}`
            : `${method} | ${lr} | ${steps} | ${b.toFixed(2)} -> ${row.after.toFixed(2)} | ${(row.after - b).toFixed(2)} | ${row.argmax.toFixed(2)} | ${row.retentionEm.toFixed(3)} | ${row.retentionLogprob.toFixed(3)} | ${row.ms.toFixed(0)} | ${after.map((x) => x.toFixed(1)).join(' ')}`,
        );
      }
    }
  }
  if (settings.json) writeFileSync(settings.json, JSON.stringify({ settings, facts, before, probeBefore: { em: mean(probeBefore.map((s) => (s.hit ? 1 : 0))), logprob: mean(probeBefore.map((s) => s.logprob)) }, rows }, null, 2));
}

/** ms per fact, warm, the three learners interleaved so they share the machine's load alike. */
async function timing(ckpt: Checkpoint, tok: EngramTokenizer, pack: PackFact[]): Promise<void> {
  const steps = settings.steps[0];
  const background = backgroundOf(ckpt);
  const make: [string, (m: EngramModel) => Learner][] = [
    ['sparse t=500 lr=10', (m) => new SparseMemoryLearner(m, background, { t: 500, lr: 10, steps })],
    [`full lr=${settings.fullLr}`, (m) => new FullFinetuneLearner(m, { lr: settings.fullLr, steps })],
    [`lora r=${settings.rank} lr=${settings.loraLr}`, (m) => new LoraLearner(m, { lr: settings.loraLr, steps, rank: settings.rank, alpha: settings.alpha })],
  ];
  const runs = make.map(([label, f]) => {
    const model = EngramModel.fromCheckpoint(ckpt);
    return { label, model, learner: f(model), ms: [] as number[] };
  });
  for (let i = 0; i < settings.timing; i++) {
    const batch = buildTeachingBatch(pack[i % pack.length], tok, { context: ckpt.config.context, paraphrases: settings.paraphrases });
    for (const run of runs) {
      const report = await run.learner.teach(batch);
      if (i > 0) run.ms.push(report.ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const sparse = median(runs[0].ms);
  console.log(`\nms per fact (${settings.backend}, steps ${steps}, ${settings.paraphrases} paraphrases, median of ${settings.timing - 1} warm facts):`);
  for (const run of runs) {
    console.log(`${run.label}: ${median(run.ms).toFixed(0)} ms (x${(median(run.ms) / sparse).toFixed(2)} sparse); all: ${run.ms.map((x) => x.toFixed(0)).join(' ')}`);
    run.learner.dispose();
    run.model.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
