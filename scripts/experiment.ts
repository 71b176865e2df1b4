/**
 * The paper's learning-versus-forgetting comparison (Lin et al. 2025, Fig. / Table of held-out QA F1 drop),
 * headless, with the same model / learn / eval code as the browser. Streams one teach pack through every
 * method from the same base checkpoint and reports, per method and setting: new-fact recall on the eval-only
 * question, retention on the probe (relative drop), held-out NLL before/after, multiple-choice accuracy,
 * parameters written per step and ms per step; then a matched-learning comparison. Writes JSON, CSV and an
 * SVG of learning against retention (one point per method and setting).
 *
 *   npm run experiment -- [--n 200] [--pack mixed|real-unseen|counterfactual|invented] [--facts FILE.jsonl]
 *     [--methods sparse,full,lora,...] [--t 500] [--lr 10] [--batch 8] [--steps 1] [--max-steps 8] [--answer-prob 0.5]
 *     [--wordings core|all] [--answer-weight 1] [--context-weight 0] [--rehearsal-rows 2] [--prefix-rehearsal-rows 4]
 *     [--answer-end on|off] [--review N] [--review-rows 1] [--review-all] [--review-same-relation] [--review-interfering] [--check-rows N] [--statements N] [--replay-known N] [--own-answers P]
 *     [--optimizer adamw|sgd] [--value-lr 2] [--relation-weight 1 (0: off)] [--relation-sample 32]
 *     [--count-on tokens|answer|prompt|subject-answer]
 *     [--seed 1] [--sweep lr=1,10,100] [--eval-every 50] [--probe N] [--probe-file FILE] [--heldout-tokens 4096]
 *     [--json FILE] [--csv FILE] [--svg FILE] [--backend wasm|cpu]
 *   npm run experiment -- --merge a.json,b.json [--json/--csv/--svg FILE]   (one table from separate runs)
 *
 * --t / --lr / --steps / --max-steps / --answer-prob override every listed method's defaults (the teaching options
 * apply to every method); --sweep [method:]key=v1,v2 runs a grid (repeatable). --optimizer sgd runs full finetuning
 * and LoRA with plain SGD (--value-lr: full finetuning's rate for the value table); --relation-weight ranks sparse
 * slots against a per-relation background too (src/learn/relation-background.ts, counted on --relation-sample
 * known facts per relation, none from the retention probe); --count-on answer takes sparse's TF counts only at the
 * positions the loss weighs (src/learn/sparse-learner.ts, countOn); --review N puts N earlier taught facts of other
 * subjects (those whose own step ended answered; --review-all: any; --review-same-relation: the fact's relation's
 * first; --review-interfering: those with the largest share of their written rows that the new fact's first step
 * is about to train, sparse methods) into each batch, --review-rows rows each; --check-rows N adds the fact's next N
 * wordings as rows the until-answered steps must answer but never train on (TeachingOptions.checkRows); --statements N
 * leads each batch with only N of the four statements, so more of its rows are questions; --replay-known N adds N
 * facts the model was pretrained on (its relation, never the probe's, none the stream sets), a row each, trained
 * but not checked (knownReplay)
 * (src/learn/teaching-batch.ts, reviewFacts); --own-answers P rehearses what the model says (every token at probability
 * P or more) about the subject's other relations (src/learn/own-answers.ts; 0: off).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import { PACK_NAMES, type Fact } from '../src/facts/fact';
import { RELATIONS, type Relation } from '../src/facts/relations';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { EngramModel } from '../src/model/transformer';
import { loadTokenizer } from '../src/model/tokenizer';
import { buildTeachingBatch, DEFAULT_TEACHING, earlierFactsFor, knownReplay, type TeachingOptions, type Wordings } from '../src/learn/teaching-batch';
import { knownFactsFor } from '../src/learn/relation-background';
import { withOwnAnswers } from '../src/learn/own-answers';
import { availableMethods, createLearner, methodSpec, type MethodId, type MethodSettings } from '../src/learn/methods';
import { evaluate, retainedProbe, type EvalSnapshot, type EvalSuite } from '../src/eval/evaluate';
import { scoreFacts, summarize } from '../src/eval/fact-recall';
import { heldoutWindows } from '../src/eval/heldout-nll';
import { parseRetentionProbe, probeSubset, relativeDrop } from '../src/eval/retention-probe';
import { seededShuffle } from './experiment-facts';
import { paretoSvg } from './experiment-plot';
import { readJsonl, shippedBackground } from '../src/learn/background-node';
import type { SparseMemoryLearner, SparseSettings, SparseStepReport } from '../src/learn/sparse-learner';
import { personWordings } from '../src/facts/person-wordings';
import { scoringParts } from '../src/facts/templates';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  n: { type: 'string', default: '200' },
  pack: { type: 'string', default: 'mixed' },
  facts: { type: 'string' },
  methods: { type: 'string', default: 'sparse,sparse-tf,sparse-all,sparse-stream,sparse-adamw,full,lora' },
  t: { type: 'string' },
  lr: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  wordings: { type: 'string' },
  'answer-weight': { type: 'string' },
  'context-weight': { type: 'string' },
  'rehearsal-rows': { type: 'string' },
  'prefix-rehearsal-rows': { type: 'string' },
  'answer-end': { type: 'string' },
  review: { type: 'string' },
  'review-rows': { type: 'string' },
  'check-rows': { type: 'string' },
  statements: { type: 'string' },
  'replay-known': { type: 'string' },
  'review-all': { type: 'boolean', default: false },
  'own-answers': { type: 'string' },
  'review-same-relation': { type: 'boolean', default: false },
  'review-interfering': { type: 'boolean', default: false },
  'max-steps': { type: 'string' },
  'answer-prob': { type: 'string' },
  'relation-weight': { type: 'string' },
  'count-on': { type: 'string' },
  optimizer: { type: 'string' },
  'value-lr': { type: 'string' },
  'relation-sample': { type: 'string', default: '32' },
  seed: { type: 'string', default: '1' },
  sweep: { type: 'string', multiple: true },
  merge: { type: 'string' },
  'eval-every': { type: 'string', default: '50' },
  probe: { type: 'string', default: '480' },
  'probe-file': { type: 'string', default: 'public/data/retention-probe.jsonl' },
  'heldout-tokens': { type: 'string', default: '4096' },
  json: { type: 'string', default: 'experiments/latest.json' },
  csv: { type: 'string', default: 'experiments/latest.csv' },
  svg: { type: 'string', default: 'experiments/latest.svg' },
  backend: { type: 'string', default: 'wasm' },
  model: { type: 'string', default: 'public/model' },
});

function int(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${value}"`);
  return n;
}
function num(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got "${value}"`);
  return n;
}
function wordingsArg(value: string): Wordings {
  if (value !== 'core' && value !== 'all') fail(`--wordings must be core or all, got "${value}"`);
  return value;
}
function fail(message: string): never {
  console.error(`experiment: ${message}`);
  process.exit(2);
}

/** Facts from a JSONL file of {"subject","relation","object"}: every line checked, every problem named. */
function readFactsFile(path: string): Fact[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    fail(`cannot read --facts file ${path}`);
  }
  const facts: Fact[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const { subject, relation, object } = record;
    if (typeof subject !== 'string' || !subject.trim() || typeof object !== 'string' || !object.trim()) {
      problems.push(`line ${i + 1}: needs non-empty "subject" and "object" strings`);
    } else if (typeof relation !== 'string' || !RELATIONS.includes(relation as Relation)) {
      problems.push(`line ${i + 1}: unknown relation ${JSON.stringify(relation)} (known: ${RELATIONS.join(', ')})`);
    } else facts.push({ subject: subject.trim(), relation: relation as Relation, object: object.trim() });
  });
  if (problems.length > 0) fail(`${path} has ${problems.length} bad line(s):\n  ${problems.slice(0, 10).join('\n  ')}`);
  if (facts.length === 0) fail(`${path} has no facts`);
  return facts;
}

