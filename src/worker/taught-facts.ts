/**
 * The taught facts of the main (sparse) model, in teaching order, each with the values its step left in the rows
 * it wrote (`after`). The page, the Node soak (scripts/soak.ts) and the tests all keep this one log. The rows a
 * step overwrote are not kept: they are the `after` rows of the last earlier fact that wrote each slot, or the
 * pretrained row where none did, so keeping them too would double the memory and storage a fact costs
 * (2 x t x Dv x 4 bytes: 1 MB at t 1000) for nothing. The list is enough to:
 *  - undo any fact exactly: put back, in every slot this fact or a later one wrote, the row the table held just
 *    before this fact (the table is then bit-identical to that moment), then teach the later facts again (a step
 *    is a pure function of the table and the fact, so the result is bit-identical to never having taught it;
 *    test/unit/taught-facts.test.ts). The ablations with learner state (AdamW moments, a stream background) would
 *    replay with today's state, so there it would be close but not bitwise; the page runs only `sparse`;
 *  - rebuild the table after a reload or a lost GPU device: the last `after` row of every written slot;
 *  - export a patch of some facts: their `after` rows.
 */
import type { Fact } from '../facts/fact';
import { writeRows, type RowsSnapshot } from '../learn/sparse-learner';
import { DEFAULT_TEACHING, earlierFactsFor, type EarlierFacts } from '../learn/teaching-batch';
import type { EngramModel } from '../model/transformer';
import { ownedCopy } from './learning-step';
import type { EngineEvent, StepSummary, TaughtFactSummary } from './protocol';

export interface TaughtFact {
  readonly id: number;
  /**
   * The id of the fact taught just before this one in the history (0 for the first). Stored with the record, so
   * a reload notices a fact whose save failed even when no later fact shares a slot with it.
   */
  prev: number;
  readonly fact: Fact;
  readonly origin: TaughtFactSummary['origin'];
  after: RowsSnapshot;
  step: StepSummary;
  recalled?: boolean;
  logprob?: number;
  /** The greedy answer to the eval-only question, as of the last evaluation. */
  answer?: string;
}

/** Teaches a later fact again during an undo (a learning step, or re-applying an imported patch's rows). */
export type Reteach = (entry: TaughtFact) => Promise<{ after: RowsSnapshot; step: StepSummary }>;

/** The pretrained table's rows of `slots`, [slots, Dv]. */
export type ReadBaseRows = (slots: Int32Array) => Promise<Float32Array>;

export class TaughtFacts {
  private readonly list: TaughtFact[] = [];
  private nextId = 1;

  /** `reviewCount`: how many earlier learned facts of other subjects each step reviews (earlierFactsFor). */
  constructor(private readonly reviewCount: number = DEFAULT_TEACHING.reviewFacts) {}

