/** Small taught-fact records for the storage tests: a table of N = 16 slots of Dv = 4 values. */
import type { StoredFact } from '../../src/worker/fact-store';
import { rowsChecksum } from '../../src/worker/rows-checksum';
import type { TaughtFact } from '../../src/worker/taught-facts';

export const SHAPE = { slots: 16, valueDim: 4 } as const;

/**
 * A well-formed record as FactStore writes it (with the checksum of its rows); its rows are distinct per id so a
 * mixed-up replay would show. It names fact id - 1 as the one taught before it, as in a history without undos.
 */
export function makeFact(id: number, slots: number[] = [id % SHAPE.slots, (id + 5) % SHAPE.slots]): StoredFact {
  const Dv = SHAPE.valueDim;
  const after = { slots: Int32Array.from(slots), rows: Float32Array.from({ length: slots.length * Dv }, (_, i) => -(id * 100 + i) - 0.5) };
  return {
    id,
    prev: id - 1,
    fact: { subject: `Subject${id}`, relation: 'capital', object: `Object${id}` },
    origin: 'typed',
    after,
    checksum: rowsChecksum(after),
    step: { method: 'sparse', loss: 1.25, ms: 12, paramsTouched: slots.length * Dv },
  };
}

/**
 * The record as the build before `prev` and the checksum wrote it: with the rows its step overwrote too, which
 * are read and ignored now.
 */
export function legacyRecord(fact: StoredFact): Record<string, unknown> {
  const { prev: _prev, checksum: _checksum, ...rest } = fact;
  return { ...rest, before: { slots: Int32Array.from(fact.after.slots), rows: fact.after.rows.map((v) => v + 1000) } };
}

/** A deep copy of a record with `edit` applied, as a loosely typed object (storage can hold anything). */
export function damage(fact: StoredFact, edit: (record: Record<string, any>) => void): unknown {
  const record = structuredClone(fact) as unknown as Record<string, any>;
  edit(record);
  return record;
}

export const describeFact = (fact: TaughtFact['fact']): string => `${fact.subject} / ${fact.relation} / ${fact.object}`;