function packFacts(pack: string, n: number, seed: number): Fact[] {
  const read = (name: string) =>
    readFileSync(`public/data/packs/${name}.jsonl`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Fact);
  if (pack === 'mixed') {
    // Round-robin over the three packs, each shuffled: equal thirds of real-unseen, counterfactual, invented.
    const packs = PACK_NAMES.map((name, i) => seededShuffle(read(name), seed + i));
    const out: Fact[] = [];
    for (let i = 0; out.length < n && i < Math.max(...packs.map((p) => p.length)); i++) {
      for (const p of packs) if (i < p.length && out.length < n) out.push(p[i]);
    }
    return out;
  }
  if (!(PACK_NAMES as readonly string[]).includes(pack)) fail(`unknown --pack "${pack}" (known: mixed, ${PACK_NAMES.join(', ')})`);
  return seededShuffle(read(pack), seed).slice(0, n);
}

interface Run {
  method: MethodId;
  label: string;
  settings: MethodSettings;
}

function plannedRuns(): Run[] {
  const ids = args.methods!.split(',').map((s) => s.trim()).filter(Boolean);
  const known = new Set(availableMethods().map((m) => m.id));
  for (const id of ids) if (!known.has(id as MethodId)) fail(`method "${id}" is not available (available: ${[...known].join(', ')})`);
  const overrides: MethodSettings = {};
  if (args.t) overrides.t = int('t', args.t);
  if (args.lr) overrides.lr = num('lr', args.lr);
  if (args.steps) overrides.steps = int('steps', args.steps);
  if (args['max-steps']) overrides.maxSteps = int('max-steps', args['max-steps']);
  if (args['answer-prob'] !== undefined) {
    overrides.answerProb = Number(args['answer-prob']);
    if (!(overrides.answerProb >= 0 && overrides.answerProb < 1)) fail(`--answer-prob must be at least 0 and below 1, got "${args['answer-prob']}"`);
  }
  if (args.optimizer !== undefined) {
    if (args.optimizer !== 'adamw' && args.optimizer !== 'sgd') fail(`--optimizer must be adamw or sgd (full finetuning and LoRA), got "${args.optimizer}"`);
    overrides.optimizer = args.optimizer;
  }
  if (args['value-lr'] !== undefined) overrides.valueLr = num('value-lr', args['value-lr']);
  if (args['relation-weight'] !== undefined) {
    // 0 turns the per-relation background off (the paper's ranking).
    overrides.relationWeight = Number(args['relation-weight']);
    if (!(overrides.relationWeight >= 0 && Number.isFinite(overrides.relationWeight))) fail(`--relation-weight must be 0 or more, got "${args['relation-weight']}"`);
  }
  if (args['count-on'] !== undefined) {
    if (!['tokens', 'answer', 'prompt', 'subject-answer'].includes(args['count-on'])) fail(`--count-on must be tokens, answer, prompt or subject-answer (sparse methods), got "${args['count-on']}"`);
    overrides.countOn = args['count-on'] as SparseSettings['countOn'];
  }
  // --sweep lr=1,10 applies to every listed method; --sweep full:lr=1e-5,1e-4 to one. Several may be given.
  const sweeps: { method?: string; key: keyof MethodSettings; values: number[] }[] = [];
  for (const text of args.sweep ?? []) {
    const m = /^(?:([a-z-]+):)?(t|lr|valueLr|steps|maxSteps|answerProb|writtenPenalty|writtenDamping|subjectWriterWeight|dampedSteps|relationWeight|relationDamping|rank|valueRank)=(.+)$/.exec(text);
    if (!m) fail(`--sweep must look like lr=1,10,100 or full:lr=1e-5,1e-4 (keys: t, lr, valueLr, steps, maxSteps, answerProb, writtenPenalty, writtenDamping, subjectWriterWeight, dampedSteps, relationWeight, relationDamping, rank, valueRank), got "${text}"`);
    if (m[1] && !ids.includes(m[1])) fail(`--sweep names method "${m[1]}", which is not in --methods (${ids.join(', ')})`);
    // 0 means off (or, for subjectWriterWeight, not counted) for these keys; every other key takes a positive number.
    const zeroAllowed = ['writtenPenalty', 'writtenDamping', 'subjectWriterWeight', 'dampedSteps', 'relationWeight', 'relationDamping'].includes(m[2]);
    sweeps.push({ method: m[1], key: m[2] as keyof MethodSettings, values: m[3].split(',').map((v) => (zeroAllowed && Number(v) === 0 && v.trim() !== '' ? 0 : num('sweep', v))) });
  }
  const runs: Run[] = [];
  for (const id of ids as MethodId[]) {
    const spec = methodSpec(id);
    const own = sweeps.filter((w) => !w.method || w.method === id);
    let grid: MethodSettings[] = [{}];
    for (const w of own) grid = grid.flatMap((g) => w.values.map((v) => ({ ...g, [w.key]: v })));
    for (const point of grid) runs.push({ method: id, label: '', settings: { ...spec.defaults, ...overrides, ...point } });
  }
  return runs;
}

