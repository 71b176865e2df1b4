import { useCallback, useEffect, useState } from 'react';
import type { Fact, PackName } from '../facts/fact';
import type { LearnSettings } from '../worker/protocol';
import { AskPanel } from './ask-panel';
import { BackendStatus } from './backend-status';
import { FactsList } from './facts-list';
import { SharePanel } from './share-panel';
import { FailurePanel } from './failure-panel';
import { MetricsCharts } from './metrics-charts';
import { ModelStatus } from './model-status';
import { Notices } from './notices';
import { SettingsPanel } from './settings-panel';
import { SlotPanel } from './slot-panel';
import { StorageStatus } from './storage-status';
import { StreamPanel } from './stream-panel';
import { TeachPanel } from './teach-panel';
import { useEngine } from './use-engine';
import { readSharedState, writeSharedState, type SharedState } from './url-state';

export function App() {
  const [shared, setShared] = useState<SharedState>(() => readSharedState(location.search));
  const engine = useEngine(shared.settings);
  useEffect(() => {
    const search = writeSharedState(location.search, shared);
    if (search !== location.search) history.replaceState(null, '', `${location.pathname}${search}${location.hash}`);
  }, [shared]);
  // Ask offers questions about the fact just taught by hand, or the one whose row's "Ask" was clicked.
  const [askAbout, setAskAbout] = useState<Fact | undefined>();
  const lastStep = engine.lastStep;
  useEffect(() => {
    if (lastStep?.fact.origin === 'typed') setAskAbout(lastStep.fact.fact);
  }, [lastStep]);
  const askFromRow = useCallback((fact: Fact) => {
    setAskAbout(fact);
    document.querySelector('[data-testid="ask-panel"]')?.scrollIntoView({ block: 'nearest' });
  }, []);
  const applySettings = (settings: LearnSettings) => {
    setShared((s) => ({ ...s, settings }));
    engine.send({ type: 'set-settings', settings });
  };
  return (
    <div className="app">
      <header>
        <h1>Engram</h1>
        <p className="tagline">
          Teach a language model new facts in your browser, and watch it remember what it already knew: an in-browser demo of sparse memory
          finetuning (continual learning). Not DeepSeek's Engram, nor an agent-memory library.
        </p>
      </header>
      <BackendStatus engine={engine} />
      <ModelStatus engine={engine} />
      <FailurePanel failures={engine.failures} />
      <Notices engine={engine} />
      <StorageStatus engine={engine} />
      <main className="grid">
        <div className="column">
          <TeachPanel engine={engine} />
          <AskPanel engine={engine} about={askAbout} />
          <StreamPanel
            engine={engine}
            pack={shared.pack}
            rate={shared.rate}
            evalEvery={shared.settings.evalEvery}
            onPack={(pack: PackName) => setShared((s) => ({ ...s, pack }))}
            onRate={(rate: number) => setShared((s) => ({ ...s, rate }))}
          />
        </div>
        <div className="column">
          <SlotPanel lastStep={engine.lastStep} changedSlots={engine.changedSlots} slotInfo={engine.slotInfo} memorySlots={engine.model?.memorySlots} onSelectSlot={engine.inspectSlot} />
        </div>
        <div className="wide">
          <MetricsCharts
            points={engine.points}
            racePoints={engine.racePoints}
            evalSetup={engine.evalSetup}
            factsTaught={engine.facts.length}
            latestStepMs={engine.lastStep?.step.ms}
            evalEvery={shared.settings.evalEvery}
          />
        </div>
        <div className="column">
          <FactsList engine={engine} onAsk={askFromRow} />
          <SharePanel engine={engine} />
        </div>
        <div className="column">
          <SettingsPanel engine={engine} settings={shared.settings} pack={shared.pack} onApply={applySettings} />
          <section className="panel intro">
            <h2>What this is</h2>
            <p>
              Language models are frozen after training; teaching them new facts usually erases old ones. Engram runs a small language model with a
              product-key memory layer on your GPU and teaches it one fact at a time by updating only the few memory slots that fact reads far more than
              ordinary text does (sparse memory finetuning, Lin et al. 2025).
            </p>
          </section>
        </div>
      </main>
    </div>
  );
}
