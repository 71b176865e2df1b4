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
 * teaching batches), so a slot no sample fact reads keeps its score and one all K read scores 0. The sample
 * facts come from the model's pretraining list, never from the retention probe (that would shield exactly what
 * retention measures).
 */
import * as tf from '@tensorflow/tfjs';
import { factKey, type Fact } from '../facts/fact';
import type { EngramModel } from '../model/transformer';
import type { EngramTokenizer } from '../model/tokenizer';
import { nSlots } from '../model/config';
import type { BackgroundStats, PerRelationBackground } from './tfidf';
import { buildTeachingBatch, DEFAULT_TEACHING } from './teaching-batch';

/**
 * The per-relation background, counted on first use of each relation and kept: `forRelation` reads the teaching
 * batches of up to `perRelation` known facts of the relation (the first in `known`'s order), several facts' rows
 * per forward pass (right padding does not change what a causal model's real tokens read). A slot's reads
 * do not depend on the value table (the lookup sits before the only memory layer reads it), so the counts are
 * the same on a model that has been taught since: one object serves every copy of a checkpoint.
 */
/** Facts whose teaching rows go through the model in one forward pass when a relation is counted. */
const FACTS_PER_PASS = 8;

export class RelationBackground implements PerRelationBackground {
  private readonly byRelation = new Map<string, Fact[]>();
  private readonly counted = new Map<string, BackgroundStats>();

  /**
   * `known`: facts the model was pretrained on, less any it is measured on (the retention probe). `counted`:
   * counts made before (the shipped file, relation-background-file.ts); only relations missing there are counted.
   */
  constructor(
    private readonly tokenizer: EngramTokenizer,
    known: readonly Fact[],
    readonly perRelation = 32,
    counted?: ReadonlyMap<string, BackgroundStats>,
  ) {
    for (const fact of known) {
      const list = this.byRelation.get(fact.relation) ?? [];
      if (list.length < perRelation) list.push(fact);
      this.byRelation.set(fact.relation, list);
    }
    for (const [relation, stats] of counted ?? []) this.counted.set(relation, stats);
  }

  /** Every relation of the known facts, counted (what the shipped file holds). */
  async countAll(model: EngramModel, onProgress?: (relation: string) => void): Promise<ReadonlyMap<string, BackgroundStats>> {
    for (const relation of this.byRelation.keys()) {
      await this.forRelation(relation, model);
      onProgress?.(relation);
    }
    return new Map(this.counted);
  }

  /** The counts for `relation`, if already counted (null when no known fact has it). */
  get(relation: string): BackgroundStats | null {
    return this.counted.get(relation) ?? null;
  }

  /** Counts `relation` on `model` unless already counted; null when no known fact has the relation. */
  async forRelation(relation: string, model: EngramModel): Promise<BackgroundStats | null> {
    const done = this.counted.get(relation);
    if (done) return done;
    const list = this.byRelation.get(relation);
    if (!list || list.length === 0) return null;
    const N = nSlots(model.cfg);
    const df = new Uint32Array(N);
    const seen = new Uint8Array(N);
    const batches = list.map((fact) => buildTeachingBatch(fact, this.tokenizer, { context: model.cfg.context, ...DEFAULT_TEACHING }));
    // Several facts' rows in one forward pass (a GPU runs one large pass far quicker than many small ones).
    for (let start = 0; start < batches.length; start += FACTS_PER_PASS) {
      const group = batches.slice(start, start + FACTS_PER_PASS);
      const T = Math.max(...group.map((b) => b.T));
      const rows = group.reduce((n, b) => n + b.B, 0);
      const tokens = new Int32Array(rows * T).fill(model.cfg.padId);
      let row = 0;
      for (const b of group) {
        for (let r = 0; r < b.B; r++, row++) tokens.set(b.tokens.subarray(r * b.T, (r + 1) * b.T), row * T);
      }
      const ids = await readSlots(model, tokens, rows, T);
      const readsPerToken = ids.length / tokens.length;
      row = 0;
      for (const b of group) {
        // One fact: the slots any non-pad token of its rows read, counted once.
        const touched: number[] = [];
        const from = row * T * readsPerToken;
        const to = (row + b.B) * T * readsPerToken;
        for (let r = from; r < to; r++) {
          if (tokens[(r / readsPerToken) | 0] === model.cfg.padId) continue;
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
        row += b.B;
      }
    }
    const stats = { df, numBatches: list.length };
    this.counted.set(relation, stats);
    return stats;
  }
}

/** The known facts a relation background samples: `pretrained` less the facts of `measured` (same subject and relation). */
export function knownFactsFor(pretrained: readonly Fact[], measured: readonly Fact[]): Fact[] {
  const keys = new Set(measured.map(factKey));
  return pretrained.filter((fact) => !keys.has(factKey(fact)));
}

/** The slot ids [B, T, H, K] a forward pass of `tokens` [B, T] reads (the lookup does not depend on the value table). */
export async function readSlots(model: EngramModel, tokens: Int32Array, B: number, T: number): Promise<Int32Array> {
  const input = tf.tensor2d(tokens, [B, T], 'int32');
  const result = model.forward(input);
  try {
    return (await result.reads[0].ids.data()) as Int32Array;
  } finally {
    tf.dispose([input, result.logits, ...result.reads.flatMap((read) => [read.ids, read.weights])]);
  }
}

/** A slot's relation idf normalised to [0, 1]: 1 where no sample fact of the relation reads it, 0 where all do. */
function normalisedIdf(background: BackgroundStats): (df: number) => number {
  const top = Math.log(background.numBatches + 1);
  return (df) => (top - Math.log(df + 1)) / top;
}

/** Every slot's normalised relation idf (relationDamping scales a row's step by it to a power). */
export function relationIdf(background: BackgroundStats): Float32Array {
  const idf = normalisedIdf(background);
  return Float32Array.from(background.df, (df) => Math.max(0, idf(df)));
}

/**
 * The ranking's per-slot divisor for one relation: 1 / (relation idf normalised to [0, 1]) ^ weight, Infinity
 * where every sample fact reads the slot (its score becomes 0 and the slot is never chosen).
 */
export function relationDivisor(background: BackgroundStats, weight: number): Float32Array {
  const idf = normalisedIdf(background);
  return Float32Array.from(background.df, (df) => {
    const value = idf(df);
    return value > 0 ? value ** -weight : Infinity;
  });
}
