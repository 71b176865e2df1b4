/** React hook over the engine worker: state from engine-state.ts, and one function per command. */
import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import type { Fact, PackName } from '../facts/fact';
import type { BackendMemory, EngineCommand, LearnSettings, MetricsPoint, StreamState } from '../worker/protocol';
import { loadChartHistory, recordChartEvent } from './chart-history';
import { startEngine, type EngineClient } from './engine-client';
import { INITIAL_STATE, reduce, type EngineState } from './engine-state';
import { backendPreference, evalSizeFromUrl } from './url-state';

export interface Engine extends EngineState {
  ask(question: string): void;
  teach(fact: Fact): void;
  /** `from`: the pack's fact to start at (where an earlier stream of it stopped). */
  startStream(pack: PackName, rate: number, from?: number): void;
  send(command: EngineCommand): void;
  exportFacts(ids: number[]): void;
  importFile(file: File): void;
  dismissNotice(index: number): void;
  inspectSlot(slot: number): void;
}

export function useEngine(initialSettings: LearnSettings): Engine {
  const [state, dispatch] = useReducer(reduce, INITIAL_STATE);
  const client = useRef<EngineClient | null>(null);
  const settingsAtStart = useRef(initialSettings);
  useEffect(() => {
    const engine = startEngine();
    client.current = engine;
    const unsubscribe = engine.subscribe((event) => {
      if (event.type === 'exported') download(event.bytes, event.fileName);
      recordChartEvent(event);
      dispatch(event);
    });
    const base = new URL(import.meta.env.BASE_URL, location.href);
    engine.send({
      type: 'init',
      preference: backendPreference(location.search),
      modelUrl: new URL('model/', base).href,
      dataUrl: new URL('data/', base).href,
      settings: settingsAtStart.current,
      evalSize: evalSizeFromUrl(location.search),
      chartHistory: loadChartHistory(),
    });
    // Test hooks, only with ?test_hooks=1: destroy the worker's GPUDevice as a driver reset would (the app must recover),
    // and counters a long run reads without scraping the page (scripts/soak-browser.ts).
    const unwatch = new URLSearchParams(location.search).get('test_hooks') === '1' ? installTestHooks(engine) : undefined;
    return () => {
      unwatch?.();
      unsubscribe();
      engine.terminate();
    };
  }, []);
  const send = useCallback((command: EngineCommand) => client.current?.send(command), []);
  const nextId = useRef(1);
  const ask = useCallback(
    (question: string) => {
      dispatch({ type: 'page-asking' });
      send({ type: 'ask', id: nextId.current++, question });
    },
    [send],
  );
  const actions = useMemo(
    () => ({
      send,
      ask,
      teach: (fact: Fact) => {
        dispatch({ type: 'page-teaching' });
        send({ type: 'teach', fact });
      },
      startStream: (pack: PackName, rate: number, from?: number) => send({ type: 'stream', pack, rate, from }),
      exportFacts: (factIds: number[]) => send({ type: 'export', factIds }),
      dismissNotice: (index: number) => dispatch({ type: 'page-dismiss-notice', index }),
      inspectSlot: (slot: number) => send({ type: 'inspect-slot', slot }),
      importFile: (file: File) => {
        void file.arrayBuffer().then((bytes) => client.current?.send({ type: 'import', bytes, fileName: file.name }));
      },
    }),
    [send, ask],
  );
  return { ...state, ...actions };
}

/** What `window.engramTestHooks.seen` holds: counts and the latest figures, from the engine's events. */
export interface TestHookCounters {
  taught: number;
  refused: number;
  failures: string[];
  memory: BackendMemory | null;
  metrics: MetricsPoint[];
  stream: StreamState | null;
}

function installTestHooks(engine: EngineClient): () => void {
  const seen: TestHookCounters = { taught: 0, refused: 0, failures: [], memory: null, metrics: [], stream: null };
  (window as unknown as { engramTestHooks: object }).engramTestHooks = { loseDevice: () => engine.send({ type: 'lose-device' }), seen };
  return engine.subscribe((event) => {
    if (event.type === 'taught') {
      seen.taught++;
      seen.memory = event.memory;
    } else if (event.type === 'teach-refused') seen.refused++;
    else if (event.type === 'error') seen.failures.push(event.failure.message);
    else if (event.type === 'metrics' && event.point.run === 'main') seen.metrics.push(event.point);
    else if (event.type === 'stream') seen.stream = event.state;
  });
}

function download(bytes: ArrayBuffer, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
