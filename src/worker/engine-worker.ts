/**
 * The engine worker: owns tfjs, the GPU device and the model, so the page never blocks. It turns commands from
 * protocol.ts into Engine calls and reports every failure as an event (docs/architecture.md §3).
 */
/// <reference lib="webworker" />
import { describeBackend, initBackend, type BackendInfo } from '../gpu/tf-backend';
import { GpuError } from '../gpu/gpu-errors';
import { CheckpointError, fetchSource, loadCheckpoint, type Checkpoint } from '../model/checkpoint';
import { EngramModel } from '../model/transformer';
import { loadTokenizer } from '../model/tokenizer';
import { cachedFetch, cachingSource, type CachingSource } from '../model/checkpoint-cache';
import type { EngineCommand, EngineEvent, EngineFailure, ModelReport } from './protocol';
import { Engine } from './engine';
import { settingsProblems } from './settings';

declare const self: DedicatedWorkerGlobalScope;

function post(event: EngineEvent): void {
  self.postMessage(event);
}

export function toFailure(error: unknown): EngineFailure {
  if (error instanceof GpuError) return { kind: error.kind, message: error.message, remedy: error.remedy };
  if (error instanceof CheckpointError) {
    return { kind: error.kind, message: `The model could not be loaded: ${error.message}`, remedy: 'Reload the page; if it persists, clear the site data so the model is downloaded again.' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', message, remedy: 'Reload the page. If it happens again, please report it with your browser and GPU name.' };
}

let engine: Engine | null = null;
let backend: BackendInfo | null = null;
let init: Extract<EngineCommand, { type: 'init' }> | null = null;

async function startBackend(command: Extract<EngineCommand, { type: 'init' }>): Promise<BackendInfo> {
  const started = performance.now();
  const stage = command.preference && command.preference[0] !== 'webgpu' ? 'Starting the CPU backend' : 'Starting the GPU backend';
  post({ type: 'progress', stage, done: 0, total: 1 });
  let lost = false;
  const info = await initBackend({
    preference: command.preference,
    // After a loss every pending GPU call fails validation; the loss itself is what the person needs to hear.
    onGpuError: (error) => lost || post({ type: 'error', failure: toFailure(error) }),
  });
  post({ type: 'progress', stage, done: 1, total: 1 });
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
  info.device?.lost.then((why) => {
    lost = true;
    void onDeviceLost(info, why);
  });
  return info;
}

async function loadModel(modelUrl: string): Promise<{ checkpoint: Checkpoint; model: EngramModel }> {
  const started = performance.now();
  const stage = 'Downloading the model';
  // The weights come from this browser's cache on a second visit (checkpoint-cache.ts), checked like a download.
  const load = (source: CachingSource) => loadCheckpoint(source, { onProgress: (loaded, total) => post({ type: 'progress', stage, done: loaded, total: total ?? 0 }) });
  let source = cachingSource(fetchSource(modelUrl));
  let checkpoint: Checkpoint;
  try {
    checkpoint = await load(source);
  } catch (error) {
    if (!source.fromCache) throw error;
    await source.discard(); // a damaged cached copy: fetch it again
    source = cachingSource(fetchSource(modelUrl));
    checkpoint = await load(source);
  }
  await source.commit();
  post({ type: 'progress', stage: 'Uploading the model to the GPU', done: 0, total: 1 });
  const model = EngramModel.fromCheckpoint(checkpoint);
  let parameters = 0;
  let bytes = 0;
  const backgroundTensor = checkpoint.manifest.background?.tensor;
  for (const [name, tensor] of checkpoint.tensors) {
    if (name === backgroundTensor) continue; // statistics, not parameters
    parameters += tensor.shape.reduce((a, b) => a * b, 1);
    bytes += tensor.data.byteLength;
  }
  const cfg = checkpoint.config;
  const report: ModelReport = {
    dModel: cfg.dModel,
    nLayers: cfg.nLayers,
    memorySlots: cfg.nKeys * cfg.nKeys,
    memoryHeads: cfg.memHeads,
    topk: cfg.topk,
    valueDim: cfg.valueDim,
    parameters,
    megabytes: bytes / 2 ** 20,
    loadMs: performance.now() - started,
    fromCache: source.fromCache,
  };
  post({ type: 'model', report });
  return { checkpoint, model };
}

let checkpoint: Checkpoint | null = null;

async function fetchCachedTokenizer(url: string, sha256: string) {
  const response = await cachedFetch(url, sha256);
  if (!response.ok) throw new Error(`could not load the tokenizer from ${url}: HTTP ${response.status}`);
  return loadTokenizer(await response.json());
}

/**
 * A lost device (driver reset, or the test hook) is reported, the backend is rebuilt on a new
 * device, the model uploaded again, and the taught facts restored from IndexedDB. Work queued meanwhile waits.
 */
async function onDeviceLost(info: BackendInfo, lost: GPUDeviceLostInfo): Promise<void> {
  if (info !== backend || !init || !engine || !checkpoint) return;
  const current = engine;
  post({ type: 'notice', message: `The GPU device was lost (${lost.message || lost.reason}). Rebuilding the backend and restoring your taught facts from this browser's storage…` });
  const wasStreaming = current.streaming;
  current.pauseStream();
  current.stopRace();
  let restored: number;
  try {
    restored = await current.recoverDevice(async () => {
      backend = await startBackend(init!);
      return EngramModel.fromCheckpoint(checkpoint!);
    });
  } catch (error) {
    post({ type: 'error', failure: toFailure(error) });
    return;
  }
  post({ type: 'notice', about: 'taught-facts', message: `Recovered from the lost GPU device: the ${backend!.name} backend was rebuilt and ${restored} taught fact${restored === 1 ? '' : 's'} restored.` });
  if (wasStreaming) current.resumeStream();
}

async function handle(command: EngineCommand): Promise<void> {
  if (command.type === 'init') {
    init = command;
    backend = await startBackend(command);
    const loaded = await loadModel(command.modelUrl);
    const tokenizer = await fetchCachedTokenizer(`${command.modelUrl}tokenizer.json`, loaded.checkpoint.manifest.files.weights.sha256);
    checkpoint = loaded.checkpoint;
    engine = new Engine(post, command.settings);
    await engine.attach({ ...loaded, tokenizer, dataUrl: command.dataUrl }, command.evalSize, command.chartHistory);
    return;
  }
  if (!engine) {
    if (command.type === 'ask') post({ type: 'ask-refused', id: command.id, message: 'The model is still loading; ask again in a moment.' });
    else post({ type: 'notice', message: 'The model is still loading; try again in a moment.' });
    return;
  }
  switch (command.type) {
    case 'ask':
      return engine.ask(command.id, command.question);
    case 'teach':
      return engine.teachTyped(command.fact);
    case 'take-over-store':
      return engine.takeOverStore();
    case 'reteach-earlier':
      return engine.reteachEarlier();
    case 'discard-earlier':
      return engine.discardEarlier();
    case 'stream':
      return engine.startStream(command.pack, command.rate, false, command.from);
    case 'pause':
      return engine.pauseStream();
    case 'resume':
      return engine.resumeStream();
    case 'step':
      return engine.stepStream();
    case 'stop-stream':
      return engine.stopStream();
    case 'undo':
      return engine.undo(command.factId);
    case 'reset':
      return engine.reset();
    case 'set-settings': {
      const problems = settingsProblems(command.settings);
      if (problems.length > 0) return post({ type: 'notice', message: `Settings not applied: ${problems.join(' ')}` });
      return engine.setSettings(command.settings);
    }
    case 'inspect-slot':
      return engine.inspectSlot(command.slot);
    case 'export':
      return engine.exportFacts(command.factIds);
    case 'import':
      return engine.importPatch(command.bytes, command.fileName);
    case 'race-start':
      return engine.startRace(command.pack, command.count);
    case 'race-stop':
      return engine.stopRace();
    case 'lose-device':
      if (!backend?.device) return post({ type: 'notice', message: 'There is no GPU device to lose: the app runs on the CPU.' });
      backend.device.destroy();
      return;
  }
}

self.addEventListener('message', (message: MessageEvent<EngineCommand>) => {
  handle(message.data).catch((error: unknown) => post({ type: 'error', failure: toFailure(error) }));
});
