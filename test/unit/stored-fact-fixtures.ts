/** Small taught-fact records for the storage tests: a table of N = 16 slots of Dv = 4 values. */
import type { TaughtFact } from '../../src/worker/taught-facts';

export const SHAPE = { slots: 16, valueDim: 4 } as const;

/**
 * A well-formed record; its rows are distinct per id so a mixed-up replay would show. It names fact id - 1 as
 * the one taught before it, as in a history without undos.
 */
export function makeFact(id: number, slots: number[] = [id % SHAPE.slots, (id + 5) % SHAPE.slots]): TaughtFact {
  const Dv = SHAPE.valueDim;
  const s = Int32Array.from(slots);
  const before = Float32Array.from({ length: s.length * Dv }, (_, i) => id * 100 + i);
  const after = Float32Array.from({ length: s.length * Dv }, (_, i) => -(id * 100 + i) - 0.5);
  return {
    id,
    prev: id - 1,
    fact: { subject: `Subject${id}`, relation: 'capital', object: `Object${id}` },
    origin: 'typed',
    before: { slots: s, rows: before },
    after: { slots: Int32Array.from(s), rows: after },
    step: { method: 'sparse', loss: 1.25, ms: 12, paramsTouched: s.length * Dv },
  };
}

/** The record as builds before `prev` wrote it: only the rows chain can tell whether facts before it are missing. */
export function withoutPrev(fact: TaughtFact): TaughtFact {
  const { prev: _prev, ...rest } = fact;
  return rest as TaughtFact;
}

/** A deep copy of a record with `edit` applied, as a loosely typed object (storage can hold anything). */
export function damage(fact: TaughtFact, edit: (record: Record<string, any>) => void): unknown {
  const record = structuredClone(fact) as unknown as Record<string, any>;
  edit(record);
  return record;
}

export const describeFact = (fact: TaughtFact['fact']): string => `${fact.subject} / ${fact.relation} / ${fact.object}`;

/**
 * The facts as one teaching history: each fact's `before` row of a slot an earlier fact wrote becomes that
 * fact's `after` row, as the engine records them (rows of slots nobody wrote before stay the "base" values).
 */
export function asHistory(facts: TaughtFact[]): TaughtFact[] {
  const Dv = SHAPE.valueDim;
  const last = new Map<number, Float32Array>();
  return [...facts]
    .sort((a, b) => a.id - b.id)
    .map((fact) => {
      const rows = Float32Array.from(fact.before.rows);
      fact.before.slots.forEach((slot, u) => {
        const earlier = last.get(slot);
        if (earlier) rows.set(earlier, u * Dv);
      });
      fact.after.slots.forEach((slot, u) => last.set(slot, fact.after.rows.slice(u * Dv, (u + 1) * Dv)));
      return { ...fact, before: { slots: fact.before.slots, rows } };
    });
}

/** The pretrained rows an honest history implies: each slot's row before its first write. */
export function baseOf(history: readonly TaughtFact[]): Map<number, Float32Array> {
  const Dv = SHAPE.valueDim;
  const base = new Map<number, Float32Array>();
  for (const fact of history) {
    fact.before.slots.forEach((slot, u) => {
      if (!base.has(slot)) base.set(slot, fact.before.rows.slice(u * Dv, (u + 1) * Dv));
    });
  }
  return base;
}
