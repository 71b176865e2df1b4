/**
 * Taught facts kept in IndexedDB across reloads (and across a lost GPU device): one record per fact with the
 * values its step left in the rows it wrote and their checksum, keyed by fact id, plus which checkpoint they
 * belong to. (Records of earlier builds also hold the rows the step overwrote; they are read and ignored.)
 * Records are written when a fact is taught or replayed and deleted when it is undone, so a reload never
 * rewrites the whole history. A failing database is reported, never fatal: the app keeps working in memory.
 */
import { rowsChecksum } from './rows-checksum';
import type { TaughtFact } from './taught-facts';

const DB_VERSION = 1;
const FACTS = 'facts';
const META = 'meta';

export interface StoredFacts {
  /** sha256 of the checkpoint the rows belong to. */
  readonly modelSha: string;
  /** As read back, unchecked: src/worker/stored-fact-check.ts decides which are safe to replay. */
  readonly facts: unknown[];
}

export class FactStore {
  private constructor(private readonly db: IDBDatabase) {}

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
    const modelSha = (await request(tx.objectStore(META).get('modelSha'))) as string | undefined;
    const facts = (await request(tx.objectStore(FACTS).getAll())) as unknown[];
    if (!modelSha && facts.length === 0) return null;
    return { modelSha: modelSha ?? '', facts };
  }

  async put(modelSha: string, facts: readonly TaughtFact[]): Promise<void> {
    const tx = this.db.transaction([FACTS, META], 'readwrite');
    tx.objectStore(META).put(modelSha, 'modelSha');
    for (const fact of facts) tx.objectStore(FACTS).put(plain(fact));
    await done(tx);
  }

  /** Takes any key so a damaged record (whose id may not be a number) can be removed too. */
  async delete(ids: readonly IDBValidKey[]): Promise<void> {
    const tx = this.db.transaction(FACTS, 'readwrite');
    for (const id of ids) tx.objectStore(FACTS).delete(id);
    await done(tx);
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction([FACTS, META], 'readwrite');
    tx.objectStore(FACTS).clear();
    tx.objectStore(META).clear();
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