interface RunResult {
  name: string;
  method: MethodId;
  label: string;
  settings: MethodSettings;
  recall: number;
  recall_f1: number;
  retention_before: number;
  retention_after: number;
  retention_drop: number;
  nll_before: number;
  nll_after: number;
  multiple_choice: number | null;
  params_per_step: number;
  ms_per_step: number;
  curve: { facts: number; recall: number; retention: number }[];
  errors: number;
  /** Recall at the end of the stream, per relation. */
  recall_by_relation?: Record<string, number>;
  /** Each fact's recall right after its own step, averaged over the stream. */
  recall_immediate?: number;
  /** Each fact the eval-only question missed right after its own step: its index, relation, object and the answer given. */
  immediate_misses?: { fact: number; relation: string; object: string; answer: string }[];
  recall_immediate_by_relation?: Record<string, number>;
  /** Recall of the stream's first 100 facts, measured every 100 facts and at the end: how taught facts are forgotten. */
  first100_curve?: { facts: number; recall: number }[];
  /** Share of (fact, wording) pairs answered, with two person-typed wordings per fact (src/facts/person-wordings.ts). */
  recall_person_wordings?: number;
  /** Per relation: share of facts answered by both person wordings. */
  recall_person_wordings_by_relation?: Record<string, number>;
  /** Retention (exact match on the probe, all of whose facts the base model answers) per relation. */
  retention_by_relation?: Record<string, number>;
  /**
   * Retention split by whether the stream taught another fact about the probe fact's subject (a counterfactual
   * edit of a known country or person): how much of the forgetting lands on edited subjects' other facts.
   */
  retention_by_subject?: { edited_subject: { facts: number; kept: number }; other: { facts: number; kept: number } };
  /** Sparse methods: rows by how many facts wrote them, their norms against the pretrained rows, read overlap. */
  wear?: Wear;
  /** How many facts took how many optimizer steps. */
  steps_per_fact?: Record<string, number>;
}

