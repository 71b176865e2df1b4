/**
 * The taught facts of the main (sparse) model, in teaching order, each with the rows its step overwrote
 * (`before`) and the values it left (`after`). That is enough to:
 *  - undo any fact exactly, as src/learn/teach-history.ts does: restore every later fact's `before` newest
 *    first, then this fact's, so the table is bit-identical to the moment before it was taught, then replay the
 *    later facts (a step is a pure function of the table and the fact, so the result is bit-identical to never
 *    having taught it). TeachHistory itself cannot be used here: it keeps no `after` rows and cannot be
 *    rebuilt from storage after a reload;
 *  - rebuild the table after a reload or a lost GPU device: write every fact's `after` rows in order;
 *  - export a patch of some facts: their `after` rows.
 */
import type { Fact } from '../facts/fact';
import { restoreRows, writeRows, type RowsSnapshot } from '../learn/sparse-learner';
import type { EngramModel } from '../model/transformer';
import type { StepSummary, TaughtFactSummary } from './protocol';

export interface TaughtFact {
  readonly id: number;
  /**
   * The id of the fact taught just before this one in the history (0 for the first). Stored with the record, so
   * a reload notices a fact whose save failed even when no later fact shares a slot with it.
   */
  prev: number;
  readonly fact: Fact;
  readonly origin: TaughtFactSummary['origin'];
  before: RowsSnapshot;
  after: RowsSnapshot;
  step: StepSummary;
  recalled?: boolean;
  logprob?: number;
}

/** Teaches a later fact again during an undo (a learning step, or re-applying an imported patch's rows). */
export type Reteach = (entry: TaughtFact) => Promise<{ before: RowsSnapshot; after: RowsSnapshot; step: StepSummary }>;

export class TaughtFacts {
  private readonly list: TaughtFact[] = [];
  private nextId = 1;

  get entries(): readonly TaughtFact[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  find(id: number): TaughtFact | undefined {
    return this.list.find((entry) => entry.id === id);
  }

  add(entry: Omit<TaughtFact, 'id' | 'prev'> & { id?: number }): TaughtFact {
    const id = entry.id ?? this.nextId;
    this.nextId = Math.max(this.nextId, id + 1);
    const full: TaughtFact = { ...entry, id, prev: this.list.at(-1)?.id ?? 0 };
    this.list.push(full);
    return full;
  }

  /**
   * Undoes fact `id` on `model`. Returns the later facts that were replayed (their rows changed, and the first
   * one's `prev`), so the caller can persist them. Throws if the fact is unknown.
   */
  async undo(model: EngramModel, id: number, reteach: Reteach): Promise<TaughtFact[]> {
    const index = this.list.findIndex((entry) => entry.id === id);
    if (index < 0) throw new Error(`no taught fact with id ${id}`);
    const later = this.list.slice(index + 1);
    for (let j = this.list.length - 1; j >= index; j--) restoreRows(model, this.list[j].before);
    this.list.splice(index, 1);
    if (later.length > 0) later[0].prev = index > 0 ? this.list[index - 1].id : 0;
    for (const entry of later) {
      const again = await reteach(entry);
      entry.before = again.before;
      entry.after = again.after;
      entry.step = again.step;
    }
    return later;
  }

  /** Writes every fact's rows in teaching order: the table the facts left, from the base table. */
  replayRows(model: EngramModel): void {
    for (const entry of this.list) writeRows(model, entry.after.slots, entry.after.rows);
  }

  clear(): void {
    this.list.length = 0;
  }

  /** slot -> ids of the facts whose steps wrote it. */
  changedSlots(): Map<number, number[]> {
    const map = new Map<number, number[]>();
    for (const entry of this.list) {
      for (const slot of entry.before.slots) {
        const ids = map.get(slot);
        if (ids) ids.push(entry.id);
        else map.set(slot, [entry.id]);
      }
    }
    return map;
  }

  summary(entry: TaughtFact): TaughtFactSummary {
    return {
      id: entry.id,
      fact: entry.fact,
      origin: entry.origin,
      recalled: entry.recalled,
      logprob: entry.logprob,
      rows: entry.before.slots.length,
      ms: entry.step.ms,
    };
  }
}
