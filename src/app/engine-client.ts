/**
 * The page's handle on the engine worker: send typed commands, subscribe to typed events.
 * A worker that fails to load (e.g. a script error) is reported as an event too, never swallowed.
 */
import type { EngineCommand, EngineEvent } from '../worker/protocol';

export interface EngineClient {
  send(command: EngineCommand): void;
  subscribe(listener: (event: EngineEvent) => void): () => void;
  terminate(): void;
}

export function startEngine(): EngineClient {
  const worker = new Worker(new URL('../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'engram-engine' });
  const listeners = new Set<(event: EngineEvent) => void>();
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event));
  worker.addEventListener('message', (message: MessageEvent<EngineEvent>) => emit(message.data));
  worker.addEventListener('error', (error) =>
    emit({
      type: 'error',
      failure: {
        kind: 'internal',
        message: `The engine worker failed to start: ${error.message || 'unknown error'}`,
        remedy: 'Reload the page. If it happens again, please report it with your browser version.',
      },
    }),
  );
  return {
    send: (command) => worker.postMessage(command),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate: () => worker.terminate(),
  };
}
