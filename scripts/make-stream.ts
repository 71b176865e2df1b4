/**
 * A stream of facts the model has never seen, for tuning and checking the learning method on data that is
 * not in the shipped packs: invented countries, people, cities and elements over all 13 relations, plus a
 * share of counterfactual edits of pretrained facts. Each seed gives a different stream (different names,
 * objects and order), so a setting can be judged across streams instead of on one.
 *
 *   npx tsx scripts/make-stream.ts --n 1000 --seed 7 [--counterfactual 0.15] --out build/streams/s7.jsonl
 *
 * Invented names come from the data build's syllable generator, checked against every subject and object of
 * the knowledge base and the packs (lower-cased words), so none is a name the model was trained on.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Fact } from '../src/facts/fact';
import { RELATIONS, type Relation } from '../src/facts/relations';
import { InventedNames } from './data/invented-names';
import { createRng, pick, randomInt, shuffled } from './data/rng';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  n: { type: 'string', default: '1000' },
  seed: { type: 'string', default: '1' },
  counterfactual: { type: 'string', default: '0.15' },
  out: { type: 'string' },
});

const readJsonl = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Fact);
const kb = readJsonl('public/data/kb.jsonl');
const packs = ['counterfactual', 'invented', 'real-unseen'].flatMap((p) => readJsonl(`public/data/packs/${p}.jsonl`));

const n = Number(args.n);
const share = Number(args.counterfactual);
if (!Number.isInteger(n) || n < 1) throw new Error(`--n must be a positive integer, got ${args.n}`);
if (!(share >= 0 && share <= 1)) throw new Error(`--counterfactual must be between 0 and 1, got ${args.counterfactual}`);

const seed = `stream-${args.seed}`;
const rng = createRng(seed, 'facts');
const forbidden = new Set([...kb, ...packs].flatMap((f) => `${f.subject} ${f.object}`.toLowerCase().split(/[^a-z]+/)).filter(Boolean));
const names = new InventedNames(createRng(seed, 'names'), forbidden);
const objects = (relation: Relation) => kb.filter((f) => f.relation === relation).map((f) => f.object);
const distinct = (relation: Relation) => [...new Set(objects(relation))];

/** One invented entity's facts, by kind; objects other than invented names are real values of the relation. */
const entityFacts: (() => Fact[])[] = [
  () => {
    const country = names.word('country');
    return [
      { subject: country, relation: 'capital', object: names.word('city') },
      { subject: country, relation: 'continent', object: pick(rng, distinct('continent')) },
      { subject: country, relation: 'currency', object: pick(rng, objects('currency')) },
      { subject: country, relation: 'language', object: pick(rng, objects('language')) },
      { subject: country, relation: 'calling_code', object: `+${randomInt(rng, 200, 999)}` },
      { subject: country, relation: 'independence_year', object: String(randomInt(rng, 1800, 2000)) },
    ];
  },
  () => {
    const person = names.person();
    return [
      { subject: person, relation: 'birth_year', object: String(randomInt(rng, 1700, 1990)) },
      { subject: person, relation: 'nationality', object: pick(rng, objects('nationality')) },
      { subject: person, relation: 'occupation', object: pick(rng, objects('occupation')) },
    ];
  },
  () => [{ subject: names.word('city'), relation: 'city_country', object: pick(rng, distinct('city_country')) }],
  () => {
    const element = `${names.word('city')}ium`;
    const symbol = element.slice(0, 1) + element.slice(1).replace(/[aeiou]/g, '').slice(0, 1);
    return [
      { subject: element, relation: 'element_symbol', object: symbol },
      { subject: element, relation: 'atomic_number', object: String(randomInt(rng, 119, 200)) },
      { subject: element, relation: 'element_category', object: pick(rng, distinct('element_category')) },
    ];
  },
];

/** A counterfactual edit: a pretrained fact with another object of the same relation. */
function counterfactual(used: Set<string>): Fact {
  for (;;) {
    const original = pick(rng, kb);
    const key = `${original.subject}\t${original.relation}`;
    const alternatives = distinct(original.relation).filter((o) => o !== original.object);
    if (used.has(key) || alternatives.length === 0) continue;
    used.add(key);
    return { subject: original.subject, relation: original.relation, object: pick(rng, alternatives) };
  }
}

const invented: Fact[] = [];
const wantInvented = n - Math.round(n * share);
while (invented.length < wantInvented) invented.push(...pick(rng, entityFacts)());
const used = new Set<string>();
const edits = Array.from({ length: n - wantInvented }, () => counterfactual(used));
const stream = shuffled(rng, [...invented.slice(0, wantInvented), ...edits]);

const lines = stream.map((f) => JSON.stringify({ subject: f.subject, relation: f.relation, object: f.object })).join('\n') + '\n';
if (args.out) {
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, lines);
  const counts = Object.fromEntries(RELATIONS.map((r) => [r, stream.filter((f) => f.relation === r).length]));
  console.error(`wrote ${stream.length} facts to ${args.out} (${edits.length} counterfactual): ${JSON.stringify(counts)}`);
} else process.stdout.write(lines);
