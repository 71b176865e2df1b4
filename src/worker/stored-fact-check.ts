/**
 * Checks the taught facts read back from IndexedDB before any of their rows touch the model. Storage can hand
 * back anything: a record written by an older build, a half-written one, a disk or extension that damaged it.
 * Writing such rows would corrupt the memory table silently, so every record is checked against the model's
 * shape (N slots, Dv value width), the fields a fact needs, and the checksum of its rows.
 *
 * Dependency order: a fact's step read the table every earlier fact left, so the rows of every fact taught after
 * a damaged or missing one were computed on top of it. Replaying them without it would give a table no sequence
 * of teaching produced, and undoing them would write back rows that hold the damaged fact. Only the intact
 * prefix (the facts before the first damaged one) is therefore restored; the intact facts after it are held
 * back and named, so the person can teach them again. The same holds for a record whose named predecessor
 * (`prev`) is not the fact restored before it, which is how a failed save or an undo whose replayed facts were
 * not all saved shows: it and everything after it are held back.
 */
import { PACK_NAMES, type Fact } from '../facts/fact';
import { RELATIONS } from '../facts/relations';
import type { RowsSnapshot } from '../learn/sparse-learner';
import { rowsChecksum } from './rows-checksum';
import type { TaughtFact } from './taught-facts';

export interface TableShape {
  /** N, the memory slots. */
  readonly slots: number;
  /** Dv, the value width. */
  readonly valueDim: number;
}

export interface DamagedRecord {
  /** The record's id when it has a usable one. */
  readonly id: number | undefined;
  /** Its IndexedDB key (the raw `id` field, whatever it holds), to delete it by. */
  readonly key: unknown;
  /** The fact it taught, when that part is intact. */
  readonly fact?: Fact;
  readonly reason: string;
}

export interface StoredFactsCheck {
  /** Facts before the first damaged record, in teaching order: safe to replay. */
  readonly restored: TaughtFact[];
  readonly damaged: DamagedRecord[];
  /** Intact facts taught after a damaged one: not replayed (their rows were computed on top of it). */
  readonly heldBack: TaughtFact[];
}

const ORIGINS: readonly string[] = ['typed', 'import', ...PACK_NAMES];
const METHODS: readonly string[] = ['sparse', 'full', 'lora'];

/** Splits the stored records into the intact prefix, the damaged ones and the intact ones after a damaged one. */
export function checkStoredFacts(records: readonly unknown[], shape: TableShape): StoredFactsCheck {
  const checked = records.map((record) => ({ record, problem: problemWith(record, shape) }));
  // Records are keyed by id, so a damaged id cannot be ordered: it goes first and so holds back everything.
  const idOf = (record: unknown): number => (isRecord(record) && isId(record.id) ? record.id : 0);
  checked.sort((a, b) => idOf(a.record) - idOf(b.record));
  const restored: TaughtFact[] = [];
  const damaged: DamagedRecord[] = [];
  const heldBack: TaughtFact[] = [];
  for (const { record, problem } of checked) {
    const id = isRecord(record) && isId(record.id) ? record.id : undefined;
    const reason = problem ?? (damaged.length === 0 ? missingPredecessor(record as TaughtFact, restored.at(-1)) : null);
    if (reason !== null) damaged.push({ id, key: isRecord(record) ? record.id : undefined, reason, ...readableFact(record) });
    else if (damaged.length > 0) heldBack.push(record as TaughtFact);
    else restored.push(record as TaughtFact);
  }
  return { restored, damaged, heldBack };
}

/**
 * A record names the fact taught just before it (`prev`); the one restored before it must be that fact. When it
 * is not, a fact in between is missing: its save failed (the page said so at the time) or the page closed first.
 * Records written before `prev` existed have none and are not checked this way.
 */
function missingPredecessor(record: TaughtFact, previous: TaughtFact | undefined): string | null {
  if (record.prev === undefined) return null;
  const expected = previous?.id ?? 0;
  if (record.prev === expected) return null;
  if (record.prev === 0) return `it was the first fact taught, but fact #${expected} is stored before it`;
  return `fact #${record.prev}, taught just before it, is missing from storage (its save failed or the page closed first)`;
}

/** What is wrong with one stored record, or null when it is safe to replay. */
export function problemWith(record: unknown, shape: TableShape): string | null {
  if (!isRecord(record)) return `not a record (${describe(record)})`;
  if (!isId(record.id)) return `id ${describe(record.id)} is not a positive integer`;
  const factProblem = problemWithFact(record.fact);
  if (factProblem) return factProblem;
  if (record.prev !== undefined && !(Number.isInteger(record.prev) && (record.prev as number) >= 0 && (record.prev as number) < record.id)) {
    return `the fact before it is given as ${describe(record.prev)}, not an earlier id`;
  }
  if (typeof record.origin !== 'string' || !ORIGINS.includes(record.origin)) return `unknown origin ${describe(record.origin)}`;
  const after = rowsProblem('after', record.after, shape);
  if (after) return after;
  // Records of builds before the checksum have none; their rows pass on the checks above alone.
  if (record.checksum !== undefined) {
    if (!Number.isInteger(record.checksum) || (record.checksum as number) < 0 || (record.checksum as number) >= 2 ** 32) return `checksum ${describe(record.checksum)} is not a 32-bit number`;
    if (rowsChecksum(record.after as RowsSnapshot) !== record.checksum) return 'its rows do not match their checksum (they changed in storage)';
  }
  return stepProblem(record.step);
}

