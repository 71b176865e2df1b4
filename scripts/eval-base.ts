/**
 * Base-model quality (what README's "Model" section reports), computed by the TypeScript model that users run:
 *   - held-out language-model loss (nats/token) per text domain (public/data/heldout.jsonl, windows of
 *     `context` tokens);
 *   - exact match answering the eval-only question template over the pretrained facts
 *     (public/model/pretrained-facts.jsonl), per relation, with the memory values and with them zeroed;
 *   - memory usage on the held-out text: share of the N slots read at least once, and the share of all reads
 *     taken by the top 1% of slots.
 * With --write-probe FILE it also writes the retention probe (item 6): facts answered correctly, stratified by
 * relation, never in a teach pack, with their baseline scores.
 *
 *   npm run eval:base -- [--json FILE] [--write-probe FILE] [--backend wasm|cpu] [--max-facts N] [--heldout-tokens N]
 */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '../src/gpu/wasm-kernel-fixes';
import { RELATIONS, RELATION_INFO, type Relation } from '../src/facts/relations';
import { evalTemplates, scoringParts } from '../src/facts/templates';
import type { Fact } from '../src/facts/fact';
import { loadCheckpoint } from '../src/model/checkpoint';
import { directorySource } from '../src/model/checkpoint-node';
import { nSlots } from '../src/model/config';
import { scoreAnswers, type AnswerItem } from '../src/model/answers';
import { loadTokenizer } from '../src/model/tokenizer';
import { EngramModel, disposeForward, padBatch } from '../src/model/transformer';