  get entries(): readonly TaughtFact[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  find(id: number): TaughtFact | undefined {
    return this.list.find((entry) => entry.id === id);
  }

  /**
   * The earlier facts a step of `fact` teaches again (earlierFactsFor: the same subject's, and a few learned
   * others): those before `before` in the list, or before the end. An undo's replay of a later fact therefore
   * teaches again exactly what it would have had the undone fact never been taught (the replayed facts' own
   * steps, and so their answered flags, are redone in order first). A fact whose step has no answered flag (an
   * import, a record of an older build) counts as learned.
   */
  earlierFor(fact: Fact, before?: TaughtFact): EarlierFacts {
    const end = before ? this.list.indexOf(before) : this.list.length;
    const earlier = this.list.slice(0, end < 0 ? this.list.length : end);
    return earlierFactsFor(
      fact,
      earlier.map((entry) => entry.fact),
      earlier.map((entry) => entry.step.answered ?? true),
      this.reviewCount,
    );
  }

  /**
   * The rows each taught fact before `before` (all of them if absent) wrote, one list per fact: what the learner's
   * written-row counts are made of (SparseMemoryLearner.countWritten).
   */
  writtenBefore(before?: TaughtFact): { subject: string; slots: Int32Array }[] {
    const end = before ? this.list.indexOf(before) : this.list.length;
    return this.list.slice(0, end < 0 ? this.list.length : end).map((entry) => ({ subject: entry.fact.subject, slots: entry.after.slots }));
  }

  /** The taught fact with the same subject, relation and object, if any. */
  findSame(fact: Fact): TaughtFact | undefined {
    return this.list.find((e) => e.fact.subject === fact.subject && e.fact.relation === fact.relation && e.fact.object === fact.object);
  }

  add(entry: Omit<TaughtFact, 'id' | 'prev'> & { id?: number }): TaughtFact {
    const id = entry.id ?? this.nextId;
    this.nextId = Math.max(this.nextId, id + 1);
    // Field by field: a record read from storage may carry more (the overwritten rows older builds kept).
    const { fact, origin, after, step, recalled, logprob, answer } = entry;
    const full: TaughtFact = { id, prev: this.list.at(-1)?.id ?? 0, fact, origin, after, step, recalled, logprob, answer };
    this.list.push(full);
    return full;
  }

  /**
   * Undoes fact `id` on `model`, all or nothing. Returns the later facts that were replayed (their rows changed,
   * and the first one's `prev`), so the caller can persist them. Throws if the fact is unknown; if putting the
   * rows back or teaching a later fact again throws, the list (its order and every entry's rows, step and
   * `prev`) and the value table are put back as they were before the call, and the error is rethrown.
   *
   * The table is kept aside whole (one device copy, disposed after): a replayed step may write slots no fact
   * wrote before, and a step that throws may already have written part of its rows, so the rows an undo will
   * touch are not known before it runs.
   */
  async undo(model: EngramModel, id: number, reteach: Reteach, readBaseRows: ReadBaseRows): Promise<TaughtFact[]> {
    const index = this.list.findIndex((entry) => entry.id === id);
    if (index < 0) throw new Error(`no taught fact with id ${id}`);
    const list = this.list.map((entry) => ({ entry, prev: entry.prev, after: entry.after, step: entry.step }));
    const table = ownedCopy(model.values!);
    try {
      const rewind = await this.rowsBefore(index, model.cfg.valueDim, readBaseRows);
      writeRows(model, rewind.slots, rewind.rows);
      const later = this.list.slice(index + 1);
      this.list.splice(index, 1);
      if (later.length > 0) later[0].prev = index > 0 ? this.list[index - 1].id : 0;
      for (const entry of later) {
        const again = await reteach(entry);
        entry.after = again.after;
        entry.step = again.step;
      }
      table.dispose();
      return later;
    } catch (error) {
      this.list.splice(0, this.list.length, ...list.map(({ entry }) => entry));
      for (const { entry, prev, after, step } of list) Object.assign(entry, { prev, after, step });
      model.values!.dispose();
      model.values = table;
      throw error;
    }
  }

  /**
   * What the table held, just before the fact at `index` was taught, in every slot that fact or a later one
   * wrote: the `after` row of the last earlier fact that wrote the slot, else the pretrained row.
   */
  async rowsBefore(index: number, Dv: number, readBaseRows: ReadBaseRows): Promise<RowsSnapshot> {
    const written = new Set<number>();
    for (let j = index; j < this.list.length; j++) for (const slot of this.list[j].after.slots) written.add(slot);
    const slots = Int32Array.from(written).sort();
    const rows = new Float32Array(slots.length * Dv);
    const position = new Map(Array.from(slots, (slot, u) => [slot, u]));
    const fromEarlier = new Set<number>();
    for (let j = index - 1; j >= 0 && fromEarlier.size < slots.length; j--) {
      const { slots: theirs, rows: theirRows } = this.list[j].after;
      theirs.forEach((slot, v) => {
        const u = position.get(slot);
        if (u === undefined || fromEarlier.has(slot)) return;
        rows.set(theirRows.subarray(v * Dv, (v + 1) * Dv), u * Dv);
        fromEarlier.add(slot);
      });
    }
    const fromBase = slots.filter((slot) => !fromEarlier.has(slot));
    if (fromBase.length > 0) {
      const base = await readBaseRows(fromBase);
      fromBase.forEach((slot, b) => rows.set(base.subarray(b * Dv, (b + 1) * Dv), position.get(slot)! * Dv));
    }
    return { slots, rows };
  }

  /**
   * The table the facts left, from the base table: every written slot's last `after` row, in one write (a write
   * per fact would copy the whole table once per fact on the reference path).
   */
  replayRows(model: EngramModel): void {
    const { slots, rows } = this.lastRows(model.cfg.valueDim);
    writeRows(model, slots, rows);
  }

  /** Every slot any fact wrote, with the row the last of them left. */
  lastRows(Dv: number): RowsSnapshot {
    const last = new Map<number, Float32Array>();
    for (const { after } of this.list) after.slots.forEach((slot, u) => last.set(slot, after.rows.subarray(u * Dv, (u + 1) * Dv)));
    const slots = Int32Array.from(last.keys()).sort();
    const rows = new Float32Array(slots.length * Dv);
    slots.forEach((slot, u) => rows.set(last.get(slot)!, u * Dv));
    return { slots, rows };
  }

  clear(): void {
    this.list.length = 0;
  }

  /** slot -> ids of the facts whose steps wrote it. */
  changedSlots(): Map<number, number[]> {
    const map = new Map<number, number[]>();
    for (const entry of this.list) {
      for (const slot of entry.after.slots) {
        const ids = map.get(slot);
        if (ids) ids.push(entry.id);
        else map.set(slot, [entry.id]);
      }
    }
    return map;
  }

  /** The page's facts list and every slot changed so far. */
  factsEvent(): Extract<EngineEvent, { type: 'facts' }> {
    const changed = Int32Array.from(this.changedSlots().keys());
    return { type: 'facts', facts: this.list.map((e) => this.summary(e)), changedSlots: changed };
  }

  summary(entry: TaughtFact): TaughtFactSummary {
    return {
      id: entry.id,
      fact: entry.fact,
      origin: entry.origin,
      recalled: entry.recalled,
      logprob: entry.logprob,
      answer: entry.answer,
      rows: entry.after.slots.length,
      ms: entry.step.ms,
    };
  }
}

export function describeFact(fact: Fact): string {
  return `${fact.subject} · ${fact.relation.replace(/_/g, ' ')} · ${fact.object}`;
}
