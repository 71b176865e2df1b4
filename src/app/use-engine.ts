/** React state for the engine: the backend report, loading progress and any failures. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AnswerReport, BackendReport, EngineFailure, ModelReport } from '../worker/protocol';
import { startEngine, type EngineClient } from './engine-client';

export interface EngineState {
  backend?: BackendReport;
  model?: ModelReport;
  answer?: AnswerReport;
  /** Why the last question was not answered, in words for the person who asked. */
  askRefusal?: string;
  asking: boolean;
  progress?: { stage: string; done: number; total: number };
  failures: EngineFailure[];
}

export interface Engine extends EngineState {
  ask(question: string): void;
}

export function useEngine(): Engine {
  const [state, setState] = useState<EngineState>({ failures: [], asking: false });
  const client = useRef<EngineClient | null>(null);
  useEffect(() => {
    const engine = startEngine();
    client.current = engine;
    const unsubscribe = engine.subscribe((event) => {
      setState((prev) => {
        switch (event.type) {
          case 'progress':
            return { ...prev, progress: { stage: event.stage, done: event.done, total: event.total } };
          case 'backend':
            return { ...prev, backend: event.report, progress: undefined };
          case 'model':
            return { ...prev, model: event.report, progress: undefined };
          case 'answer':
            return { ...prev, answer: event.report, askRefusal: undefined, asking: false };
          case 'ask-refused':
            return { ...prev, askRefusal: event.message, asking: false };
          case 'error':
            return { ...prev, failures: [...prev.failures, event.failure], progress: undefined };
        }
      });
    });
    engine.send({ type: 'init', preference: backendPreferenceFromUrl(), modelUrl: new URL(`${import.meta.env.BASE_URL}model/`, location.href).href });
    return () => {
      unsubscribe();
      engine.terminate();
    };
  }, []);
  const nextId = useRef(1);
  const ask = useCallback((question: string) => {
    setState((prev) => ({ ...prev, asking: true, askRefusal: undefined }));
    client.current?.send({ type: 'ask', id: nextId.current++, question });
  }, []);
  return { ...state, ask };
}

/** `?backend=wasm` (or cpu, webgpu) forces a backend: shareable, and handy for comparing speed. */
function backendPreferenceFromUrl(): ('webgpu' | 'wasm' | 'cpu')[] | undefined {
  const wanted = new URLSearchParams(location.search).get('backend');
  if (wanted === 'webgpu' || wanted === 'wasm' || wanted === 'cpu') return [wanted, 'cpu'];
  return undefined;
}
