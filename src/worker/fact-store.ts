/**
 * Taught facts kept in IndexedDB across reloads (and across a lost GPU device): one record per fact with the
 * values its step left in the rows it wrote and their checksum, keyed by fact id, plus which checkpoint they
 * belong to. (Records of earlier builds also hold the rows the step overwrote; they are read and ignored.)
 * Records are written when a fact is taught or replayed and deleted when it is undone, so a reload never
 * rewrites the whole history. A failing database is reported, never fatal: the app keeps working in memory.
 *
 * Nothing is overwritten silently, even when two pages write at once (src/worker/store-lock.ts normally lets
 * only one write): a new fact is added with add(), so an id another page already used fails the save with a
 * StoreConflictError instead of replacing that page's fact, and a replayed fact (undo) replaces only the record
 * of the same fact. Besides the records, the meta store keeps:
 *  - `pending`: the fact being taught now, written before its step and removed in the transaction that saves
 *    it, so a page closed or crashed in between is noticed on the next load and the fact named;
 *  - `earlier`: the text of facts taught to an earlier checkpoint (their rows only fit that one), kept so the
 *    person can teach them again on this one.
 */
import type { Fact } from '../facts/fact';
import { rowsChecksum } from './rows-checksum';
import type { TaughtFact } from './taught-facts';

const DB_VERSION = 1;
const FACTS = 'facts';
const META = 'meta';

/** A fact taught to another checkpoint, kept as text only. */
export interface EarlierFact {
  readonly fact: Fact;
  readonly origin: TaughtFact['origin'];
  /** sha256 of the checkpoint it was taught to. */
  readonly modelSha: string;
}

/** The fact whose step was running (and whose record was not yet saved) when the page last wrote. */
export interface PendingFact {
  readonly fact: Fact;
  readonly origin: TaughtFact['origin'];
}

export interface StoredFacts {
  /** sha256 of the checkpoint the rows belong to. */
  readonly modelSha: string;
  /** As read back, unchecked: src/worker/stored-fact-check.ts decides which are safe to replay. */
  readonly facts: unknown[];
  readonly earlier?: readonly EarlierFact[];
  readonly pending?: PendingFact;
}

/** A save refused because another page stored a different fact under the same id. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(readonly id: number) {
    super(`another tab of this app saved a different fact as fact #${id}`);
  }
}

/** What one transaction writes; every part is optional. */
export interface StoreWrite {
  /** New facts: added, never replacing a record (an id in use fails the whole write). */
  readonly add?: readonly TaughtFact[];
  /** Facts taught again (after an undo): each replaces only the record of the same fact. */
  readonly replace?: readonly TaughtFact[];
  readonly remove?: readonly IDBValidKey[];
  /** The list of earlier-checkpoint facts still to teach again, when it changes. */
  readonly earlier?: readonly EarlierFact[];
}

export class FactStore {
  private constructor(private readonly db: IDBDatabase) {
    // A newer build upgrading the database asks this connection to close rather than waiting on it forever.
    db.onversionchange = () => db.close();
  }

  static async open(name = 'engram'): Promise<FactStore> {
    const db = await request(
      (() => {
        const open = indexedDB.open(name, DB_VERSION);
        open.onupgradeneeded = () => {
          open.result.createObjectStore(FACTS, { keyPath: 'id' });
          open.result.createObjectStore(META);
        };
        return open;
      })(),
    );
    return new FactStore(db);
  }

  /** The stored records in key order (ids grow with teaching order), or null when nothing is stored. */
  async load(): Promise<StoredFacts | null> {
    const tx = this.db.transaction([FACTS, META], 'readonly');
    const meta = tx.objectStore(META);
    const [modelSha, facts, earlier, pending] = await Promise.all([
      request(meta.get('modelSha')) as Promise<string | undefined>,
      request(tx.objectStore(FACTS).getAll()) as Promise<unknown[]>,
      request(meta.get('earlier')) as Promise<EarlierFact[] | undefined>,
      request(meta.get('pending')) as Promise<PendingFact | undefined>,
    ]);
    if (!modelSha && facts.length === 0 && !earlier?.length && !pending) return null;
    return { modelSha: modelSha ?? '', facts, ...(earlier?.length ? { earlier } : {}), ...(pending ? { pending } : {}) };
  }

  /** Saves newly taught facts (see StoreWrite.add). */
  add(modelSha: string, facts: readonly TaughtFact[]): Promise<void> {
    return this.write(modelSha, { add: facts });
  }

