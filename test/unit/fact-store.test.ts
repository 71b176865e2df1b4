import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { FactStore, StoreConflictError } from '../../src/worker/fact-store';
import { loadStoredFacts, storageFailure } from '../../src/worker/stored-facts-loader';
import type { TaughtFact } from '../../src/worker/taught-facts';
import { damage, describeFact, legacyRecord, makeFact, SHAPE } from './stored-fact-fixtures';
import { TaughtFacts } from '../../src/worker/taught-facts';

const SHA = 'a'.repeat(64);
let dbCount = 0;
const open: FactStore[] = [];

async function freshStore(): Promise<{ store: FactStore; name: string }> {
  const name = `engram-test-${++dbCount}`;
  const store = await FactStore.open(name);
  open.push(store);
  return { store, name };
}

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

/** Writes records as they are, past FactStore.add's typing, as a damaged disk or an older build could. */
async function writeRaw(name: string, records: unknown[]): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('facts', 'readwrite');
    for (const record of records) tx.objectStore('facts').put(record);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

function sourceOf(store: FactStore) {
  return { load: () => store.load(), delete: (keys: readonly IDBValidKey[]) => store.delete(keys), keepAsEarlier: store.keepAsEarlier.bind(store), clearPending: () => store.clearPending() };
}

function idsOf(facts: readonly unknown[]): unknown[] {
  return facts.map((f) => (f as { id: unknown }).id);
}

describe('FactStore', () => {
  it('gives back exactly what was put: typed arrays, values, fields, checkpoint sha', async () => {
    const { store } = await freshStore();
    expect(await store.load()).toBeNull();
    const facts = [makeFact(2), makeFact(1), makeFact(3)];
    // An entry picks up measurements in memory; they are not stored.
    const measured = { ...makeFact(4), recalled: true, logprob: -0.5 };
    await store.add(SHA, [...facts, measured]);
    const loaded = await store.load();
    expect(loaded!.modelSha).toBe(SHA);
    const byId = new Map(loaded!.facts.map((f) => [(f as TaughtFact).id, f as TaughtFact]));
    for (const fact of [...facts, makeFact(4)]) {
      const back = byId.get(fact.id)!;
      expect(back).toEqual(fact);
      expect(back.after.slots).toBeInstanceOf(Int32Array);
      expect(back.after.rows).toBeInstanceOf(Float32Array);
      expect(Array.from(back.after.rows)).toEqual(Array.from(fact.after.rows));
    }
    expect(byId.get(4)).not.toHaveProperty('recalled');
  });

  it('deletes by id, replaces a record of the same fact (an undo), and clears', async () => {
    const { store } = await freshStore();
    await store.add(SHA, [makeFact(1), makeFact(2), makeFact(3)]);
    await store.delete([2]);
    expect(idsOf((await store.load())!.facts)).toEqual([1, 3]);
    const replayed = { ...makeFact(3), after: makeFact(7).after };
    await store.write(SHA, { replace: [replayed] });
    const three = (await store.load())!.facts.find((f) => (f as TaughtFact).id === 3) as TaughtFact;
    expect(Array.from(three.after.rows)).toEqual(Array.from(makeFact(7).after.rows));
    await store.clear();
    expect(await store.load()).toBeNull();
  });

  it('keeps what was stored when a put fails for lack of quota, and the failure names the quota and the remedy', async () => {
    const { store } = await freshStore();
    await store.add(SHA, [makeFact(1)]);
    // Stub the transaction as a full disk fails it: the browser aborts it with a QuotaExceededError.
    const db = (store as unknown as { db: IDBDatabase }).db;
    const real = db.transaction.bind(db);
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    db.transaction = ((names: string | string[], mode?: IDBTransactionMode) => {
      const tx = real(names, mode);
      if (mode === 'readwrite') {
        Object.defineProperty(tx, 'error', { get: () => quota });
        queueMicrotask(() => tx.abort());
      }
      return tx;
    }) as IDBDatabase['transaction'];
    const error = await store.add(SHA, [makeFact(2)]).then(() => null, (e: unknown) => e);
    expect(error).toBe(quota);
    db.transaction = real;
    expect(idsOf((await store.load())!.facts)).toEqual([1]);

    const failure = storageFailure(error);
    expect(failure.kind).toBe('storage');
    expect(failure.message).toMatch(/storage for the site is full \(QuotaExceededError: The quota has been exceeded\.\)/);
    expect(failure.message).toContain('They stay in memory');
    expect(failure.remedy).toMatch(/Export your facts as a patch file/);
    expect(storageFailure(new DOMException('gone', 'UnknownError')).message).toMatch(/could not be saved in this browser \(UnknownError: gone\)/);
  });
});

