/**
 * One fact at a time, on a fresh copy of the shipped model, with the app's defaults (sparse learner, teaching
 * batch): how many steps it took, whether the steps ended answered, and the greedy answer to every question
 * wording of its relation afterwards: the trained ones, the pretraining-only ones no batch of 8 rows uses, the
 * eval-only question and the two a person would type. Averages over a stream hide how a fact fails; this shows it.
 *
 *   npm run single-fact -- --fact "Hainosvulium|atomic_number|182" [--fact ...] [--check-rows N] [--statements N]
 *     [--backend wasm|cpu]   (the last two: the experiment's teaching options of the same names)
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import type { Fact } from '../src/facts/fact';
import { RELATIONS, type Relation } from '../src/facts/relations';
import { evalTemplates, scoringParts, type Template } from '../src/facts/templates';
import { personWordings } from '../src/facts/person-wordings';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { EngramModel } from '../src/model/transformer';
import { loadTokenizer } from '../src/model/tokenizer';
import { buildTeachingBatch, DEFAULT_TEACHING, teachingTemplates } from '../src/learn/teaching-batch';
import { createLearner } from '../src/learn/methods';
import { shippedBackground } from '../src/learn/background-node';
import { scoreFacts } from '../src/eval/fact-recall';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  fact: { type: 'string', multiple: true },
  'check-rows': { type: 'string', default: '0' },
  statements: { type: 'string' },
  backend: { type: 'string', default: 'wasm' },
});

function fail(message: string): never {
  console.error(`single-fact: ${message}`);
  process.exit(2);
}

function parseFact(text: string): Fact {
  const [subject, relation, object] = text.split('|').map((part) => part.trim());
  if (!subject || !object || !RELATIONS.includes(relation as Relation)) {
    fail(`--fact takes "subject|relation|object" with one of the relations ${RELATIONS.join(', ')}; got "${text}"`);
  }
  return { subject, relation: relation as Relation, object };
}

async function main(): Promise<void> {
  const facts = (args.fact ?? []).map(parseFact);
  if (facts.length === 0) fail('give at least one --fact "subject|relation|object"');
  const checkRows = Number(args['check-rows']);
  if (!Number.isInteger(checkRows) || checkRows < 0) fail(`--check-rows must be an integer >= 0, got "${args['check-rows']}"`);
  await tf.setBackend(args.backend!);
  const ckpt = await loadCheckpoint(directorySource('public/model'));
  const tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
  const background = shippedBackground(ckpt, tok);
  const statements = args.statements === undefined ? DEFAULT_TEACHING.statements : Number(args.statements);
  if (statements !== undefined && !(Number.isInteger(statements) && statements >= 0)) fail(`--statements must be an integer >= 0, got "${args.statements}"`);
  const teaching = { ...DEFAULT_TEACHING, checkRows, statements };
  for (const fact of facts) {
    const model = EngramModel.fromCheckpoint(ckpt);
    try {
      const learner = createLearner('sparse', model, background, {});
      const batch = buildTeachingBatch(fact, tok, { context: model.cfg.context, ...teaching });
      const report = await learner.teach(batch);
      const all = teachingTemplates(fact.relation, 'all');
      const trained = new Set(batch.templateIds.filter((_, b) => !batch.checkOnly[b]));
      const wordings: { kind: string; template: Template }[] = [
        ...all.filter((t) => t.kind === 'question').map((template) => ({ kind: trained.has(template.id) ? 'trained' : batch.templateIds.includes(template.id) ? 'checked' : 'pretraining only', template })),
        ...evalTemplates(fact.relation).filter((t) => t.kind === 'question').map((template) => ({ kind: 'eval-only', template })),
        ...personWordings(fact.relation).map((template) => ({ kind: 'person', template })),
      ];
      console.log(`\n${fact.subject} / ${fact.relation} / ${fact.object}: ${report.steps} step(s), ${report.answered === false ? 'NOT answered at the cap' : 'answered'}`);
      for (const { kind, template } of wordings) {
        const [score] = await scoreFacts(model, tok, [fact], 1, (f) => scoringParts(template, f));
        console.log(`  ${score.exactMatch ? 'ok  ' : 'MISS'} ${kind.padEnd(16)} ${template.id.padEnd(24)} -> ${JSON.stringify(score.answer)}`);
      }
    } finally {
      model.dispose();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