const argv = process.argv.slice(2);
const opt = (name: string, fallback?: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const backend = opt('--backend', 'wasm')!;
const jsonOut = opt('--json');
const probeOut = opt('--write-probe');
const maxFacts = Number(opt('--max-facts', '0'));
const heldoutTokens = Number(opt('--heldout-tokens', '16384'));
const modelDir = opt('--model', 'public/model')!;
const PROBE_PER_RELATION = Number(opt('--probe-per-relation', '40'));

async function main() {
  await tf.setBackend(backend);
  await tf.ready();
  const t0 = Date.now();
  const ckpt = await loadCheckpoint(directorySource(modelDir), {
    onProgress: (loaded, total, file) => process.stderr.write(`\rloading ${file}: ${(loaded / 1e6).toFixed(1)} / ${((total ?? 0) / 1e6).toFixed(1)} MB`),
  });
  process.stderr.write('\n');
  const model = EngramModel.fromCheckpoint(ckpt);
  const tok = loadTokenizer(readFileSync(`${modelDir}/tokenizer.json`, 'utf8'));
  const cfg = model.cfg;
  console.log(`backend ${tf.getBackend()}; model d=${cfg.dModel} layers=${cfg.nLayers} memory at ${cfg.memoryLayers} (N=${nSlots(cfg)}, H=${cfg.memHeads}, K=${cfg.topk}, Dv=${cfg.valueDim}); dense FFN at [${cfg.ffnLayers}]`);

  // --- exact match on the eval-only question over the pretrained facts
  let facts = readFileSync(`${modelDir}/pretrained-facts.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Fact);
  if (maxFacts > 0) facts = facts.filter((_, i) => i % Math.ceil(facts.length / maxFacts) === 0);
  const items: AnswerItem[] = facts.map((f) => {
    const q = evalTemplates(f.relation).find((t) => t.kind === 'question')!;
    const parts = scoringParts(q, f);
    return { prompt: tok.encode(parts.prompt), answer: [...tok.encode(parts.answer), tok.eosId] };
  });
  const withMem = await scoreAnswers(model, items, { batchSize: 64 });
  const zeroed = await scoreAnswers(model, items, { batchSize: 64, zeroMemory: true });
  const byRel: Record<string, { n: number; em: number; emZeroed: number }> = {};
  facts.forEach((f, i) => {
    const r = (byRel[f.relation] ??= { n: 0, em: 0, emZeroed: 0 });
    r.n++;
    r.em += withMem[i].hit ? 1 : 0;
    r.emZeroed += zeroed[i].hit ? 1 : 0;
  });
  const rate = (hits: { hit: boolean }[], keep: (f: Fact) => boolean) => {
    const idx = facts.map((f, i) => [f, i] as const).filter(([f]) => keep(f));
    return idx.reduce((a, [, i]) => a + (hits[i].hit ? 1 : 0), 0) / Math.max(1, idx.length);
  };
  const nonGuess = (f: Fact) => !RELATION_INFO[f.relation].categorical;
  const em = rate(withMem, () => true);
  const emZero = rate(zeroed, () => true);
  console.log(`\nexact match, eval-only question, ${facts.length} pretrained facts: ${pct(em)} (memory zeroed: ${pct(emZero)})`);
  console.log(`  non-guessable relations: ${pct(rate(withMem, nonGuess))} (memory zeroed: ${pct(rate(zeroed, nonGuess))})`);
  for (const r of RELATIONS) {
    const s = byRel[r];
    if (s) console.log(`  ${r.padEnd(18)} n=${String(s.n).padStart(4)}  EM ${pct(s.em / s.n)}  zeroed ${pct(s.emZeroed / s.n)}${RELATION_INFO[r].categorical ? '  (categorical)' : ''}`);
  }

  // --- held-out NLL per domain and memory usage on the same text
  const docs = readFileSync('public/data/heldout.jsonl', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { domain: string; text: string });
  const domains = [...new Set(docs.map((d) => d.domain))].sort();
  const N = nSlots(cfg);
  const counts = new Float64Array(N);
  const heldoutNll: Record<string, number> = {};
  for (const dom of domains) {
    const stream: number[] = [];
    for (const d of docs.filter((x) => x.domain === dom)) {
      stream.push(...tok.encode(d.text), tok.eosId);
      if (stream.length >= heldoutTokens) break;
    }
    const ids = stream.slice(0, heldoutTokens);
    heldoutNll[dom] = await nll(model, ids, counts);
  }
  let read = 0;
  let total = 0;
  for (const c of counts) {
    if (c > 0) read++;
    total += c;
  }
  const sorted = Float64Array.from(counts).sort().reverse();
  let top = 0;
  for (let i = 0; i < Math.ceil(N / 100); i++) top += sorted[i];
  console.log(`\nheld-out loss (nats/token, up to ${heldoutTokens} tokens per domain, windows of ${cfg.context}):`);
  for (const d of domains) console.log(`  ${d.padEnd(16)} ${heldoutNll[d].toFixed(4)}`);
  console.log(`memory usage on that text: ${pct(read / N)} of ${N} slots read at least once; top 1% of slots take ${pct(top / total)} of ${total} reads`);

  // --- retention probe
  let probeSize = 0;
  if (probeOut) {
    const taught = new Set<string>();
    const packDir = 'public/data/packs';
    if (existsSync(packDir)) {
      for (const f of readdirSync(packDir).filter((x) => x.endsWith('.jsonl'))) {
        for (const l of readFileSync(`${packDir}/${f}`, 'utf8').split('\n').filter(Boolean)) {
          const p = JSON.parse(l) as Fact;
          taught.add(`${p.relation}\u0000${p.subject}`);
        }
      }
    }
    const probe: object[] = [];
    for (const r of RELATIONS) {
      const correct = facts
        .map((f, i) => ({ f, i }))
        .filter(({ f, i }) => f.relation === r && withMem[i].hit && !taught.has(`${f.relation}\u0000${f.subject}`));
      // deterministic spread over the relation: every k-th correct fact
      const step = Math.max(1, correct.length / PROBE_PER_RELATION);
      for (let j = 0; j < Math.min(PROBE_PER_RELATION, correct.length); j++) {
        const { f, i } = correct[Math.floor(j * step)];
        probe.push({
          subject: f.subject,
          relation: f.relation as Relation,
          object: f.object,
          template: evalTemplates(f.relation).find((t) => t.kind === 'question')!.id,
          baseline: { exact_match: 1, answer_logprob: round(withMem[i].logprob, 4), exact_match_memory_zeroed: zeroed[i].hit ? 1 : 0 },
        });
      }
    }
    writeFileSync(probeOut, probe.map((p) => JSON.stringify(p)).join('\n') + '\n');
    probeSize = probe.length;
    console.log(`\nretention probe: ${probe.length} facts written to ${probeOut}`);
  } else if (existsSync('public/data/retention-probe.jsonl')) {
    probeSize = readFileSync('public/data/retention-probe.jsonl', 'utf8').split('\n').filter(Boolean).length;
  }

  const report = {
    retention_probe_size: probeSize,
    qa_exact_match: round(em, 4),
    qa_exact_match_memory_zeroed: round(emZero, 4),
    qa_exact_match_non_guessable: round(rate(withMem, nonGuess), 4),
    qa_exact_match_non_guessable_memory_zeroed: round(rate(zeroed, nonGuess), 4),
    qa_exact_match_by_relation: Object.fromEntries(Object.entries(byRel).map(([r, s]) => [r, { n: s.n, em: round(s.em / s.n, 4), em_memory_zeroed: round(s.emZeroed / s.n, 4) }])),
    qa_facts: facts.length,
    slot_usage: round(read / N, 4),
    top1pct_read_share: round(top / total, 4),
    heldout_nll: Object.fromEntries(Object.entries(heldoutNll).map(([d, v]) => [d, round(v, 4)])),
    heldout_tokens_per_domain: heldoutTokens,
    backend: tf.getBackend(),
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  if (jsonOut) {
    writeFileSync(jsonOut, JSON.stringify(report, null, 1) + '\n');
    console.log(`wrote ${jsonOut}`);
  }
  console.log(`(${report.seconds} s)`);
  model.dispose();
}

/** Mean next-token NLL over `ids` cut into context-sized windows (targets inside each window); adds every
 * non-pad token's reads (all memory layers, heads) to `counts`. */
async function nll(model: EngramModel, ids: number[], counts: Float64Array): Promise<number> {
  const T = model.cfg.context;
  const windows: number[][] = [];
  for (let s = 0; s + 1 < ids.length; s += T) windows.push(ids.slice(s, s + T));
  let sum = 0;
  let n = 0;
  for (let i = 0; i < windows.length; i += 16) {
    const chunk = windows.slice(i, i + 16);
    const { tokens, B, T: L } = padBatch(chunk, model.cfg.padId);
    const input = tf.tensor2d(tokens, [B, L], 'int32');
    const result = model.forward(input);
    const logp = tf.tidy(() => tf.logSoftmax(result.logits, -1));
    const lp = (await logp.data()) as Float32Array;
    const V = model.cfg.vocabSize;
    chunk.forEach((w, b) => {
      for (let t = 0; t + 1 < w.length; t++) {
        sum -= lp[(b * L + t) * V + w[t + 1]];
        n++;
      }
    });
    for (const r of await model.nonPadReads(result, tokens)) for (const id of r.ids) counts[id]++;
    tf.dispose([input, logp]);
    disposeForward(result);
  }
  return sum / n;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
