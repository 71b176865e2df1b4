/**
 * Tokenize the pretraining mix for train/pretrain.py: runs the same deterministic data build as `npm run data`
 * (scripts/data/build.ts, DEFAULT_OPTIONS), checks that its tokenizer is the shipped public/model/tokenizer.json,
 * and writes token ids (no text) to build/train/data/ (format in train/data.py).
 *
 *   npx tsx train/prepare-data.ts [--out build/train/data] [--max-per-relation N] [--extra-questions | --more-questions]
 *     [--repeat-relation birth_year=3] [--whole-numbers] [--number-facts]
 *
 * Facts are the knowledge base's (optionally capped per relation, deterministically by a hash of the subject,
 * so exposures per fact stay high); the list of pretrained facts is also written to
 * public/model/pretrained-facts.jsonl, which evaluation and the retention probe read.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildData } from '../scripts/data/build';
import { DEFAULT_OPTIONS } from '../scripts/data/options';
import type { Fact, KbFact } from '../src/facts/fact';
import { RELATIONS } from '../src/facts/relations';
import { evalTemplates, scoringParts, trainTemplates, renderTemplate } from '../src/facts/templates';
import { EOS_ID, PAD_ID, loadTokenizer } from '../src/model/tokenizer';
import { inventedNumberFacts } from '../scripts/data/number-facts';
import { extraQuestionTemplates, pretrainQuestionTemplates } from '../src/facts/extra-questions';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const out = arg('--out', 'build/train/data');
const maxPerRelation = Number(arg('--max-per-relation', '0'));
const extraQuestions = args.includes('--extra-questions');
// --more-questions: the extra questions and five more per relation that only pretraining uses (phase 3)
const moreQuestions = args.includes('--more-questions');
// --repeat-relation R=K: every rendering of relation R's facts K times (a continued-pretraining phase aimed at one
// relation: phase 4 repeats birth year, whose new question wordings would otherwise be seen a few times each)
const repeats = new Map<string, number>();
for (let i = args.indexOf('--repeat-relation'); i >= 0; i = args.indexOf('--repeat-relation', i + 1)) {
  const m = /^([a-z_]+)=(\d+)$/.exec(args[i + 1] ?? '');
  if (!m || !(RELATIONS as readonly string[]).includes(m[1]) || Number(m[2]) < 1) throw new Error(`--repeat-relation wants RELATION=K (K >= 1), got "${args[i + 1]}"`);
  repeats.set(m[1], Number(m[2]));
}

// --whole-numbers: the tokenizer with numbers of one to three digits as one token each (a candidate model's data,
// before the shipped tokenizer has them; its tokenizer.json is written beside the data)
const wholeNumbers = args.includes('--whole-numbers');
const options = wholeNumbers ? { ...DEFAULT_OPTIONS, wholeNumbers: true } : DEFAULT_OPTIONS;

// --number-facts: invented facts answered by every number 1-999 (scripts/data/number-facts.ts), rendered with the
// relation's templates once each; not listed as pretrained facts and without an evaluation item
const numberFacts = args.includes('--number-facts');

const t0 = Date.now();
const build = buildData(options);
console.log(`data build: ${build.kb.length} KB facts, ${build.pretrainDocs.length} text docs, ${build.heldoutDocs.length} held-out docs (${((Date.now() - t0) / 1000).toFixed(0)} s)`);

const shipped = 'public/model/tokenizer.json';
if (wholeNumbers !== DEFAULT_OPTIONS.wholeNumbers) {
  console.warn(`--whole-numbers: not checked against ${shipped}, which the default data build trains`);
} else if (existsSync(shipped)) {
  const a = JSON.stringify(JSON.parse(readFileSync(shipped, 'utf8')));
  const b = JSON.stringify(build.tokenizer);
  if (a !== b) throw new Error(`${shipped} differs from the tokenizer the data build trains; run \`npm run data\` first`);
} else {
  console.warn(`${shipped} is missing; using the tokenizer from the in-memory data build`);
}
const tok = loadTokenizer(build.tokenizer);

// --- which facts are pretrained
const rank = (f: KbFact) => createHash('sha256').update(`pretrain-subset/${f.relation}/${f.subject}`).digest().readUInt32BE(0);
const facts: KbFact[] = [];
for (const relation of RELATIONS) {
  let rel = build.kb.filter((f) => f.relation === relation);
  if (maxPerRelation > 0 && rel.length > maxPerRelation) {
    const keep = new Set([...rel].sort((x, y) => rank(x) - rank(y)).slice(0, maxPerRelation));
    rel = rel.filter((f) => keep.has(f));
  }
  facts.push(...rel);
}

function numberFactsFor(): Fact[] {
  const words = (texts: readonly string[]) => texts.flatMap((t) => t.toLowerCase().split(/[^a-z]+/)).filter(Boolean);
  const packs = ['counterfactual', 'invented', 'real-unseen'].flatMap((p) => readFileSync(`public/data/packs/${p}.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as KbFact));
  return inventedNumberFacts(new Set(words([...build.kb, ...packs].flatMap((f) => [f.subject, f.object]).concat(build.forbiddenNames))));
}

/** The wordings a fact is rendered with: the training templates, and the extra questions when asked for. */
function renderedTemplates(relation: Fact['relation']) {
  const extra = moreQuestions ? pretrainQuestionTemplates(relation) : extraQuestions ? extraQuestionTemplates(relation) : [];
  return [...trainTemplates(relation), ...extra];
}

