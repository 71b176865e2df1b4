/**
 * The engine worker: owns tfjs, the GPU device and (later) the model, so the page never blocks.
 * It answers commands from protocol.ts with events.
 */
/// <reference lib="webworker" />
import { describeBackend, initBackend } from '../gpu/tf-backend';
import { GpuError } from '../gpu/gpu-errors';
import { CheckpointError, fetchSource, loadCheckpoint } from '../model/checkpoint';
import { EngramModel } from '../model/transformer';
import { greedyDecodeWithProbs } from '../model/answers';
import { fetchTokenizer, type EngramTokenizer } from '../model/tokenizer';
import { questionPrompt } from '../facts/question';
import type { EngineCommand, EngineEvent, EngineFailure, ModelReport } from './protocol';

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

let model: EngramModel | null = null;
let tokenizer: EngramTokenizer | null = null;
const MAX_ANSWER_TOKENS = 12;

async function loadModel(modelUrl: string): Promise<EngramModel> {
  const started = performance.now();
  const stage = 'Downloading the model';
  const checkpoint = await loadCheckpoint(fetchSource(modelUrl), {
    onProgress: (loaded, total) => post({ type: 'progress', stage, done: loaded, total: total ?? 0 }),
  });
  post({ type: 'progress', stage: 'Uploading the model to the GPU', done: 0, total: 1 });
  const loaded = EngramModel.fromCheckpoint(checkpoint);
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
  };
  post({ type: 'model', report });
  return loaded;
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
      model?.dispose();
      tokenizer = await fetchTokenizer(`${command.modelUrl}tokenizer.json`);
      model = await loadModel(command.modelUrl);
      return;
    }
    case 'ask': {
      if (!model || !tokenizer) {
        post({ type: 'ask-refused', id: command.id, message: 'The model is still loading; ask again in a moment.' });
        return;
      }
      const formatted = questionPrompt(command.question);
      if (!formatted.ok) {
        post({ type: 'ask-refused', id: command.id, message: formatted.message });
        return;
      }
      const prompt = tokenizer.encode(formatted.prompt);
      if (prompt.length + MAX_ANSWER_TOKENS > model.cfg.context) {
        post({ type: 'ask-refused', id: command.id, message: `That question is ${prompt.length} tokens long; the model reads at most ${model.cfg.context - MAX_ANSWER_TOKENS}.` });
        return;
      }
      const started = performance.now();
      const newline = tokenizer.encode('\n');
      const { ids, probs } = await greedyDecodeWithProbs(model, prompt, MAX_ANSWER_TOKENS, [tokenizer.eosId, ...newline]);
      const texts = tokenizer.tokenStrings(ids);
      post({
        type: 'answer',
        report: {
          id: command.id,
          question: command.question,
          answer: tokenizer.decode(ids).trim(),
          tokens: texts.map((text, i) => ({ text, prob: probs[i] })),
          ms: performance.now() - started,
        },
      });
      return;
    }
  }
}

self.addEventListener('message', (message: MessageEvent<EngineCommand>) => {
  handle(message.data).catch((error: unknown) => post({ type: 'error', failure: toFailure(error) }));
});
