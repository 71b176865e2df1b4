/** Loading progress for the model (bytes downloaded, then upload to the GPU), then what was loaded. */
import type { EngineState } from './engine-state';

/**
 * The evaluation running now, with an estimate from its pace so far. The first one measures the starting point
 * and may take a while on a slow device; Teach does not wait for it (a fact to teach goes first).
 */
function EvalProgress({ engine }: { engine: EngineState }) {
  const progress = engine.evalProgress;
  if (!progress) return null;
  const first = !engine.ready;
  const left = progress.etaMs === null ? 'estimating the time left' : `about ${formatSeconds(progress.etaMs / 1000)} left`;
  return (
    <div className="eval-progress" aria-live="polite" data-testid="eval-progress">
      <div>
        {progress.stage ? (
          `${progress.stage} to size the evaluation`
        ) : (
          <>
            {first ? 'Measuring the pretrained model (recall, retention, NLL) for the charts' : 'Evaluating recall, retention and NLL'}: {progress.done} of {progress.total}{' '}
            questions and text windows, <span data-testid="eval-eta">{left}</span>
          </>
        )}
        .{first && engine.teachable ? ' You can teach a fact now; it goes first.' : ''}
      </div>
      <progress max={progress.total} value={progress.done} aria-label="Evaluation progress" />
    </div>
  );
}

function formatSeconds(seconds: number): string {
  return seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.round(seconds / 60)} min`;
}

export function ModelStatus({ engine }: { engine: EngineState }) {
  const { backend, model, progress } = engine;
  if (model) {
    return (
      <section className="model-status" data-testid="model-status">
        <EvalProgress engine={engine} />
        {engine.evalSetup?.sizedNote && (
          <p className="eval-sized" data-testid="eval-sized">
            {engine.evalSetup.sizedNote}
          </p>
        )}
        <strong>Model:</strong> {(model.parameters / 1e6).toFixed(1)}M parameters ({model.megabytes.toFixed(1)} MB as float32 in memory), d_model{' '}
        {model.dModel}, {model.nLayers} layers, a memory of <span data-testid="memory-slots">{model.memorySlots.toLocaleString('en-US')}</span> slots
        ({model.memoryHeads} heads x top-{model.topk}, values of {model.valueDim}) <span className="muted">
          · {model.fromCache ? <span data-testid="model-from-cache">loaded from cache</span> : 'downloaded'} in {(model.loadMs / 1000).toFixed(1)} s
        </span>
      </section>
    );
  }
  if (!backend || !progress) return null;
  const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : undefined;
  const bytes = progress.total > 1 ? ` ${(progress.done / 2 ** 20).toFixed(1)} of ${(progress.total / 2 ** 20).toFixed(1)} MB` : '';
  return (
    <section className="model-status loading" aria-live="polite" data-testid="model-loading">
      <div>
        {progress.stage}…{bytes}
      </div>
      <progress max={1} value={fraction} aria-label={progress.stage} />
    </section>
  );
}
