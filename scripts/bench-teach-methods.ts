/**
 * teach() for sparse memory finetuning, full finetuning and LoRA side by side, on the same facts, in one run:
 *
 *   node --import tsx scripts/bench-teach-methods.ts [--facts 4] [--methods sparse,full,lora] [--backend wasm]
 *     [--batch 8] [--steps 2] [--profile]
 *
 * Each method gets its own copy of the shipped model (loaded as scripts/experiment.ts does) and its registry
 * defaults (src/learn/methods.ts; --steps overrides every method's steps per fact); the methods take turns on
 * each fact of the invented pack, in rotating order so none always runs after the same one. Fact 0 is a
 * warm-up (tfjs compiles and pools per shape; AdamW allocates its moments on its first step); the next --facts
 * facts are timed. Prints ms per teach() and per step, and the ratio to sparse, as a Markdown table: wall time
 * (teach()'s own report) and the process's CPU time over each call (wasm runs on this one thread in Node, so CPU
 * time is the work done, and shifts far less than wall time when other jobs share the machine).
 *
 * --profile then runs one more fact per method under tf.profile and prints where the time goes, kernel by
 * kernel (wall time of each kernel on wasm/cpu, which run kernels synchronously) and the time outside kernels
 * (host work: sparseRowGradient's coefficients, downloads, JavaScript).
 *
 * scripts/bench-teach.ts is the other teach() benchmark: the sparse learner's WGSL kernel path against its
 * reference path on WebGPU (`npm run bench`); this one compares the methods on the backend the app falls back to.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import type { PackFact } from '../src/facts/fact';
import type { Learner } from '../src/learn/learner';
import { createLearner, methodSpec, type MethodId } from '../src/learn/methods';
import { buildTeachingBatch, type TeachingBatch } from '../src/learn/teaching-batch';
import { shippedBackground } from '../src/learn/background-node';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { loadTokenizer } from '../src/model/tokenizer';
import { EngramModel } from '../src/model/transformer';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  facts: { type: 'string', default: '4' },
  methods: { type: 'string', default: 'sparse,full,lora' },
  backend: { type: 'string', default: 'wasm' },
  batch: { type: 'string', default: '8' },
  steps: { type: 'string' },
  model: { type: 'string', default: 'public/model' },
  profile: { type: 'boolean', default: false },
});

const timedFacts = Number(args.facts);
const paraphrases = Number(args.batch);
const methods = args.methods!.split(',').map((m) => methodSpec(m.trim()).id);
const steps = args.steps ? Number(args.steps) : undefined;

interface Row {
  id: MethodId;
  label: string;
  steps: number;
  ms: number[];
  /** Process CPU time (user + system) per teach(): less sensitive than wall time to other jobs on the machine. */
  cpu: number[];
}