/** --merge a.json,b.json: one table, comparison and plot from runs made separately (e.g. in parallel). */
function mergeRuns(files: string[]): void {
  const parts = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ExperimentOutput);
  const first = parts[0];
  for (const p of parts) {
    if (p.facts !== first.facts || p.source !== first.source || p.seed !== first.seed || p.paraphrases !== first.paraphrases) {
      fail(`cannot merge runs over different streams (${p.source} x${p.facts} seed ${p.seed} vs ${first.source} x${first.facts} seed ${first.seed})`);
    }
  }
  const merged: ExperimentOutput = { ...first, methods: parts.flatMap((p) => p.methods), minutes: parts.reduce((a, p) => a + p.minutes, 0) };
  printTable(merged.methods, merged.base, merged.device);
  printMatched(merged.methods);
  writeOutputs(merged, `${merged.facts} facts, ${merged.source}`);
}

/**
 * The plot's curve a run belongs to: one per method and optimizer (full finetuning with SGD is its own curve beside
 * AdamW's) and, for LoRA, per value-adapter rank (rank 8 and rank 32 are two frontiers, not one).
 */
function curveName(method: MethodId, settings: MethodSettings): string {
  const parts = [settings.optimizer === 'sgd' ? 'SGD' : '', method === 'lora' && settings.valueRank ? `value rank ${settings.valueRank}` : ''].filter(Boolean);
  return parts.length > 0 ? `${method} (${parts.join(', ')})` : method;
}

function writeOutputs(out: ExperimentOutput, title: string): void {
  for (const file of [args.json, args.csv, args.svg]) if (file) mkdirSync(dirname(file), { recursive: true });
  if (args.json) writeFileSync(args.json, JSON.stringify(out, null, 2) + '\n');
  if (args.csv) writeFileSync(args.csv, toCsv(out.methods));
  if (args.svg) writeFileSync(args.svg, paretoSvg(out.methods.map((m) => ({ ...m, method: curveName(m.method, m.settings) })), title));
  console.log(`\nwrote ${[args.json, args.csv, args.svg].filter(Boolean).join(', ')}`);
}

interface BaseScores {
  recall: number;
  recall_f1: number;
  retention: number;
  nll: number;
  nll_per_domain: Readonly<Record<string, number>>;
  multiple_choice: number | null;
}

interface ExperimentOutput {
  facts: number;
  source: string;
  seed: number;
  paraphrases: number;
  teaching?: TeachingOptions & { ownAnswerProb?: number; reviewSameRelation?: boolean; reviewInterfering?: boolean; replayKnown?: number };
  device: string;
  base: BaseScores;
  methods: RunResult[];
  minutes: number;
}

