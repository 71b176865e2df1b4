/**
 * Where the taught facts are saved, in the page: whether this tab saves them (another tab may own the store,
 * src/worker/store-lock.ts) with a way to take saving over; facts stored for an earlier model, offered to
 * teach again; whether the browser keeps the storage persistently, and a warning when it is nearly full.
 */
import type { StoreStatus } from '../worker/protocol';
import { persistenceText } from './storage-pressure';
import type { Engine } from './use-engine';
import { useStorageHealth } from './use-storage-health';

const plural = (n: number) => `${n} fact${n === 1 ? '' : 's'}`;

export function StorageStatus({ engine }: { engine: Engine }) {
  const { persisted, warning } = useStorageHealth(engine.facts.length);
  const { store, earlier } = engine;
  return (
    <div className="storage-status" data-testid="storage-status">
      {store && store.saving !== 'here' && (
        <section className="failures" role="alert">
          <div className="failure" data-testid="store-banner" data-saving={store.saving} data-unsaved={store.unsaved}>
            <p>
              <strong>{bannerText(store)}</strong>
            </p>
            {store.saving !== 'unavailable' && (
              <p>
                <button type="button" data-testid="take-over" disabled={!!engine.busy?.startsWith('Taking over')} onClick={() => engine.send({ type: 'take-over-store' })}>
                  Take over here
                </button>{' '}
                This tab then saves: it takes the facts stored by the other tab, teaches the ones taught here again on top of them, and the other tab stops saving.
              </p>
            )}
          </div>
        </section>
      )}
      {earlier && (
        <section className="notices">
          <div className="notice" data-testid="earlier-offer">
            <p>
              {plural(earlier.facts.length)} {earlier.facts.length === 1 ? 'was' : 'were'} taught to an earlier model ({earlier.models.map(short).join(', ')}; this one is{' '}
              {short(earlier.current)}); re-teach {earlier.facts.length === 1 ? 'it' : 'them'} on this model? Their rows only fit the earlier model, so each is
              taught again with a learning step. {earlier.facts.slice(0, 3).map((f) => `${f.subject} · ${f.relation.replace(/_/g, ' ')} · ${f.object}`).join('; ')}
              {earlier.facts.length > 3 ? `; and ${earlier.facts.length - 3} more.` : '.'}
            </p>
            {earlier.canReteach ? (
              <p>
                <button type="button" data-testid="reteach-earlier" disabled={!!engine.busy} onClick={() => engine.send({ type: 'reteach-earlier' })}>
                  Re-teach {plural(earlier.facts.length)}
                </button>{' '}
                <button type="button" className="link" data-testid="discard-earlier" disabled={!!engine.busy} onClick={() => engine.send({ type: 'discard-earlier' })}>
                  Discard them
                </button>
              </p>
            ) : (
              <p>The tab that saves taught facts can re-teach them.</p>
            )}
          </div>
        </section>
      )}
      {warning && (
        <section className="failures" role="alert">
          <div className="failure" data-testid="storage-warning">
            <p>{warning}</p>
          </div>
        </section>
      )}
      {persisted !== undefined && (
        <p className="storage-persist" data-testid="storage-persist" data-persisted={String(persisted)}>
          {persistenceText(persisted)}
        </p>
      )}
    </div>
  );
}

function bannerText(store: StoreStatus): string {
  const unsaved = store.unsaved > 0 ? ` (${plural(store.unsaved)} taught here not saved so far)` : '';
  if (store.saving === 'other-tab') return `This model is open in another tab, which saves the taught facts; facts taught here are not saved${unsaved}.`;
  if (store.saving === 'taken-over') return `Another tab took over saving this model's facts; facts taught here are not saved any more${unsaved}.`;
  return `This browser's storage could not be opened, so facts taught here are not saved${unsaved}. Export them as a patch file to keep them.`;
}

function short(sha: string): string {
  return `model ${sha.slice(0, 8)}`;
}