  /**
   * One transaction: new facts added, replayed facts replaced, undone ones removed, the pending marker cleared.
   * Rejects with StoreConflictError (and writes nothing) when an id belongs to another fact.
   */
  async write(modelSha: string, change: StoreWrite): Promise<void> {
    const tx = this.db.transaction([FACTS, META], 'readwrite');
    const facts = tx.objectStore(FACTS);
    const meta = tx.objectStore(META);
    let conflict: StoreConflictError | null = null;
    const refuse = (id: number) => {
      conflict ??= new StoreConflictError(id);
      tx.abort();
    };
    meta.put(modelSha, 'modelSha');
    meta.delete('pending');
    if (change.earlier) meta.put([...change.earlier], 'earlier');
    for (const key of change.remove ?? []) facts.delete(key);
    for (const fact of change.add ?? []) {
      const add = facts.add(plain(fact));
      add.onerror = (event) => {
        if (add.error?.name !== 'ConstraintError') return;
        event.preventDefault();
        refuse(fact.id);
      };
    }
    for (const fact of change.replace ?? []) {
      const get = facts.get(fact.id);
      get.onsuccess = () => {
        if (conflict) return;
        const existing = get.result as Partial<TaughtFact> | undefined;
        if (existing && !sameFact(existing.fact, fact.fact)) refuse(fact.id);
        else facts.put(plain(fact));
      };
    }
    try {
      await done(tx);
    } catch (error) {
      throw conflict ?? error;
    }
  }

  /** Notes the fact about to be taught, so a page that closes before saving it leaves its name behind. */
  async markPending(pending: PendingFact): Promise<void> {
    const tx = this.db.transaction(META, 'readwrite');
    tx.objectStore(META).put({ fact: pending.fact, origin: pending.origin }, 'pending');
    await done(tx);
  }

  async clearPending(): Promise<void> {
    const tx = this.db.transaction(META, 'readwrite');
    tx.objectStore(META).delete('pending');
    await done(tx);
  }

  /**
   * The facts stored for another checkpoint become text to teach again (appended to any kept before), in one
   * transaction: their records go, the store is marked as this checkpoint's. Returns the whole earlier list.
   */
  async keepAsEarlier(modelSha: string, readable: readonly EarlierFact[]): Promise<EarlierFact[]> {
    const tx = this.db.transaction([FACTS, META], 'readwrite');
    const meta = tx.objectStore(META);
    let earlier: EarlierFact[] = [];
    const get = meta.get('earlier');
    get.onsuccess = () => {
      earlier = [...((get.result as EarlierFact[] | undefined) ?? []), ...readable];
      meta.put(earlier, 'earlier');
    };
    tx.objectStore(FACTS).clear();
    meta.put(modelSha, 'modelSha');
    await done(tx);
    return earlier;
  }

  /** Takes any key so a damaged record (whose id may not be a number) can be removed too. */
  async delete(ids: readonly IDBValidKey[]): Promise<void> {
    const tx = this.db.transaction(FACTS, 'readwrite');
    for (const id of ids) tx.objectStore(FACTS).delete(id);
    await done(tx);
  }

  /** Forgets the taught facts (Reset); facts kept from an earlier checkpoint stay on offer. */
  async clear(): Promise<void> {
    const tx = this.db.transaction([FACTS, META], 'readwrite');
    tx.objectStore(FACTS).clear();
    tx.objectStore(META).delete('modelSha');
    tx.objectStore(META).delete('pending');
    await done(tx);
  }

  close(): void {
    this.db.close();
  }
}

/** What one stored record holds: a taught fact and the checksum of its rows (src/worker/rows-checksum.ts). */
export type StoredFact = Pick<TaughtFact, 'id' | 'prev' | 'fact' | 'origin' | 'after' | 'step'> & { checksum: number };

/** Only the fields worth keeping (structured clone would copy any extra the entry picks up). */
function plain(fact: TaughtFact): StoredFact {
  return { id: fact.id, prev: fact.prev, fact: fact.fact, origin: fact.origin, after: fact.after, checksum: rowsChecksum(fact.after), step: fact.step };
}

function sameFact(a: Partial<Fact> | undefined, b: Fact): boolean {
  return a?.subject === b.subject && a?.relation === b.relation && a?.object === b.object;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction was aborted (storage full?)'));
  });
}