async function main() {
  if (args.merge) return mergeRuns(args.merge.split(','));
  const n = int('n', args.n);
  const seed = int('seed', args.seed);
  const teaching: TeachingOptions = {
    paraphrases: args.batch ? int('batch', args.batch) : DEFAULT_TEACHING.paraphrases,
    wordings: args.wordings ? wordingsArg(args.wordings) : DEFAULT_TEACHING.wordings,
    answerWeight: args['answer-weight'] ? num('answer-weight', args['answer-weight']) : DEFAULT_TEACHING.answerWeight,
    contextWeight: args['context-weight'] !== undefined ? Number(args['context-weight']) : DEFAULT_TEACHING.contextWeight,
    rehearsalRows: args['rehearsal-rows'] !== undefined ? Number(args['rehearsal-rows']) : DEFAULT_TEACHING.rehearsalRows,
    prefixRehearsalRows: args['prefix-rehearsal-rows'] !== undefined ? Number(args['prefix-rehearsal-rows']) : DEFAULT_TEACHING.prefixRehearsalRows,
    answerEnd: args['answer-end'] !== undefined ? args['answer-end'] === 'on' : DEFAULT_TEACHING.answerEnd,
    reviewFacts: args.review !== undefined ? Number(args.review) : DEFAULT_TEACHING.reviewFacts,
    reviewRows: args['review-rows'] !== undefined ? Number(args['review-rows']) : DEFAULT_TEACHING.reviewRows,
    checkRows: args['check-rows'] !== undefined ? Number(args['check-rows']) : DEFAULT_TEACHING.checkRows,
    statements: args.statements !== undefined ? Number(args.statements) : DEFAULT_TEACHING.statements,
  };
  // Experiment-only teaching options (off by default; the app never uses them), recorded beside the teaching options.
  const ownAnswerProb = args['own-answers'] !== undefined ? Number(args['own-answers']) : 0;
  const reviewSameRelation = args['review-same-relation']!;
  const reviewInterfering = args['review-interfering']!;
  const replayKnown = args['replay-known'] !== undefined ? Number(args['replay-known']) : 0;
  if (!(Number.isInteger(replayKnown) && replayKnown >= 0)) fail(`--replay-known must be an integer >= 0, got "${args['replay-known']}"`);
  if (!(ownAnswerProb >= 0 && ownAnswerProb < 1)) fail(`--own-answers must be a probability at least 0 and below 1 (0: off), got "${args['own-answers']}"`);
  if (!(Number.isInteger(teaching.reviewFacts) && teaching.reviewFacts >= 0)) fail(`--review must be an integer >= 0, got "${args.review}"`);
  if (teaching.statements !== undefined && !(Number.isInteger(teaching.statements) && teaching.statements >= 0)) fail(`--statements must be an integer >= 0, got "${args.statements}"`);
  if (!(Number.isInteger(teaching.checkRows) && teaching.checkRows >= 0)) fail(`--check-rows must be an integer >= 0, got "${args['check-rows']}"`);
  if (!(Number.isInteger(teaching.reviewRows) && teaching.reviewRows >= 0)) fail(`--review-rows must be an integer >= 0, got "${args['review-rows']}"`);
  if (!(Number.isInteger(teaching.rehearsalRows) && teaching.rehearsalRows >= 0)) fail(`--rehearsal-rows must be an integer >= 0, got "${args['rehearsal-rows']}"`);
  if (!(Number.isInteger(teaching.prefixRehearsalRows) && teaching.prefixRehearsalRows >= 0)) fail(`--prefix-rehearsal-rows must be an integer >= 0, got "${args['prefix-rehearsal-rows']}"`);
  if (args['answer-end'] !== undefined && !['on', 'off'].includes(args['answer-end'])) fail(`--answer-end must be on or off, got "${args['answer-end']}"`);
  if (!(teaching.contextWeight >= 0)) fail(`--context-weight must be a number >= 0, got "${args['context-weight']}"`);
  const paraphrases = teaching.paraphrases;
  const reviewLearnedOnly = !args['review-all'];
  const evalEvery = int('eval-every', args['eval-every']);
  const runs = plannedRuns();
  await tf.setBackend(args.backend!);
  await tf.ready();
  const started = Date.now();
  const ckpt = await loadCheckpoint(directorySource(args.model!));
  const tok = loadTokenizer(readFileSync(`${args.model}/tokenizer.json`, 'utf8'));
  // With the per-relation background (counted as each relation is first taught): known facts, never the probe's.
  const background = shippedBackground(ckpt, tok, { modelDir: args.model, probeFile: args['probe-file'], perRelation: int('relation-sample', args['relation-sample']) });
  const facts = args.facts ? readFactsFile(args.facts).slice(0, n) : packFacts(args.pack!, n, seed);
  const fullProbe = parseRetentionProbe(readFileSync(args['probe-file']!, 'utf8'));
  const probe = probeSubset(fullProbe, int('probe', args.probe));
  // --replay-known: the model's pretrained facts, less the probe's and any subject and relation the stream sets.
  const streamKeys = new Set(facts.map((f) => `${f.subject}\t${f.relation}`));
  const known = replayKnown > 0
    ? knownFactsFor(readJsonl(`${args.model}/pretrained-facts.jsonl`), fullProbe).filter((f) => !streamKeys.has(`${f.subject}\t${f.relation}`))
    : [];
  const kb = readFileSync('public/data/kb.jsonl', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Fact);
  const suite: EvalSuite = {
    tokenizer: tok,
    probe,
    heldout: heldoutWindows(readFileSync('public/data/heldout.jsonl', 'utf8'), tok, ckpt.config.context, int('heldout-tokens', args['heldout-tokens'])),
    distractorPool: [...kb, ...facts],
  };
  const quickProbe = probeSubset(probe, Math.min(120, probe.length));
  const device = `tfjs ${tf.getBackend()} (Node ${process.version}, ${process.arch})`;
  console.log(`experiment: ${facts.length} facts (${args.facts ?? `pack ${args.pack}`}, seed ${seed}), ${paraphrases} paraphrases per fact (${teaching.wordings} wordings, answer weight ${teaching.answerWeight}, context weight ${teaching.contextWeight}), ${runs.length} run(s); probe ${probe.length} facts; backend ${device}`);

  const baseModel = EngramModel.fromCheckpoint(ckpt);
  const base = await evaluate(baseModel, suite, facts);
  baseModel.dispose();
  console.log(`base model: recall ${pct(base.recall.exactMatch)} of the stream before teaching, retention ${pct(base.retention.exactMatch)}, NLL ${base.nll!.mean.toFixed(3)}, multiple choice ${pct(base.multipleChoice ?? 0)} (${(base.ms / 1000).toFixed(0)} s)`);

  const baseScores: BaseScores = {
    recall: base.recall.exactMatch,
    recall_f1: base.recall.f1,
    retention: base.retention.exactMatch,
    nll: base.nll!.mean,
    nll_per_domain: base.nll!.perDomain,
    multiple_choice: base.multipleChoice,
  };
  const output = (methods: RunResult[]): ExperimentOutput => ({
    facts: facts.length,
    source: args.facts ?? `pack:${args.pack}`,
    seed,
    paraphrases,
    teaching: { ...teaching, ...(ownAnswerProb > 0 ? { ownAnswerProb } : {}), ...(reviewSameRelation ? { reviewSameRelation } : {}), ...(reviewInterfering ? { reviewInterfering } : {}), ...(replayKnown > 0 ? { replayKnown } : {}) },
    device,
    base: baseScores,
    methods,
    minutes: (Date.now() - started) / 60000,
  });
  const results: RunResult[] = [];
  for (const [r, run] of runs.entries()) {
    const model = EngramModel.fromCheckpoint(ckpt);
    const learner = createLearner(run.method, model, background, run.settings);
    const curve: RunResult['curve'] = [];
    const firstHundred: RunResult['first100_curve'] = [];
    const immediate: boolean[] = [];
    /** The facts the eval-only question missed right after their own step, with what it answered. */
    const immediateMisses: NonNullable<RunResult['immediate_misses']> = [];
    /** Per fact: whether its own step ended answered (the review pool; the eval question where a learner cannot say). */
    const learned: boolean[] = [];
    const stepsTaken = new Map<number, number>();
    // What wears out over the stream (sparse methods): how many facts wrote each row, and per fact the share of
    // its batch's reads that land on rows an earlier fact wrote.
    const writes = new Uint16Array(model.values ? model.values.shape[0] : 0);
    const readShareOnWritten: number[] = [];
    /** Per fact (sparse methods): the rows its step wrote, for --review-interfering. */
    const written: Int32Array[] = [];
    const plannedMask = new Uint8Array(writes.length);
    /** Per earlier fact, the share of the rows it wrote that the new fact's first step is about to train. */
    const reviewRisk = async (sparse: SparseMemoryLearner, fact: Fact, before: readonly Fact[], rows: readonly Int32Array[]): Promise<number[]> => {
      const own = earlierFactsFor(fact, before, undefined, 0);
      const planned = await sparse.plannedSlots(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...teaching, ...own }));
      plannedMask.fill(0);
      for (const slot of planned) plannedMask[slot] = 1;
      return before.map((_, j) => {
        const its = rows[j];
        if (!its || its.length === 0) return 0;
        let hit = 0;
        for (const slot of its) hit += plannedMask[slot];
        return hit / its.length;
      });
    };
    let ms = 0;
    let params = 0;
    let errors = 0;
    const runStart = Date.now();
    for (const [i, fact] of facts.entries()) {
      try {
        const before = facts.slice(0, i);
        const risk = reviewInterfering && 'plannedSlots' in learner ? await reviewRisk(learner as SparseMemoryLearner, fact, before, written) : undefined;
        const earlier = await withOwnAnswers(model, tok, fact, earlierFactsFor(fact, before, reviewLearnedOnly ? learned : undefined, teaching.reviewFacts, reviewSameRelation, risk), ownAnswerProb);
        const replay = knownReplay(fact, known, replayKnown, i);
        const report = await learner.teach(buildTeachingBatch(fact, tok, { context: model.cfg.context, ...teaching, ...earlier, replay }));
        ms += report.ms;
        params += report.paramsTouched;
        stepsTaken.set(report.steps, (stepsTaken.get(report.steps) ?? 0) + 1);
        if (report.reads && 'undo' in report) {
          let onWritten = 0;
          let total = 0;
          report.reads.slots.forEach((slot, j) => {
            total += report.reads!.counts[j];
            if (writes[slot] > 0) onWritten += report.reads!.counts[j];
          });
          readShareOnWritten.push(onWritten / Math.max(1, total));
          for (const slot of (report as SparseStepReport).undo.slots) writes[slot] = Math.min(65_535, writes[slot] + 1);
          written[i] = (report as SparseStepReport).undo.slots;
        }
        // Recall of this fact right after its own step: learning, before later facts can interfere.
        const [own] = await scoreFacts(model, tok, [fact]);
        immediate[i] = own.exactMatch;
        if (!own.exactMatch) immediateMisses.push({ fact: i, relation: fact.relation, object: fact.object, answer: own.answer });
        learned[i] = report.answered ?? immediate[i];
      } catch (error) {
        errors++;
        console.error(`\n  fact ${i + 1} (${fact.subject} / ${fact.relation}) failed: ${(error as Error).message}`);
      }
      const done = i + 1;
      const eta = ((Date.now() - runStart) / done) * (facts.length - done);
      process.stderr.write(`\r[${r + 1}/${runs.length}] ${learner.label}: fact ${done}/${facts.length}, ${(ms / done).toFixed(0)} ms/step, ETA ${(eta / 1000).toFixed(0)} s   `);
      if (done % 100 === 0 && done < facts.length) {
        const first = facts.slice(0, Math.min(100, facts.length));
        firstHundred.push({ facts: done, recall: summarize(await scoreFacts(model, tok, first)).exactMatch });
      }
      if (done % evalEvery === 0 && done < facts.length) {
        const recall = summarize(await scoreFacts(model, tok, facts.slice(0, done))).exactMatch;
        const retention = summarize(await scoreFacts(model, tok, retainedProbe(quickProbe, facts.slice(0, done)))).exactMatch;
        curve.push({ facts: done, recall, retention });
      }
    }
    process.stderr.write('\n');
    const after: EvalSnapshot = await evaluate(model, suite, facts);
    curve.push({ facts: facts.length, recall: after.recall.exactMatch, retention: after.retention.exactMatch });
    const endScores = await scoreFacts(model, tok, facts);
    // Two questions per relation as a person would type them (never trained on), for every fact.
    const personScores = await Promise.all(
      [0, 1].map((k) => scoreFacts(model, tok, facts, 64, (fact) => scoringParts(personWordings(fact.relation)[k], fact))),
    );
    const personHits = facts.map((_, j) => personScores.map((scores) => scores[j].exactMatch));
    const wear = readShareOnWritten.length > 0 ? await wearReport(model, ckpt, writes, readShareOnWritten) : undefined;
    const retained = retainedProbe(probe, facts);
    const retainedScores = await scoreFacts(model, tok, retained);
    const retentionByRelation = Object.fromEntries(
      RELATIONS.filter((rel) => retained.some((f) => f.relation === rel)).map((rel) => {
        const own = retainedScores.filter((_, j) => retained[j].relation === rel);
        return [rel, own.filter((x) => x.exactMatch).length / own.length];
      }),
    );
    const taughtSubjects = new Set(facts.map((f) => f.subject));
    const keptWhere = (edited: boolean) => {
      const own = retainedScores.filter((_, j) => taughtSubjects.has(retained[j].subject) === edited);
      return { facts: own.length, kept: own.filter((x) => x.exactMatch).length };
    };
    firstHundred.push({ facts: facts.length, recall: summarize(endScores.slice(0, 100)).exactMatch });
    const byRelation = (hits: readonly boolean[]) =>
      Object.fromEntries(
        RELATIONS.filter((rel) => facts.some((f) => f.relation === rel)).map((rel) => {
          const own = hits.filter((_, j) => facts[j].relation === rel);
          return [rel, own.filter(Boolean).length / own.length];
        }),
      );
    const result: RunResult = {
      name: learner.label,
      method: run.method,
      label: learner.label,
      settings: run.settings,
      recall: after.recall.exactMatch,
      recall_f1: after.recall.f1,
      retention_before: base.retention.exactMatch,
      retention_after: after.retention.exactMatch,
      retention_drop: relativeDrop(base.retention.exactMatch, after.retention.exactMatch),
      nll_before: base.nll!.mean,
      nll_after: after.nll!.mean,
      multiple_choice: after.multipleChoice,
      params_per_step: Math.round(params / Math.max(1, facts.length - errors)),
      ms_per_step: ms / Math.max(1, facts.length - errors),
      curve,
      errors,
      recall_by_relation: byRelation(endScores.map((x) => x.exactMatch)),
      recall_immediate: immediate.filter(Boolean).length / Math.max(1, immediate.filter((x) => x !== undefined).length),
      immediate_misses: immediateMisses,
      recall_immediate_by_relation: byRelation(facts.map((_, j) => immediate[j] ?? false)),
      first100_curve: firstHundred,
      retention_by_relation: retentionByRelation,
      retention_by_subject: { edited_subject: keptWhere(true), other: keptWhere(false) },
      recall_person_wordings: personHits.flat().filter(Boolean).length / Math.max(1, 2 * facts.length),
      recall_person_wordings_by_relation: byRelation(personHits.map((h) => h[0] && h[1])),
      wear,
      steps_per_fact: Object.fromEntries([...stepsTaken].sort((a, b) => a[0] - b[0])),
    };
    results.push(result);
    learner.dispose();
    model.dispose();
    console.log(`  ${result.label}: recall ${pct(result.recall)} (right after each step ${pct(result.recall_immediate!)}), retention ${pct(result.retention_after)} (drop ${pct(result.retention_drop)}), NLL ${result.nll_before.toFixed(3)} -> ${result.nll_after.toFixed(3)}, ${result.ms_per_step.toFixed(0)} ms/step`);
    console.log(`    by relation (end / right after its step): ${Object.entries(result.recall_by_relation!).map(([rel, v]) => `${rel} ${pct(v)}/${pct(result.recall_immediate_by_relation![rel])}`).join(', ')}`);
    console.log(`    retention by relation: ${Object.entries(result.retention_by_relation!).map(([rel, v]) => `${rel} ${pct(v)}`).join(', ')}`);
    const split = result.retention_by_subject!;
    console.log(`    retention of probe facts whose subject the stream taught: ${split.edited_subject.kept}/${split.edited_subject.facts}; of the others: ${split.other.kept}/${split.other.facts}`);
    console.log(`    person wordings: ${pct(result.recall_person_wordings!)} of fact x wording pairs; both answered by relation: ${Object.entries(result.recall_person_wordings_by_relation!).map(([rel, v]) => `${rel} ${pct(v)}`).join(', ')}`);
    if (result.wear) console.log(`    wear: ${JSON.stringify(result.wear)}`);
    console.log(`    first 100 facts over the stream: ${result.first100_curve!.map((p) => `${p.facts}: ${pct(p.recall)}`).join(', ')}; steps per fact ${JSON.stringify(result.steps_per_fact)}`);
    // Finished runs are saved as they complete, so a long sweep that is stopped keeps them.
    if (args.json) {
      mkdirSync(dirname(args.json), { recursive: true });
      writeFileSync(args.json, JSON.stringify(output(results), null, 2) + '\n');
    }
  }

  const out = output(results);
  printTable(results, out.base, device);
  printMatched(results);
  writeOutputs(out, `${facts.length} facts, ${out.source}`);
  console.log(`done in ${out.minutes.toFixed(1)} min`);
}

