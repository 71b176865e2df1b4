/**
 * Stream a teach pack into the model at a chosen rate, with pause, resume and single steps. Where a pack's
 * stream stopped is kept in this browser (stream-position.ts): after a reload Start goes on from there.
 */
import { useEffect, useState } from 'react';
import { PACK_NAMES, type PackName } from '../facts/fact';
import { clearStreamPositions, loadStreamPositions, saveStreamPosition } from './stream-position';
import type { Engine } from './use-engine';

const PACK_LABELS: Readonly<Record<PackName, string>> = {
  'real-unseen': 'Real facts the model never saw (people, cities)',
  counterfactual: 'Counterfactual edits of facts it knows',
  invented: 'Invented countries, people and cities',
};

export function StreamPanel({
  engine,
  pack,
  rate,
  evalEvery,
  onPack,
  onRate,
}: {
  engine: Engine;
  pack: PackName;
  rate: number;
  evalEvery: number;
  onPack(p: PackName): void;
  onRate(r: number): void;
}) {
  const { stream } = engine;
  const running = stream.status === 'running';
  const paused = stream.status === 'paused';
  const [positions, setPositions] = useState(loadStreamPositions);
  useEffect(() => {
    if (!stream.pack || stream.index <= 0) return;
    saveStreamPosition(stream.pack, { index: stream.index, total: stream.total });
    setPositions(loadStreamPositions());
  }, [stream.pack, stream.index, stream.total]);
  const nothingTaught = engine.ready && engine.facts.length === 0;
  useEffect(() => {
    // Reset to base (or undoing everything) leaves nothing a position could continue.
    if (nothingTaught) {
      clearStreamPositions();
      setPositions({});
    }
  }, [nothingTaught]);
  const saved = nothingTaught ? undefined : positions[pack];
  const resumeAt = saved && saved.index < saved.total ? saved.index : 0;
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
        <button type="button" disabled={!engine.ready || running} onClick={() => engine.startStream(pack, rate, resumeAt)} data-testid="stream-start">
          {resumeAt > 0 && !paused ? `Continue at fact ${resumeAt + 1}` : stream.status === 'idle' ? 'Start' : 'Restart'}
        </button>
        {resumeAt > 0 && !paused && (
          <button type="button" disabled={!engine.ready || running} onClick={() => engine.startStream(pack, rate, 0)} data-testid="stream-start-over">
            From fact 1
          </button>
        )}
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
        {stream.status === 'idle' && stream.total === 0
          ? saved
            ? `Not streaming. ${saved.index} of ${saved.total} facts of "${pack}" were streamed before; ${saved.index < saved.total ? `Start goes on from fact ${saved.index + 1}` : 'the whole pack is taught'}.`
            : 'Not streaming.'
          : `${stream.status}: ${stream.index} of ${stream.total} facts of "${stream.pack}".`}
      </p>
      <p className="muted" data-testid="stream-eval-note">
        {evalEvery > 1
          ? `A stream is measured (recall, retention, NLL) every ${evalEvery} facts, so the curves lag the stream a little; a fact you teach by hand is measured at once. "Evaluate every" is in Method settings.`
          : 'A stream is measured (recall, retention, NLL) after every fact.'}
      </p>
    </section>
  );
}
