/** Things worth knowing that are not failures: restored facts, a recovered GPU device, settings not applied. */
import type { Engine } from './use-engine';

export function Notices({ engine }: { engine: Engine }) {
  return (
    <div className="notices" aria-live="polite" data-testid="notices">
      {engine.busy && (
        <p className="busy" data-testid="busy">
          <span className="spinner" /> {engine.busy}…
        </p>
      )}
      {engine.notices.map((text, i) => (
        <p key={`${i}-${text}`} className="notice" data-testid="notice">
          {text}{' '}
          <button type="button" className="link" onClick={() => engine.dismissNotice(i)} aria-label="Dismiss">
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