interface Wear {
  /** Rows written by 0, 1, 2-3, 4-9, 10+ facts. */
  rows_by_writes: Record<string, number>;
  /** Mean L2 norm of the rows in each group now, and of the same rows in the pretrained table. */
  mean_norm: Record<string, number>;
  mean_norm_pretrained: Record<string, number>;
  /** Mean share of a fact's reads on rows earlier facts wrote, over the stream's first and last 100 facts. */
  read_share_on_written_first100: number;
  read_share_on_written_last100: number;
}

async function wearReport(model: EngramModel, ckpt: Awaited<ReturnType<typeof loadCheckpoint>>, writes: Uint16Array, share: number[]): Promise<Wear> {
  const now = (await model.values!.data()) as Float32Array;
  const base = EngramModel.fromCheckpoint(ckpt);
  const pretrained = (await base.values!.data()) as Float32Array;
  base.dispose();
  const Dv = model.cfg.valueDim;
  const groups: [string, (w: number) => boolean][] = [['0', (w) => w === 0], ['1', (w) => w === 1], ['2-3', (w) => w >= 2 && w <= 3], ['4-9', (w) => w >= 4 && w <= 9], ['10+', (w) => w >= 10]];
  const rows: Record<string, number> = {};
  const norm: Record<string, number> = {};
  const normBase: Record<string, number> = {};
  for (const [name, member] of groups) {
    let n = 0, sum = 0, sumBase = 0;
    for (let r = 0; r < writes.length; r++) {
      if (!member(writes[r])) continue;
      let a = 0, b = 0;
      for (let d = 0; d < Dv; d++) {
        a += now[r * Dv + d] ** 2;
        b += pretrained[r * Dv + d] ** 2;
      }
      n++;
      sum += Math.sqrt(a);
      sumBase += Math.sqrt(b);
    }
    rows[name] = n;
    norm[name] = n ? +(sum / n).toFixed(3) : 0;
    normBase[name] = n ? +(sumBase / n).toFixed(3) : 0;
  }
  const mean = (xs: number[]) => +(xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length)).toFixed(4);
  return { rows_by_writes: rows, mean_norm: norm, mean_norm_pretrained: normBase, read_share_on_written_first100: mean(share.slice(0, 100)), read_share_on_written_last100: mean(share.slice(-100)) };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function printTable(results: RunResult[], base: BaseScores, device: string): void {
  console.log(`\n| method | recall EM | recall F1 | retention after | retention drop | NLL before -> after | multiple choice | params / step | ms / step |`);
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  console.log(`| base model (before teaching) | ${pct(base.recall)} | ${pct(base.recall_f1)} | ${pct(base.retention)} | - | ${base.nll.toFixed(3)} | ${base.multiple_choice === null ? '-' : pct(base.multiple_choice)} | - | - |`);
  for (const r of results) {
    console.log(
      `| ${r.label} | ${pct(r.recall)} | ${pct(r.recall_f1)} | ${pct(r.retention_after)} | ${pct(r.retention_drop)} | ${r.nll_before.toFixed(3)} -> ${r.nll_after.toFixed(3)} | ${r.multiple_choice === null ? '-' : pct(r.multiple_choice)} | ${r.params_per_step.toLocaleString('en-US')} | ${r.ms_per_step.toFixed(0)} |`,
    );
  }
  console.log(`(device: ${device})`);
}