async function main() {
  await tf.setBackend(args.backend!);
  await tf.ready();
  const ckpt = await loadCheckpoint(directorySource(args.model!));
  const tok = loadTokenizer(readFileSync(`${args.model}/tokenizer.json`, 'utf8'));
  const background = shippedBackground(ckpt, tok, { modelDir: args.model });
  const pack = readFileSync('public/data/packs/invented.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PackFact);
  const extra = args.profile ? 1 : 0;
  if (pack.length < timedFacts + 1 + extra) throw new Error(`the invented pack has ${pack.length} facts`);
  const batches: TeachingBatch[] = pack.slice(0, timedFacts + 1 + extra).map((f) => buildTeachingBatch(f, tok, { context: ckpt.config.context, paraphrases }));

  const models = methods.map(() => EngramModel.fromCheckpoint(ckpt));
  const learners: Learner[] = methods.map((id, i) => createLearner(id, models[i], background, steps ? { steps } : {}));
  const rows: Row[] = methods.map((id, i) => ({ id, label: learners[i].label, steps: 0, ms: [], cpu: [] }));
  console.log(`bench-teach-methods: tfjs ${tf.getBackend()} (Node ${process.version}, ${process.arch}), ${paraphrases} paraphrases, 1 warm-up fact + ${timedFacts} timed; ${learners.map((l) => l.label).join(' | ')}`);
  try {
    for (let f = 0; f <= timedFacts; f++) {
      const batch = batches[f];
      for (let k = 0; k < methods.length; k++) {
        const i = (f + k) % methods.length;
        const cpuStart = process.cpuUsage();
        const report = await learners[i].teach(batch);
        const cpu = process.cpuUsage(cpuStart);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        if (f > 0) {
          rows[i].ms.push(report.ms);
          rows[i].cpu.push(cpuMs);
          rows[i].steps += report.steps;
        }
        console.log(`  fact ${f}${f === 0 ? ' (warm-up)' : ''} ${methods[i]}: ${report.ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms), ${report.steps} steps, loss ${report.loss.toFixed(3)}`);
      }
    }
    printTable(rows, batches.slice(1, timedFacts + 1));
    if (args.profile) {
      for (let i = 0; i < methods.length; i++) await profileTeach(methods[i], learners[i], batches[timedFacts + 1]);
    }
  } finally {
    learners.forEach((l) => l.dispose());
    models.forEach((m) => m.dispose());
  }
}

function printTable(rows: Row[], batches: TeachingBatch[]) {
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  const tokens = Math.round(mean(batches.map((b) => b.B * b.T)));
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const perStep = (r: Row, xs: number[]) => sum(xs) / Math.max(1, r.steps);
  const sparse = rows.find((r) => r.id === 'sparse');
  const ratio = (r: Row, xs: (r: Row) => number[]) => (sparse ? (perStep(r, xs(r)) / perStep(sparse, xs(sparse))).toFixed(2) + 'x' : '-');
  console.log(`\nmean of ${rows[0].ms.length} facts (~${tokens} tokens per batch); wall = teach()'s own ms, CPU = the process's CPU time over the call; x sparse = per step against sparse's`);
  console.log('| method | settings | steps / fact | wall ms / teach | wall ms / step | x sparse | CPU ms / step | x sparse (CPU) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.id} | ${r.label} | ${(r.steps / Math.max(1, r.ms.length)).toFixed(1)} | ${mean(r.ms).toFixed(0)} | ${perStep(r, r.ms).toFixed(0)} | ${ratio(r, (x) => x.ms)} | ${perStep(r, r.cpu).toFixed(0)} | ${ratio(r, (x) => x.cpu)} |`,
    );
  }
}

async function profileTeach(id: MethodId, learner: Learner, batch: TeachingBatch) {
  const started = performance.now();
  let steps = 0;
  const info = await tf.profile(async () => {
    steps = (await learner.teach(batch)).steps;
  });
  const wall = performance.now() - started;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let kernelMs = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += ms;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
  }
  const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
  console.log(`\nprofile ${id}: ${wall.toFixed(0)} ms wall for ${steps} steps (profiling adds overhead), ${info.kernels.length} kernels ${kernelMs.toFixed(0)} ms, outside kernels ${(wall - kernelMs).toFixed(0)} ms; peak ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB, new ${(info.newBytes / 2 ** 20).toFixed(1)} MiB`);
  for (const [name, e] of top) console.log(`  ${name.padEnd(22)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(5)} calls`);
  const slowest = [...info.kernels].sort((a, b) => Number(b.kernelTimeMs) - Number(a.kernelTimeMs)).slice(0, 12);
  console.log('  slowest single kernels:');
  for (const k of slowest) console.log(`    ${k.name.padEnd(20)} ${Number(k.kernelTimeMs).toFixed(1).padStart(8)} ms  in ${k.inputShapes.map((s) => `[${s}]`).join(' ')} -> ${k.outputShapes.map((s) => `[${s}]`).join(' ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
