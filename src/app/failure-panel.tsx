/** The one place failures reach the user (docs/architecture.md §3): what happened, and what to do. */
import type { EngineFailure } from '../worker/protocol';

export function FailurePanel({ failures }: { failures: EngineFailure[] }) {
  if (failures.length === 0) return null;
  return (
    <section className="failures" role="alert" data-testid="failures">
      {failures.map((failure, i) => (
        <div key={i} className="failure">
          <p>
            <strong>{failure.message}</strong>
          </p>
          <p>{failure.remedy}</p>
        </div>
      ))}
    </section>
  );
}
