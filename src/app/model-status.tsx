/** Loading progress for the model (bytes downloaded, then upload to the GPU), then what was loaded. */
import type { EngineState } from './engine-state';

export function ModelStatus({ engine }: { engine: EngineState }) {
  const { backend, model, progress } = engine;
  if (model) {
    return (
      <section className="model-status" data-testid="model-status">
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
