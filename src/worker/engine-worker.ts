/**
 * The engine worker: owns tfjs, the GPU device and (later) the model, so the page never blocks.
 * It answers commands from protocol.ts with events.
 */
/// <reference lib="webworker" />
import { describeBackend, initBackend } from '../gpu/tf-backend';
import { GpuError } from '../gpu/gpu-errors';
import type { EngineCommand, EngineEvent, EngineFailure } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

function post(event: EngineEvent): void {
  self.postMessage(event);
}

export function toFailure(error: unknown): EngineFailure {
  if (error instanceof GpuError) return { kind: error.kind, message: error.message, remedy: error.remedy };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', message, remedy: 'Reload the page. If it happens again, please report it with your browser and GPU name.' };
}

async function handle(command: EngineCommand): Promise<void> {
  switch (command.type) {
    case 'init': {
      const started = performance.now();
      post({ type: 'progress', stage: 'Starting the GPU backend', done: 0, total: 1 });
      const info = await initBackend({
        preference: command.preference,
        onGpuError: (error) => post({ type: 'error', failure: toFailure(error) }),
      });
      post({ type: 'progress', stage: 'Starting the GPU backend', done: 1, total: 1 });
      post({
        type: 'backend',
        report: {
          name: info.name,
          adapter: info.adapter,
          fallback: info.fallbackReason ? toFailure(info.fallbackReason) : undefined,
          description: describeBackend(info),
          initMs: performance.now() - started,
        },
      });
      return;
    }
  }
}

self.addEventListener('message', (message: MessageEvent<EngineCommand>) => {
  handle(message.data).catch((error: unknown) => post({ type: 'error', failure: toFailure(error) }));
});