describe('two writers (two tabs) and interrupted saves', () => {
  it('never overwrites a fact another tab saved under the same id: the save fails with a conflict, the fact is named', async () => {
    const { name } = await freshStore();
    const tabA = await FactStore.open(name);
    const tabB = await FactStore.open(name);
    open.push(tabA, tabB);
    // Tab A teaches fact 1, tab B (open since before, its own counter) teaches fact 2, tab A teaches fact 3.
    const a1 = makeFact(1);
    const b2 = { ...makeFact(1), fact: { ...makeFact(1).fact, subject: 'FromTabB', object: 'B' } };
    const a3 = { ...makeFact(2), prev: 1 };
    await tabA.add(SHA, [a1]);
    const error = await tabB.add(SHA, [b2]).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConflictError);
    expect((error as StoreConflictError).id).toBe(1);
    await tabA.add(SHA, [a3]);
    const { facts, events } = await loadStoredFacts(tabA, SHA, SHAPE, describeFact);
    expect(events).toEqual([]);
    expect(facts!.map((f) => f.fact.subject)).toEqual(['Subject1', 'Subject2']);
    const failure = storageFailure(error);
    expect(failure.message).toMatch(/A taught fact was not saved: another tab of this app saved a different fact as fact #1/);
    expect(failure.remedy).toMatch(/one tab/);
  });

  it('refuses a whole write whose replaced record holds another fact, so an undo elsewhere cannot clobber it', async () => {
    const { store } = await freshStore();
    await store.add(SHA, [makeFact(1), makeFact(2), makeFact(3)]);
    const impostor = { ...makeFact(3), fact: { ...makeFact(3).fact, subject: 'Else', object: 'X' } };
    const error = await store.write(SHA, { remove: [2], replace: [impostor] }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConflictError);
    // Nothing of it was applied: fact 2 is still there, fact 3 unchanged.
    const back = (await store.load())!.facts as TaughtFact[];
    expect(back.map((f) => f.fact.subject)).toEqual(['Subject1', 'Subject2', 'Subject3']);
    // A new fact with an id in use fails the same way and writes nothing (the other new fact neither).
    expect(await store.add(SHA, [makeFact(4), makeFact(2)]).then(() => null, (e: unknown) => e)).toBeInstanceOf(StoreConflictError);
    expect(idsOf((await store.load())!.facts)).toEqual([1, 2, 3]);
  });

  it('names a fact whose step or save did not finish (its pending marker outlived the page), once, on the owner only', async () => {
    const { store } = await freshStore();
    await store.add(SHA, [makeFact(1)]);
    await store.markPending({ fact: makeFact(2).fact, origin: 'typed' });
    const reader = await loadStoredFacts(store, SHA, SHAPE, describeFact, false);
    expect(reader.events).toEqual([]);
    const { facts, events } = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(facts!.map((f) => f.id)).toEqual([1]);
    expect(events).toEqual([{ type: 'notice', message: expect.stringMatching(/^"Subject2 \/ capital \/ Object2" was being taught when its page closed .* not saved/) }]);
    expect((await loadStoredFacts(store, SHA, SHAPE, describeFact)).events).toEqual([]);
    // The save that lands removes the marker in its own transaction.
    await store.markPending({ fact: makeFact(2).fact, origin: 'typed' });
    await store.add(SHA, [makeFact(2)]);
    expect((await store.load())!.pending).toBeUndefined();
  });
});