function problemWithFact(fact: unknown): string | null {
  if (!isRecord(fact)) return `fact is ${describe(fact)}`;
  for (const key of ['subject', 'object'] as const) {
    if (typeof fact[key] !== 'string' || (fact[key] as string).trim() === '') return `fact ${key} is ${describe(fact[key])}, not text`;
  }
  if (typeof fact.relation !== 'string' || !(RELATIONS as readonly string[]).includes(fact.relation)) return `unknown relation ${describe(fact.relation)}`;
  return null;
}

/** The fact a record taught, when that part is intact (whatever else is wrong with it). */
export function readableFact(record: unknown): { fact?: Fact } {
  if (!isRecord(record) || problemWithFact(record.fact) !== null) return {};
  const fact = record.fact as unknown as Fact;
  return { fact: { subject: fact.subject, relation: fact.relation, object: fact.object } };
}

function rowsProblem(name: string, snapshot: unknown, { slots: N, valueDim: Dv }: TableShape): string | null {
  if (!isRecord(snapshot)) return `${name} rows are ${describe(snapshot)}`;
  const { slots, rows } = snapshot;
  if (!(slots instanceof Int32Array)) return `${name} slots are ${describe(slots)}, expected an Int32Array`;
  if (!(rows instanceof Float32Array)) return `${name} rows are ${describe(rows)}, expected a Float32Array`;
  const seen = new Set<number>();
  for (const slot of slots) {
    if (slot < 0 || slot >= N) return `${name} names slot ${slot}; slots run from 0 to ${N - 1}`;
    if (seen.has(slot)) return `${name} names slot ${slot} twice`;
    seen.add(slot);
  }
  if (rows.length !== slots.length * Dv) return `${name} has ${rows.length} values for ${slots.length} slots, expected ${slots.length} x ${Dv} = ${slots.length * Dv}`;
  const bad = rows.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return `${name} value ${bad} is ${rows[bad]}`;
  return null;
}

function stepProblem(step: unknown): string | null {
  if (!isRecord(step)) return `step is ${describe(step)}`;
  if (typeof step.method !== 'string' || !METHODS.includes(step.method)) return `unknown step method ${describe(step.method)}`;
  // An imported fact has no loss (NaN), so only the type is checked.
  if (typeof step.loss !== 'number') return `step loss is ${describe(step.loss)}`;
  if (typeof step.ms !== 'number' || !(step.ms >= 0) || !Number.isFinite(step.ms)) return `step time is ${describe(step.ms)}`;
  if (!Number.isInteger(step.paramsTouched) || (step.paramsTouched as number) < 0) return `step parameter count is ${describe(step.paramsTouched)}`;
  if (step.answered !== undefined && typeof step.answered !== 'boolean') return `step answered flag is ${describe(step.answered)}`;
  return null;
}

/** The message for the person when some records were not restored, or null when all were. */
export function damagedFactsMessage(check: StoredFactsCheck, describeFact: (fact: Fact) => string): string | null {
  const { restored, damaged, heldBack } = check;
  if (damaged.length === 0) return null;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const first = damaged[0];
  let message = `${plural(damaged.length, 'stored taught fact')} ${damaged.length === 1 ? 'was' : 'were'} damaged and not restored (${first.id === undefined ? 'a record' : `fact #${first.id}`}: ${first.reason}${damaged.length > 1 ? '; and others' : ''}).`;
  message += restored.length > 0 ? ` Restored the ${plural(restored.length, 'fact')} taught before the first damaged one.` : ' No fact was taught before it, so none was restored.';
  if (heldBack.length > 0) {
    message += ` ${plural(heldBack.length, 'intact fact')} taught after it ${heldBack.length === 1 ? 'was' : 'were'} learned on top of the damaged one, so ${heldBack.length === 1 ? 'it was' : 'they were'} not restored either.`;
  }
  // Named in teaching order, damaged ones too where their text survived, so the person knows what to teach again.
  const lost = [...damaged.map((d) => ({ id: d.id ?? 0, fact: d.fact })), ...heldBack.map((e) => ({ id: e.id, fact: e.fact }))]
    .filter((entry): entry is { id: number; fact: Fact } => entry.fact !== undefined)
    .sort((a, b) => a.id - b.id);
  if (lost.length > 0) {
    const shown = lost.slice(0, 5).map((entry) => `"${describeFact(entry.fact)}"`);
    const more = lost.length > shown.length ? ` and ${lost.length - shown.length} more` : '';
    message += ` Not restored: ${shown.join(', ')}${more}.`;
  }
  message += ' The records not restored were removed from storage so they cannot mix with facts you teach next.';
  return message;
}

export const DAMAGED_FACTS_REMEDY =
  'Teach again any fact that was not restored if you want it (the facts list shows those that were). To keep what was restored, export it as a patch file; to start clean, press Reset.';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number') return String(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