/** For each family, the setting with the least forgetting among those that learn at least 90% as much as the best sparse run. */
function printMatched(results: RunResult[]): void {
  const sparse = results.filter((r) => r.method === 'sparse');
  if (sparse.length === 0) return;
  const target = Math.max(...sparse.map((r) => r.recall));
  console.log(`\nmatched learning (recall >= ${pct(0.9 * target)}, 90% of the best sparse run's ${pct(target)}):`);
  for (const method of [...new Set(results.map((r) => r.method))]) {
    const own = results.filter((r) => r.method === method);
    const matched = own.filter((r) => r.recall >= 0.9 * target).sort((a, b) => a.retention_drop - b.retention_drop)[0];
    if (matched) console.log(`  ${method.padEnd(14)} ${matched.label}: recall ${pct(matched.recall)}, retention drop ${pct(matched.retention_drop)}`);
    else {
      const best = own.sort((a, b) => b.recall - a.recall)[0];
      console.log(`  ${method.padEnd(14)} never reached it: best ${best.label} recall ${pct(best.recall)}, retention drop ${pct(best.retention_drop)}`);
    }
  }
}

function toCsv(results: RunResult[]): string {
  const cols = ['name', 'method', 'recall', 'recall_f1', 'retention_before', 'retention_after', 'retention_drop', 'nll_before', 'nll_after', 'multiple_choice', 'params_per_step', 'ms_per_step', 'errors'] as const;
  const quote = (v: unknown) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : String(v ?? ''));
  return [cols.join(','), ...results.map((r) => cols.map((c) => quote(r[c])).join(','))].join('\n') + '\n';
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