describe('loadStoredFacts', () => {
  it('restores every intact fact with no event', async () => {
    const { store } = await freshStore();
    await store.add(SHA, [makeFact(1), makeFact(2)]);
    const { facts, events } = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(facts!.map((f) => f.id)).toEqual([1, 2]);
    expect(facts![1]).toEqual(makeFact(2));
    expect(events).toEqual([]);
  });

  it('returns nothing for an empty store', async () => {
    const { store } = await freshStore();
    expect(await loadStoredFacts(store, SHA, SHAPE, describeFact)).toEqual({ facts: null, events: [], earlier: [] });
  });

  it('skips damaged records, restores the intact prefix, says so, and removes the rest from storage', async () => {
    const { store, name } = await freshStore();
    await store.add(SHA, [makeFact(1), makeFact(2), makeFact(4), makeFact(6)]);
    await writeRaw(name, [
      damage(makeFact(3), (r) => { r.after.rows[2] = NaN; }),
      damage(makeFact(5), (r) => { r.after.slots = [1, 2]; }),
      damage(makeFact(7), (r) => { r.id = 'seven'; }),
    ]);
    const first = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    // The record with a string id sorts first, so nothing is safe to replay.
    expect(first.facts).toBeNull();
    expect(first.events).toHaveLength(1);
    const failure = (first.events[0] as { type: 'error'; failure: { kind: string; message: string; remedy: string } }).failure;
    expect(first.events[0].type).toBe('error');
    expect(failure.kind).toBe('storage');
    expect(failure.message).toMatch(/^3 stored taught facts were damaged and not restored \(a record: id "seven" is not a positive integer; and others\)/);
    expect(failure.message).toContain('4 intact facts taught after it were learned on top of the damaged one');
    expect(failure.remedy).toMatch(/export it as a patch file.*Reset/);
    expect(await store.load()).toEqual({ modelSha: SHA, facts: [] });
  });

  it('keeps the prefix before the first damaged record in storage, so the next load restores it without a word', async () => {
    const { store, name } = await freshStore();
    await store.add(SHA, [makeFact(1), makeFact(2), makeFact(4)]);
    await writeRaw(name, [damage(makeFact(3), (r) => { r.after.slots = Int32Array.from([0, SHAPE.slots + 3]); })]);
    const first = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(first.facts!.map((f) => f.id)).toEqual([1, 2]);
    const message = (first.events[0] as { failure: { message: string } }).failure.message;
    expect(message).toMatch(/^1 stored taught fact was damaged and not restored \(fact #3: after names slot 19; slots run from 0 to 15\)/);
    expect(message).toContain('Restored the 2 facts taught before the first damaged one.');
    expect(message).toContain('1 intact fact taught after it was learned on top of the damaged one, so it was not restored either. Not restored: "Subject3 / capital / Object3", "Subject4 / capital / Object4".');
    expect(idsOf((await store.load())!.facts)).toEqual([1, 2]);
    const second = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(second.facts!.map((f) => f.id)).toEqual([1, 2]);
    expect(second.events).toEqual([]);
  });

  it('keeps the text of another checkpoint\'s facts to teach again, never their rows, and keeps them apart from new records', async () => {
    const { store } = await freshStore();
    const OTHER = 'b'.repeat(64);
    await store.add(OTHER, [makeFact(1), makeFact(2)]);
    // A page that does not own the store reads the offer but changes nothing.
    const reader = await loadStoredFacts(store, SHA, SHAPE, describeFact, false);
    expect(reader.facts).toBeNull();
    expect(reader.earlier.map((e) => e.fact.subject)).toEqual(['Subject1', 'Subject2']);
    expect((await store.load())!.modelSha).toBe(OTHER);

    const { facts, events, earlier } = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(facts).toBeNull();
    expect(events).toEqual([]);
    expect(earlier).toEqual([
      { fact: makeFact(1).fact, origin: 'typed', modelSha: OTHER },
      { fact: makeFact(2).fact, origin: 'typed', modelSha: OTHER },
    ]);
    expect(await store.load()).toEqual({ modelSha: SHA, facts: [], earlier });
    // A fact taught again on this checkpoint is saved with the list of those still to teach, in one transaction.
    await store.add(SHA, [makeFact(1)]);
    await store.write(SHA, { add: [makeFact(2)], earlier: earlier.slice(1) });
    const again = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(again.facts!.map((f) => f.id)).toEqual([1, 2]);
    expect(again.earlier).toEqual(earlier.slice(1));
    // Reset forgets the taught facts, not the offer.
    await store.clear();
    expect(await store.load()).toEqual({ modelSha: '', facts: [], earlier: earlier.slice(1) });
  });

  it('reports a store that cannot be read as a storage failure, restoring nothing', async () => {
    const broken = {
      load: () => Promise.reject(new DOMException('The database connection is closing.', 'InvalidStateError')),
      delete: () => Promise.resolve(),
      keepAsEarlier: () => Promise.resolve([]),
      clearPending: () => Promise.resolve(),
    };
    const { facts, events } = await loadStoredFacts(broken, SHA, SHAPE, describeFact);
    expect(facts).toBeNull();
    expect(events).toEqual([
      {
        type: 'error',
        failure: { kind: 'storage', message: expect.stringMatching(/could not be read \(InvalidStateError: The database connection is closing\.\); none were restored/), remedy: expect.stringMatching(/Reload/) },
      },
    ]);
  });

  it('still restores the intact prefix when removing the damaged records fails, and reports that failure too', async () => {
    const { store, name } = await freshStore();
    await store.add(SHA, [makeFact(1)]);
    await writeRaw(name, [damage(makeFact(2), (r) => { r.fact.relation = 'nope'; })]);
    const failing = { ...sourceOf(store), delete: () => Promise.reject(new DOMException('full', 'QuotaExceededError')) };
    const { facts, events } = await loadStoredFacts(failing, SHA, SHAPE, describeFact);
    expect(facts!.map((f) => f.id)).toEqual([1]);
    expect(events.map((e) => e.type)).toEqual(['error', 'error']);
    expect((events[1] as { failure: { message: string } }).failure.message).toMatch(/QuotaExceededError/);
  });

  it('restores records of the build before prev and checksums, and keeps none of the overwritten rows they carry', async () => {
    const { store, name } = await freshStore();
    await writeRaw(name, [legacyRecord(makeFact(1)), legacyRecord(makeFact(2))]);
    await store.add(SHA, [makeFact(3)]);
    const { facts, events } = await loadStoredFacts(store, SHA, SHAPE, describeFact);
    expect(events).toEqual([]);
    expect(facts!.map((f) => f.id)).toEqual([1, 2, 3]);
    const taught = new TaughtFacts();
    for (const entry of facts!) taught.add(entry);
    expect(taught.entries.map((e) => e.prev)).toEqual([0, 1, 2]);
    expect(taught.entries.some((e) => 'before' in e || 'checksum' in e)).toBe(false);
    // Saved again (after an undo, say), they are written in the current form.
    await store.write(SHA, { replace: taught.entries });
    const again = (await store.load())!.facts as Record<string, unknown>[];
    expect(again.map((r) => [r.prev, 'before' in r, typeof r.checksum])).toEqual([
      [0, false, 'number'],
      [1, false, 'number'],
      [2, false, 'number'],
    ]);
  });
});
