/** Stream a teach pack into the model at a chosen rate, with pause, resume and single steps. */
import { PACK_NAMES, type PackName } from '../facts/fact';
import type { Engine } from './use-engine';

const PACK_LABELS: Readonly<Record<PackName, string>> = {
  'real-unseen': 'Real facts the model never saw (people, cities)',
  counterfactual: 'Counterfactual edits of facts it knows',
  invented: 'Invented countries, people and cities',
};

export function StreamPanel({ engine, pack, rate, onPack, onRate }: { engine: Engine; pack: PackName; rate: number; onPack(p: PackName): void; onRate(r: number): void }) {
  const { stream } = engine;
  const running = stream.status === 'running';
  const paused = stream.status === 'paused';
  return (
    <section className="panel stream" data-testid="stream-panel">
      <h2>Stream a pack</h2>
      <div className="row">
        <label>
          Pack{' '}
          <select value={pack} onChange={(e) => onPack(e.target.value as PackName)} data-testid="pack-select" disabled={running}>
            {PACK_NAMES.map((p) => (
              <option key={p} value={p}>
                {PACK_LABELS[p]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rate{' '}
          <select value={rate} onChange={(e) => onRate(Number(e.target.value))} data-testid="rate-select">
            <option value={0}>as fast as it learns</option>
            <option value={60}>60 facts / min</option>
            <option value={20}>20 facts / min</option>
            <option value={6}>6 facts / min</option>
          </select>
        </label>
      </div>
      <div className="row buttons">
        <button type="button" disabled={!engine.ready || running} onClick={() => engine.startStream(pack, rate)} data-testid="stream-start">
          {stream.status === 'idle' ? 'Start' : 'Restart'}
        </button>
        <button type="button" disabled={!running} onClick={() => engine.send({ type: 'pause' })} data-testid="stream-pause">
          Pause
        </button>
        <button type="button" disabled={!paused} onClick={() => engine.send({ type: 'resume' })} data-testid="stream-resume">
          Resume
        </button>
        <button type="button" disabled={!paused} onClick={() => engine.send({ type: 'step' })} data-testid="stream-step">
          Step
        </button>
        <button type="button" disabled={stream.status === 'idle'} onClick={() => engine.send({ type: 'stop-stream' })} data-testid="stream-stop">
          Stop
        </button>
      </div>
      <p className="muted" data-testid="stream-status">
        {stream.status === 'idle' && stream.total === 0 ? 'Not streaming.' : `${stream.status}: ${stream.index} of ${stream.total} facts of "${stream.pack}".`}
      </p>
    </section>
  );
}
