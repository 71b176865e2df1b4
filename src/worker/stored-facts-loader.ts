/**
 * Reads the taught facts back from IndexedDB for the engine and decides which may be replayed: none when they
 * belong to another checkpoint, the intact prefix when some are damaged (src/worker/stored-fact-check.ts says
 * why a prefix). Records that will not be replayed are removed from storage: new facts reuse the ids after the
 * restored ones, and a stale record left beside them would be replayed as if it belonged to the new history.
 * Returns the events to show rather than posting them, so it runs (and is tested) without a worker.
 */
import type { Fact } from '../facts/fact';
import type { StoredFacts } from './fact-store';
import type { EngineEvent, EngineFailure } from './protocol';
import { checkStoredFacts, damagedFactsMessage, DAMAGED_FACTS_REMEDY, type TableShape } from './stored-fact-check';
import type { TaughtFact } from './taught-facts';

/** The part of FactStore the loader needs. */
export interface StoredFactsSource {
  load(): Promise<StoredFacts | null>;
  delete(keys: readonly IDBValidKey[]): Promise<void>;
  clear(): Promise<void>;
}

export interface LoadedFacts {
  /** The facts safe to replay, in teaching order; null when there are none. */
  readonly facts: TaughtFact[] | null;
  readonly events: EngineEvent[];
}

export async function loadStoredFacts(
  store: StoredFactsSource,
  modelSha: string,
  shape: TableShape,
  describeFact: (fact: Fact) => string,
): Promise<LoadedFacts> {
  const events: EngineEvent[] = [];
  let stored: StoredFacts | null;
  try {
    stored = await store.load();
  } catch (error) {
    return { facts: null, events: [{ type: 'error', failure: storageFailure(error, 'read') }] };
  }
  if (!stored || stored.facts.length === 0) return { facts: null, events };
  const n = stored.facts.length;
  if (stored.modelSha !== modelSha) {
    events.push({
      type: 'notice',
      message: `${n} stored fact${n === 1 ? '' : 's'} belong${n === 1 ? 's' : ''} to another version of the model and ${n === 1 ? 'was' : 'were'} not restored (${n === 1 ? 'its rows only fit' : 'their rows only fit'} that version); storage was cleared for this one. Teach them again if you want them.`,
    });
    await store.clear().catch((error) => events.push({ type: 'error', failure: storageFailure(error) }));
    return { facts: null, events };
  }
  const check = checkStoredFacts(stored.facts, shape);
  const message = damagedFactsMessage(check, describeFact);
  if (message) {
    events.push({ type: 'error', failure: { kind: 'storage', message, remedy: DAMAGED_FACTS_REMEDY } });
    const keys = [...check.damaged.map((d) => d.key), ...check.heldBack.map((entry) => entry.id)].filter(isKey);
    await store.delete(keys).catch((error) => events.push({ type: 'error', failure: storageFailure(error) }));
  }
  return { facts: check.restored.length > 0 ? check.restored : null, events };
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
