/** Which backend and GPU adapter Engram runs on, always visible; or why it fell back to the CPU. */
import type { EngineState } from './engine-state';
import { backendPreference } from './url-state';

export function BackendStatus({ engine }: { engine: EngineState }) {
  const { backend, progress } = engine;
  if (!backend) {
    return (
      <section className="backend-status pending" aria-live="polite" data-testid="backend-status">
        <span className="dot" /> {progress ? `${progress.stage}…` : pendingText()}
      </section>
    );
  }
  const gpu = backend.name === 'webgpu';
  const software = gpu && backend.adapter?.isFallbackAdapter;
  return (
    <section className={`backend-status ${software ? 'software' : gpu ? 'gpu' : 'cpu'}`} aria-live="polite" data-testid="backend-status" data-backend={backend.name}>
      <div className="backend-line">
        <span className="dot" />
        <strong>Backend:</strong> <span data-testid="backend-name">{backend.name}</span>
        {backend.adapter && (
          <>
            {' · '}
            <strong>Adapter:</strong> <span data-testid="adapter-name">{backend.adapter.name}</span>
          </>
        )}
        <span className="muted"> · ready in {Math.round(backend.initMs)} ms</span>
      </div>
      {backend.fallback && (
        <div className="fallback" role="alert" data-testid="fallback-message">
          <p>
            <strong>WebGPU is not available here.</strong> {backend.fallback.message}
          </p>
          <p>{backend.fallback.remedy}</p>
        </div>
      )}
      {software && (
        <div className="advice" role="alert" data-testid="software-adapter-note">
          <p>
            <strong>This WebGPU adapter is a software renderer, not a GPU.</strong> Here a learning step takes seconds, about 30 times longer than on
            the CPU backend (measured on a 2-core machine).
          </p>
          <p>
            <a className="advice-link" href={withBackend('wasm')} data-testid="use-cpu-link">
              Use the CPU backend instead (?backend=wasm)
            </a>
          </p>
        </div>
      )}
      {backend.adapter && (
        <details className="adapter-details">
          <summary>Adapter details</summary>
          <dl>
            <dt>Vendor</dt>
            <dd>{backend.adapter.vendor}</dd>
            <dt>Architecture</dt>
            <dd>{backend.adapter.architecture || '—'}</dd>
            <dt>Description</dt>
            <dd>{backend.adapter.description || '—'}</dd>
            <dt>Storage buffers per stage</dt>
            <dd>{backend.adapter.maxStorageBuffersPerShaderStage}</dd>
            <dt>Largest storage binding</dt>
            <dd>{(backend.adapter.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB</dd>
            <dt>Features</dt>
            <dd>{backend.adapter.features.join(', ') || '—'}</dd>
          </dl>
        </details>
      )}
    </section>
  );
}

/** Before the worker reports: what it is doing, without mentioning WebGPU when the URL asked for the CPU. */
function pendingText(): string {
  const forced = backendPreference(location.search)?.[0];
  return forced === 'wasm' || forced === 'cpu' ? 'Starting the CPU backend…' : 'Detecting WebGPU…';
}

function withBackend(name: string): string {
  const params = new URLSearchParams(location.search);
  params.set('backend', name);
  return `?${params.toString()}`;
}