// --- renderings with the training templates (4 statements + the training question)
const factTokens: number[] = [];
const factIndex: number[] = [];
const templateIds: string[] = [];
const evalPrompts = new Set<string>();
facts.forEach((fact, fi) => {
  for (const t of evalTemplates(fact.relation)) evalPrompts.add(scoringParts(t, fact).prompt);
  for (const t of renderedTemplates(fact.relation)) {
    if (evalPrompts.has(scoringParts(t, fact).prompt)) throw new Error(`training template ${t.id} renders an eval-only prompt for ${fact.subject}`);
    let ti = templateIds.indexOf(t.id);
    if (ti < 0) ti = templateIds.push(t.id) - 1;
    const ids = tok.encode(renderTemplate(t, fact));
    for (let r = 0; r < (repeats.get(fact.relation) ?? 1); r++) factIndex.push(factTokens.length, ids.length, fi, ti);
    factTokens.push(...ids);
  }
});
// invented number facts: rendered once each, fact index -1 (no evaluation item, not a pretrained fact)
const numberFactList = numberFacts ? numberFactsFor() : [];
for (const fact of numberFactList) {
  for (const t of renderedTemplates(fact.relation)) {
    const ids = tok.encode(renderTemplate(t, fact));
    factIndex.push(factTokens.length, ids.length, -1, templateIds.indexOf(t.id));
    factTokens.push(...ids);
  }
}

// --- evaluation items: prompt / answer ids; questions must be followed by <|endoftext|> (the model stops)
let boundaryMismatch = 0;
const item = (templateText: ReturnType<typeof trainTemplates>[number], fact: KbFact, isQuestion: boolean) => {
  const parts = scoringParts(templateText, fact);
  const prompt = tok.encode(parts.prompt);
  const answer = tok.encode(parts.answer);
  const joint = tok.encode(parts.prompt + parts.answer);
  if (joint.join() !== [...prompt, ...answer].join()) boundaryMismatch++;
  return { prompt, answer: isQuestion ? [...answer, EOS_ID] : answer };
};
const evals = facts.map((fact) => {
  const [sEval, qEval] = evalTemplates(fact.relation);
  const qTrain = trainTemplates(fact.relation).find((t) => t.kind === 'question')!;
  return {
    subject: fact.subject,
    relation: fact.relation,
    object: fact.object,
    q_eval: item(qEval, fact, true),
    s_eval: item(sEval, fact, false),
    q_train: item(qTrain, fact, true),
  };
});

// --- general text: every document followed by <|endoftext|>
function encodeDocs(texts: readonly string[]): Uint16Array {
  const ids: number[] = [];
  for (const text of texts) {
    for (const id of tok.encode(text)) ids.push(id);
    ids.push(EOS_ID);
  }
  return Uint16Array.from(ids);
}
const t1 = Date.now();
const text = encodeDocs(build.pretrainDocs.map((d) => d.text));
const domains = [...new Set(build.heldoutDocs.map((d) => d.domain))].sort();
const heldout = Object.fromEntries(domains.map((dom) => [dom, encodeDocs(build.heldoutDocs.filter((d) => d.domain === dom).map((d) => d.text))]));
console.log(`tokenized ${text.length} training text tokens in ${((Date.now() - t1) / 1000).toFixed(0)} s`);

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'facts.bin'), Buffer.from(Int32Array.from(factTokens).buffer));
writeFileSync(join(out, 'facts-index.bin'), Buffer.from(Int32Array.from(factIndex).buffer));
writeFileSync(join(out, 'text-train.bin'), Buffer.from(text.buffer));
for (const [dom, ids] of Object.entries(heldout)) writeFileSync(join(out, `heldout-${dom}.bin`), Buffer.from(ids.buffer));
writeFileSync(join(out, 'eval.json'), JSON.stringify(evals));
const perRelation = Object.fromEntries(RELATIONS.map((r) => [r, facts.filter((f) => f.relation === r).length]));
const meta = {
  vocab_size: tok.vocabSize,
  pad_id: PAD_ID,
  eot_id: EOS_ID,
  facts: facts.length,
  kb_facts: build.kb.length,
  facts_per_relation: perRelation,
  max_per_relation: maxPerRelation,
  extra_questions: extraQuestions || moreQuestions,
  more_questions: moreQuestions,
  repeat_relation: Object.fromEntries(repeats),
  number_facts: numberFactList.length,
  facts_file: 'pretrained-facts.jsonl',
  renderings: factIndex.length / 4,
  fact_tokens: factTokens.length,
  templates: templateIds,
  text_tokens: text.length,
  heldout_domains: domains,
  heldout_tokens: Object.fromEntries(Object.entries(heldout).map(([d, ids]) => [d, ids.length])),
  prompt_answer_boundary_mismatches: boundaryMismatch,
  tokenizer_sha256: createHash('sha256').update(JSON.stringify(build.tokenizer)).digest('hex'),
  data_options: DEFAULT_OPTIONS,
};
writeFileSync(join(out, 'meta.json'), JSON.stringify(meta, null, 1));
// the exact tokenizer these ids come from; export.py checks it against public/model/tokenizer.json
writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(build.tokenizer));
mkdirSync('public/model', { recursive: true });
writeFileSync(
  'public/model/pretrained-facts.jsonl',
  facts.map((f) => JSON.stringify({ subject: f.subject, relation: f.relation, object: f.object })).join('\n') + '\n',
);
console.log(JSON.stringify({ ...meta, data_options: undefined }, null, 1));
