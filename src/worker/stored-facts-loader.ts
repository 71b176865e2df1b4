/**
 * Reads the taught facts back from IndexedDB for the engine and decides which may be replayed: none when they
 * belong to another checkpoint (their text is kept, to be taught again on this one), the intact prefix when some
 * are damaged (src/worker/stored-fact-check.ts says why a prefix). Records that will not be replayed are removed
 * from storage: new facts reuse the ids after the restored ones, and a stale record left beside them would be
 * replayed as if it belonged to the new history. A fact whose step was running when the page closed (its
 * `pending` marker outlived it) is named. A page that does not own the store (src/worker/store-lock.ts) only
 * reads: it changes nothing, and says nothing of a pending fact (the owner may be teaching it right now).
 * Returns the events to show rather than posting them, so it runs (and is tested) without a worker.
 */
import type { Fact } from '../facts/fact';
import type { EarlierFact, StoredFacts } from './fact-store';
import type { EngineEvent, EngineFailure } from './protocol';
import { checkStoredFacts, damagedFactsMessage, DAMAGED_FACTS_REMEDY, readableFact, type TableShape } from './stored-fact-check';
import type { TaughtFact } from './taught-facts';

/** The part of FactStore the loader needs. */
export interface StoredFactsSource {
  load(): Promise<StoredFacts | null>;
  delete(keys: readonly IDBValidKey[]): Promise<void>;
  keepAsEarlier(modelSha: string, readable: readonly EarlierFact[]): Promise<EarlierFact[]>;
  clearPending(): Promise<void>;
}

export interface LoadedFacts {
  /** The facts safe to replay, in teaching order; null when there are none. */
  readonly facts: TaughtFact[] | null;
  readonly events: EngineEvent[];
  /** Facts taught to an earlier checkpoint, as text, to offer teaching them again on this one. */
  readonly earlier: EarlierFact[];
}

export async function loadStoredFacts(
  store: StoredFactsSource,
  modelSha: string,
  shape: TableShape,
  describeFact: (fact: Fact) => string,
  /** False on a page that does not own the store: read, change nothing. */
  mayWrite = true,
): Promise<LoadedFacts> {
  const events: EngineEvent[] = [];
  const fail = (error: unknown) => events.push({ type: 'error', failure: storageFailure(error) });
  let stored: StoredFacts | null;
  try {
    stored = await store.load();
  } catch (error) {
    return { facts: null, events: [{ type: 'error', failure: storageFailure(error, 'read') }], earlier: [] };
  }
  if (!stored) return { facts: null, events, earlier: [] };
  if (stored.pending && mayWrite) {
    events.push({ type: 'notice', message: interruptedMessage(describeFact(stored.pending.fact)) });
    await store.clearPending().catch(fail);
  }
  let earlier = [...(stored.earlier ?? [])];
  if (stored.facts.length === 0) return { facts: null, events, earlier };
  if (stored.modelSha !== modelSha) {
    // Rows of another checkpoint never touch this one; the facts' text is kept to teach them again.
    const ordered = [...stored.facts].sort((a, b) => idOf(a) - idOf(b));
    const readable = ordered.flatMap((record) => {
      const { fact } = readableFact(record);
      const origin = (record as { origin?: unknown }).origin;
      return fact ? [{ fact, origin: typeof origin === 'string' ? (origin as EarlierFact['origin']) : 'typed', modelSha: stored.modelSha }] : [];
    });
    if (!mayWrite) return { facts: null, events, earlier: [...earlier, ...readable] };
    earlier = await store.keepAsEarlier(modelSha, readable).catch((error) => {
      fail(error);
      return [...earlier, ...readable];
    });
    return { facts: null, events, earlier };
  }
  const check = checkStoredFacts(stored.facts, shape);
  const message = damagedFactsMessage(check, describeFact);
  if (message) {
    events.push({ type: 'error', failure: { kind: 'storage', message, remedy: DAMAGED_FACTS_REMEDY } });
    const keys = [...check.damaged.map((d) => d.key), ...check.heldBack.map((entry) => entry.id)].filter(isKey);
    if (mayWrite) await store.delete(keys).catch(fail);
  }
  return { facts: check.restored.length > 0 ? check.restored : null, events, earlier };
}

/** The notice for a fact whose step or save did not finish (the page closed, crashed, or stopped saving). */
export function interruptedMessage(fact: string): string {
  return `"${fact}" was being taught when its page closed (or stopped saving), and it was not saved. Teach it again if you want it.`;
}

function idOf(record: unknown): number {
  const id = (record as { id?: unknown } | null)?.id;
  return typeof id === 'number' ? id : 0;
}

/** A failing database as the UI shows it: the app keeps working in memory, and says how to keep the facts. */
export function storageFailure(error: unknown, action: 'saved' | 'read' = 'saved'): EngineFailure {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (action === 'read') {
    return {
      kind: 'storage',
      message: `The taught facts stored in this browser could not be read (${detail}); none were restored. Facts you teach now stay in memory and may not be saved.`,
      remedy: 'Reload the page to try again; if it keeps failing, clear this site\'s data in the browser settings (the stored facts are lost) or export new facts as a patch file to keep them.',
    };
  }
  if (error instanceof Error && error.name === 'StoreConflictError') {
    return {
      kind: 'storage',
      message: `A taught fact was not saved: ${error.message}, so saving this one would have replaced it. It stays in memory until you close the page.`,
      remedy: 'Keep the app open in one tab only. Export the facts of this tab as a patch file to keep them, or reload it to see the stored facts and teach the missing one again.',
    };
  }
  if (error instanceof Error && error.name === 'QuotaExceededError') {
    return {
      kind: 'storage',
      message: `Taught facts could not be saved: this browser's storage for the site is full (${detail}). They stay in memory until you close the page.`,
      remedy: 'Export your facts as a patch file to keep them; free some disk space or clear other site data, then reload.',
    };
  }
  return {
    kind: 'storage',
    message: `Taught facts could not be saved in this browser (${detail}). They stay in memory until you close the page.`,
    remedy: 'Export your facts as a patch file to keep them; free some disk space or allow site storage, then reload.',
  };
}

function isKey(key: unknown): key is IDBValidKey {
  return typeof key === 'number' || typeof key === 'string';
}
