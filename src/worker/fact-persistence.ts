/**
 * Saving the engine's taught facts: the IndexedDB store (fact-store.ts), whether this page may write it
 * (store-lock.ts), and which facts taught here are not saved. Every save either lands or is reported at once:
 * a failed write as a storage failure, a page that does not own the store through its status ("not saved
 * here", with the count), which the page shows for as long as it lasts.
 */
import type { Fact } from '../facts/fact';
import { FactStore, type EarlierFact, type StoreWrite } from './fact-store';
import type { EngineEvent, StoreStatus } from './protocol';
import { STORE_LOCK_NAME, StoreLock, type LockManagerLike } from './store-lock';
import { loadStoredFacts, storageFailure, type LoadedFacts } from './stored-facts-loader';
import type { TableShape } from './stored-fact-check';
import type { TaughtFact } from './taught-facts';

export class FactPersistence {
  private store: FactStore | null = null;
  private readonly lock: StoreLock;
  /** Ids of facts taught (or taught again) on this page whose records are not in storage. */
  private readonly unsavedIds = new Set<number>();
  /** The write in flight, so the lock is let go only after it lands. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly post: (event: EngineEvent) => void) {
    const locks = (globalThis.navigator as { locks?: unknown } | undefined)?.locks as LockManagerLike | undefined;
    const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(STORE_LOCK_NAME);
    this.lock = new StoreLock({
      locks,
      channel,
      onChange: () => this.postStatus(),
      settle: () => this.writing.then(
        () => undefined,
        () => undefined,
      ),
    });
  }

  /** Opens the database (`name`: tests use their own) and claims the store; a failure is reported and the page goes on without saving. */
  async open(name?: string): Promise<void> {
    try {
      this.store = await FactStore.open(name);
    } catch (error) {
      this.post({ type: 'error', failure: storageFailure(error) });
    }
    if (this.store) await this.lock.claim();
    this.postStatus();
  }

  /** This page writes the store. */
  get saving(): boolean {
    return this.store !== null && this.lock.owns;
  }

  isUnsaved(id: number): boolean {
    return this.unsavedIds.has(id);
  }

  status(): StoreStatus {
    return { saving: this.store ? this.lock.ownership : 'unavailable', unsaved: this.unsavedIds.size };
  }

  /** The stored facts for this checkpoint (src/worker/stored-facts-loader.ts); a page that does not own the store only reads. */
  async load(modelSha: string, shape: TableShape, describeFact: (fact: Fact) => string): Promise<LoadedFacts> {
    if (!this.store) return { facts: null, events: [], earlier: [] };
    return loadStoredFacts(this.store, modelSha, shape, describeFact, this.saving);
  }

  /** Before a fact's step: leaves its name in storage until its record is saved (a crash in between is then named). */
  async begin(fact: Fact, origin: TaughtFact['origin']): Promise<void> {
    if (this.saving) await this.store!.markPending({ fact, origin }).catch(() => undefined); // the save itself reports failures
  }

  /** New facts (taught, imported, taught again); `earlier`: the earlier-checkpoint list left, when it changed. */
  saveNew(modelSha: string, entries: readonly TaughtFact[], earlier?: readonly EarlierFact[]): Promise<boolean> {
    return this.save(entries, modelSha, { add: entries, earlier });
  }

  /** An undo: the undone fact's record goes and the facts taught again after it are replaced, in one transaction. */
  saveUndo(modelSha: string, undone: number, replayed: readonly TaughtFact[]): Promise<boolean> {
    const wasUnsaved = this.unsavedIds.delete(undone);
    if (wasUnsaved) this.postStatus();
    return this.save(replayed, modelSha, { remove: [undone], replace: replayed });
  }

  async saveEarlier(modelSha: string, earlier: readonly EarlierFact[]): Promise<void> {
    if (this.saving) await this.store!.write(modelSha, { earlier }).catch((error) => this.post({ type: 'error', failure: storageFailure(error) }));
  }

  /** Reset: the store is emptied when this page owns it; the facts of this page are gone either way. */
  async clear(): Promise<void> {
    this.unsavedIds.clear();
    if (this.saving) await this.store!.clear().catch((error) => this.post({ type: 'error', failure: storageFailure(error) }));
    this.postStatus();
  }

  /** Forgets which facts were not saved (they are about to be taught again, and saved, or dropped). */
  forgetUnsaved(): void {
    this.unsavedIds.clear();
    this.postStatus();
  }

  /** Makes this page the one that saves (see StoreLock.takeOver). */
  takeOver(): Promise<void> {
    return this.lock.takeOver();
  }

  postStatus(): void {
    this.post({ type: 'store-status', status: this.status() });
  }

  private async save(entries: readonly TaughtFact[], modelSha: string, change: StoreWrite): Promise<boolean> {
    if (!this.saving) {
      if (entries.length > 0) {
        for (const entry of entries) this.unsavedIds.add(entry.id);
        this.postStatus();
      }
      return false;
    }
    const write = this.store!.write(modelSha, change);
    this.writing = write;
    try {
      await write;
      return true;
    } catch (error) {
      this.post({ type: 'error', failure: storageFailure(error) });
      for (const entry of entries) this.unsavedIds.add(entry.id);
      this.postStatus();
      return false;
    }
  }
}
