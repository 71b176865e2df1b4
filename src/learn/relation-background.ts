/**
 * A second background for TF-IDF ranking: how often each memory slot is read by the teaching batches of facts
 * the model already knows, one count per relation. The pretraining background (tfidf.ts) down-weights slots
 * that ordinary text reads everywhere; this one down-weights slots that every fact of the SAME relation reads
 * (the rows behind "the capital of ... is"), so a new fact's update lands on rows its own subject and object
 * read rather than on rows every other fact of its relation shares.
 *
 *   score(i) = tfidf(i) x (log((K + 1) / (dfRel(i) + 1)) / log(K + 1)) ^ weight
 *
 * dfRel(i) = how many of the relation's K sample facts read slot i at least once (non-pad tokens of their
 * teaching batches), so a slot no sample fact reads keeps its score and one all K read scores 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { Fact } from '../facts/fact';
import type { EngramModel } from '../model/transformer';
import type { EngramTokenizer } from '../model/tokenizer';
import { nSlots } from '../model/config';
import type { BackgroundStats } from './tfidf';
import { buildTeachingBatch, DEFAULT_TEACHING } from './teaching-batch';

/** df per relation: one BackgroundStats (numBatches = K sample facts) for each relation sampled. */
export type RelationBackground = ReadonlyMap<string, BackgroundStats>;

/**
 * Counts, for up to `perRelation` known facts of each relation (the first ones in `facts`' order), which slots
 * their teaching batches read. One forward pass per fact; `onProgress(done, total)` after each.
 */
export async function relationBackground(
  model: EngramModel,
  tokenizer: EngramTokenizer,
  facts: readonly Fact[],
  perRelation = 32,
  onProgress?: (done: number, total: number) => void,
): Promise<RelationBackground> {
  const byRelation = new Map<string, Fact[]>();
  for (const fact of facts) {
    const list = byRelation.get(fact.relation) ?? [];
    if (list.length < perRelation) list.push(fact);
    byRelation.set(fact.relation, list);
  }
  const total = [...byRelation.values()].reduce((n, list) => n + list.length, 0);
  const N = nSlots(model.cfg);
  const seen = new Uint8Array(N);
  const out = new Map<string, BackgroundStats>();
  let done = 0;
  for (const [relation, list] of byRelation) {
    const df = new Uint32Array(N);
    for (const fact of list) {
      const batch = buildTeachingBatch(fact, tokenizer, { context: model.cfg.context, ...DEFAULT_TEACHING });
      const ids = await readSlots(model, batch.tokens, batch.B, batch.T);
      const readsPerToken = ids.length / batch.tokens.length;
      const touched: number[] = [];
      for (let r = 0; r < ids.length; r++) {
        if (batch.tokens[(r / readsPerToken) | 0] === model.cfg.padId) continue;
        const slot = ids[r];
        if (slot >= 0 && slot < N && !seen[slot]) {
          seen[slot] = 1;
          touched.push(slot);
        }
      }
      for (const slot of touched) {
        df[slot]++;
        seen[slot] = 0;
      }
      onProgress?.(++done, total);
    }
    out.set(relation, { df, numBatches: list.length });
  }
  return out;
}

async function readSlots(model: EngramModel, tokens: Int32Array, B: number, T: number): Promise<Int32Array> {
  const input = tf.tensor2d(tokens, [B, T], 'int32');
  const result = model.forward(input);
  try {
    return (await result.reads[0].ids.data()) as Int32Array;
  } finally {
    tf.dispose([input, result.logits, ...result.reads.flatMap((read) => [read.ids, read.weights])]);
  }
}

/**
 * The ranking's per-slot divisor for one relation: 1 / (relation idf normalised to [0, 1]) ^ weight, Infinity
 * where every sample fact reads the slot (its score becomes 0 and the slot is never chosen).
 */
export function relationDivisor(background: BackgroundStats, weight: number): Float32Array {
  const K = background.numBatches;
  const top = Math.log(K + 1);
  return Float32Array.from(background.df, (df) => {
    const idf = (top - Math.log(df + 1)) / top;
    return idf > 0 ? idf ** -weight : Infinity;
  });
}
