/**
 * The typed message protocol between the page and the engine worker (style.md #8).
 * Commands flow page -> worker, events flow worker -> page; both are discriminated unions on `type`.
 * Only plain, structured-cloneable data crosses this boundary.
 */
import type { GpuErrorKind } from '../gpu/gpu-errors';
import type { AdapterSummary } from '../gpu/detect-webgpu';
import type { BackendName } from '../gpu/tf-backend';
import type { CheckpointErrorKind } from '../model/checkpoint';

export type EngineCommand =
  | { type: 'init'; preference?: BackendName[]; /** Where public/model/ is served, e.g. "/model/". */ modelUrl: string }
  | { type: 'ask'; id: number; question: string };

/** A failure as the UI shows it: what happened and what to do. */
export interface EngineFailure {
  kind: GpuErrorKind | CheckpointErrorKind | 'internal';
  message: string;
  remedy: string;
}

export interface BackendReport {
  name: BackendName;
  /** Present when the backend is webgpu. */
  adapter?: AdapterSummary;
  /** Why WebGPU is not in use, when it is not. */
  fallback?: EngineFailure;
  /** A one-line description, e.g. "WebGPU on google swiftshader (software fallback)". */
  description: string;
  /** ms from the init command to a ready backend. */
  initMs: number;
}

/** What the page shows about the loaded model. */
export interface ModelReport {
  dModel: number;
  nLayers: number;
  memorySlots: number;
  memoryHeads: number;
  topk: number;
  valueDim: number;
  parameters: number;
  megabytes: number;
  loadMs: number;
}

/** A greedy answer, token by token, with the probability the model gave each token. */
export interface AnswerReport {
  id: number;
  question: string;
  answer: string;
  tokens: { text: string; prob: number }[];
  ms: number;
}

export type EngineEvent =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'backend'; report: BackendReport }
  | { type: 'model'; report: ModelReport }
  | { type: 'answer'; report: AnswerReport }
  | { type: 'ask-refused'; id: number; message: string }
  | { type: 'error'; failure: EngineFailure };
