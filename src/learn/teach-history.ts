/**
 * The taught facts of one sparse-memory model, in order, each with the rows its step overwrote, so that any
 * fact can be undone exactly, as if it had never been taught.
 *
 * Undoing the latest fact restores its rows. Undoing an earlier one rewinds: later facts' snapshots are
 * restored newest first (each restores exactly what its step overwrote, so after the rewind the table is
 * bit-identical to the moment before the undone fact), then the later facts are taught again in order. The
 * result is bit-identical to never having taught the undone fact, because a step is a pure function of the
 * table and the fact (SGD, pretraining background). The ablations with learner state (AdamW moments, a
 * stream background) replay with today's state, so there the result is close but not bitwise.
 */
import type { Fact } from '../facts/fact';
import type { TeachingBatch } from './teaching-batch';
import type { SparseMemoryLearner, SparseStepReport } from './sparse-learner';

export interface TaughtFact {
  /** Stable id, unique within this history (never reused after an undo). */
  readonly id: number;
  readonly fact: Fact;
  readonly report: SparseStepReport;
}

export class TeachHistory {
  private list: TaughtFact[] = [];
  private nextId = 1;

  constructor(
    private readonly learner: SparseMemoryLearner,
    private readonly batchFor: (fact: Fact) => TeachingBatch,
  ) {}

  get entries(): readonly TaughtFact[] {
    return this.list;
  }

  async teach(fact: Fact): Promise<TaughtFact> {
    const report = await this.learner.teach(this.batchFor(fact));
    const entry = { id: this.nextId++, fact, report };
    this.list.push(entry);
    return entry;
  }

  /** Undo one fact; returns how many later facts were taught again. */
  async undo(id: number): Promise<{ replayed: number }> {
    const at = this.list.findIndex((e) => e.id === id);
    if (at < 0) throw new Error(`no taught fact with id ${id} (it may have been undone already)`);
    const later = this.list.slice(at + 1);
    for (let i = this.list.length - 1; i >= at; i--) this.learner.restore(this.list[i].report.undo);
    this.list = this.list.slice(0, at);
    for (const entry of later) {
      const report = await this.learner.teach(this.batchFor(entry.fact));
      this.list.push({ id: entry.id, fact: entry.fact, report });
    }
    return { replayed: later.length };
  }

  /** Back to the model before any fact (every snapshot restored, newest first). */
  reset(): void {
    for (let i = this.list.length - 1; i >= 0; i--) this.learner.restore(this.list[i].report.undo);
    this.list = [];
  }

  /** Every slot some taught fact changed, with the ids of the facts that changed it (oldest first). */
  changedSlots(): Map<number, number[]> {
    const bySlot = new Map<number, number[]>();
    for (const entry of this.list) {
      for (const slot of entry.report.undo.slots) {
        const ids = bySlot.get(slot);
        if (ids) ids.push(entry.id);
        else bySlot.set(slot, [entry.id]);
      }
    }
    return bySlot;
  }
}
