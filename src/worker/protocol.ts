/**
 * The typed message protocol between the page and the engine worker (docs/architecture.md §3).
 * Commands flow page -> worker, events flow worker -> page; both are discriminated unions on `type`.
 * Only plain, structured-cloneable data crosses this boundary (typed arrays included).
 */
import type { GpuErrorKind } from '../gpu/gpu-errors';
import type { AdapterSummary } from '../gpu/detect-webgpu';
import type { BackendName } from '../gpu/tf-backend';
import type { CheckpointErrorKind } from '../model/checkpoint';
import type { Fact, PackName } from '../facts/fact';
import type { MethodName } from '../learn/learner';

/** Everything a person can tune; one typed home with defaults in settings.ts. */
export interface LearnSettings {
  /** Sparse memory finetuning: value rows trained per fact. */
  readonly t: number;
  /** Sparse memory finetuning: learning rate on the sum-reduced loss. */
  readonly lr: number;
  /** Optimizer steps per fact (all methods). */
  readonly steps: number;
  /** Teaching batch size: paraphrases of the fact per step (all methods). */
  readonly paraphrases: number;
  /** Full finetuning learning rate (race only). */
  readonly fullLr: number;
  /** LoRA learning rate (race only). */
  readonly loraLr: number;
  /** Streams: evaluate recall, retention and NLL after every this many facts (a fact taught by hand is measured at once). */
  readonly evalEvery: number;
}

export interface EvalSize {
  /** Retention-probe facts, spread over the relations (default 96). */
  readonly probeFacts: number;
  /** Held-out text windows of 64 tokens (default 8). */
  readonly nllWindows: number;
}

export type EngineCommand =
  | {
      type: 'init';
      preference?: BackendName[];
      /** Where public/model/ is served, e.g. "http://host/model/". */
      modelUrl: string;
      /** Where public/data/ is served. */
      dataUrl: string;
      settings: LearnSettings;
      /** Size of the live evaluation: retention-probe facts and held-out windows (smaller is quicker). */
      evalSize?: EvalSize;
      /** The main curve as stored in this browser (chart-history.ts), taken back when taught facts are restored. */
      chartHistory?: MetricsPoint[];
    }
  | { type: 'ask'; id: number; question: string }
  | { type: 'teach'; fact: Fact }
  /** Make this page the one that saves taught facts (another tab held the store). */
  | { type: 'take-over-store' }
  /** Teach again, on this checkpoint, the facts stored for an earlier one (their text only). */
  | { type: 'reteach-earlier' }
  | { type: 'discard-earlier' }
  | {
      type: 'stream';
      pack: PackName;
      /** facts per minute; 0 = as fast as the model learns */
      rate: number;
      /** The pack's fact to start at (0-based): where an earlier stream of it stopped. Default 0. */
      from?: number;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'stop-stream' }
  | { type: 'undo'; factId: number }
  | { type: 'reset' }
  | { type: 'export'; factIds: number[] }
  | { type: 'import'; bytes: ArrayBuffer; fileName: string }
  | { type: 'set-settings'; settings: LearnSettings }
  | { type: 'race-start'; pack: PackName; count: number }
  | { type: 'race-stop' }
  | { type: 'inspect-slot'; slot: number }
  /** Test hook (recovery from a lost device): destroys the GPUDevice as a driver crash would. */
  | { type: 'lose-device' };

/** A failure as the UI shows it: what happened and what to do. */
export interface EngineFailure {
  kind: GpuErrorKind | CheckpointErrorKind | 'internal' | 'storage';
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
  /** The weights came from this browser's cache (a second visit), not the network. */
  fromCache?: boolean;
}

export interface DecodedAnswer {
  answer: string;
  tokens: { text: string; prob: number }[];
}

/** A greedy answer, token by token, with the probability the model gave each token; and the base model's. */
export interface AnswerReport extends DecodedAnswer {
  id: number;
  question: string;
  /** The pretrained model's answer to the same question (before any fact was taught). */
  base: DecodedAnswer;
  ms: number;
}

/** A taught fact as the facts list shows it. */
export interface TaughtFactSummary {
  id: number;
  fact: Fact;
  /** Where it came from: typed, a pack, or an imported patch. */
  origin: 'typed' | PackName | 'import';
  /** Eval-only question answered exactly, as of the last evaluation (undefined until evaluated). */
  recalled?: boolean;
  /** Log-probability of the object on the eval-only question, as of the last evaluation. */
  logprob?: number;
  /** The model's greedy answer to the eval-only question, as of the last evaluation. */
  answer?: string;
  /** Value rows this fact wrote. */
  rows: number;
  ms: number;
}

/** One fact's step, for the slot map: what the batch read, what was chosen, how much each row moved. */
export interface SlotStepData {
  factId: number;
  /** Every slot the batch's non-pad tokens read, with its count (the TF counts). */
  readSlots: Int32Array;
  readCounts: Uint32Array;
  /** The top-t rows written, best first, with TF-IDF scores and the L2 norm of each row's change. */
  selected: Int32Array;
  scores: Float32Array;
  updateNorms: Float32Array;
}

/** What the tfjs backend holds after a step (memory in use; a leak shows as growth here). */
export interface BackendMemory {
  tensors: number;
  bytes: number;
  /** Of those tensors, the causal masks the model caches, one per sequence length (at most the context). */
  cachedMasks: number;
  /** WebGPU only: bytes of every GPU buffer tfjs holds, for tensors and pooled for reuse. */
  gpuBytesAllocated?: number;
}

export interface StepSummary {
  method: MethodName;
  loss: number;
  ms: number;
  paramsTouched: number;
  /**
   * Whether the step's until-answered check found every wording of its batch answered before the step cap:
   * only such facts are reviewed in later batches. Absent on imported facts and older records (taken as learned).
   */
  answered?: boolean;
}

/** One evaluation point of one method's curve. */
export interface MetricsPoint {
  /** The main model (what the person teaches) or one of the method race's copies. */
  run: 'main' | 'race';
  method: MethodName;
  /** Facts taught so far (x axis). */
  facts: number;
  /** Exact match on the eval-only question over the facts taught so far (null before any fact). */
  recall: number | null;
  /** Exact match over the retention-probe subset (facts the base model knew). */
  retention: number;
  /** Mean held-out next-token loss over the NLL subset, nats/token. */
  nll: number;
  /** Mean ms per learning step since the previous point. */
  msPerStep: number | null;
  /** How long this evaluation took. */
  evalMs: number;
}

export interface StreamState {
  status: 'idle' | 'running' | 'paused';
  pack?: PackName;
  /** Facts of the pack taught so far, and the pack's size. */
  index: number;
  total: number;
  rate: number;
}

export interface RaceState {
  status: 'idle' | 'preparing' | 'running' | 'done';
  pack?: PackName;
  index: number;
  total: number;
  /** The settings each method runs with, for the legend. */
  labels: Partial<Record<MethodName, string>>;
}

/** What the slot inspector shows about one slot. */
export interface SlotInfo {
  slot: number;
  /** log((|B| + 1) / (df + 1)) over the shipped background batches. */
  idf: number;
  df: number;
  backgroundBatches: number;
  /** Taught facts whose step wrote this slot. */
  facts: { id: number; text: string }[];
  /** Tokens of a held-out text sample that read this slot most, with read counts. */
  tokens: { text: string; count: number }[];
  /** How many tokens that sample had. */
  sampleTokens: number;
}

/** Whether this page saves its taught facts (src/worker/fact-persistence.ts). */
export interface StoreStatus {
  /**
   * 'here': this page saves them; 'other-tab': the app was open in another tab when this one started, which
   * saves; 'taken-over': another tab took saving over from this one; 'unavailable': storage could not be opened.
   */
  saving: 'here' | 'other-tab' | 'taken-over' | 'unavailable';
  /** Facts taught on this page that are not in storage. */
  unsaved: number;
}

export type EngineEvent =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'backend'; report: BackendReport }
  | { type: 'model'; report: ModelReport }
  /** The evaluation subsets, so the UI can say what it measures. */
  | { type: 'eval-setup'; retentionFacts: number; retentionTotal: number; nllTokens: number; /** Why the evaluation was made smaller on this device. */ sizedNote?: string }
  /** The model is loaded and stored facts restored: facts can be taught (the first evaluation may still run). */
  | { type: 'teachable' }
  /** An evaluation's progress: facts scored plus text windows read, of total; etaMs estimated from the pace so far. total 0: none running. */
  | { type: 'eval-progress'; done: number; total: number; etaMs: number | null; stage?: string }
  | { type: 'answer'; report: AnswerReport }
  | { type: 'ask-refused'; id: number; message: string }
  | { type: 'taught'; fact: TaughtFactSummary; step: StepSummary; slots: SlotStepData; memory: BackendMemory }
  | { type: 'teach-refused'; message: string }
  /** The whole facts list, after any change (it is small: one line per fact). */
  | { type: 'facts'; facts: TaughtFactSummary[]; changedSlots: Int32Array }
  | { type: 'metrics'; point: MetricsPoint }
  /** Curves were invalidated (reset, undo, import): the page clears and redraws from these. */
  | { type: 'metrics-reset'; run: 'main' | 'race'; points: MetricsPoint[] }
  | { type: 'stream'; state: StreamState }
  | { type: 'race'; state: RaceState }
  | { type: 'slot-info'; info: SlotInfo }
  | { type: 'exported'; bytes: ArrayBuffer; fileName: string; facts: number; rows: number }
  /** `skipped`: facts of the patch that were already taught (same subject, relation and object), not applied again. */
  | { type: 'imported'; facts: number; rows: number; fileName: string; skipped: number }
  | { type: 'import-refused'; message: string }
  /** Something the person should know that is not a failure (restored facts, a recovered device). */
  /** `about: 'taught-facts'`: it describes the taught facts as they are now; the page drops it once they change. */
  | { type: 'notice'; message: string; about?: 'taught-facts' }
  | { type: 'store-status'; status: StoreStatus }
  /**
   * Facts stored for an earlier checkpoint, kept as text (their rows only fit that model), offered to teach
   * again; empty once they are taught again or discarded. `models`: the checkpoints' sha256s, `current` this one's.
   */
  | { type: 'earlier-facts'; facts: Fact[]; models: string[]; current: string; canReteach: boolean }
  /** True while the worker runs a learning step or an evaluation. */
  | { type: 'busy'; busy: boolean; what?: string }
  | { type: 'error'; failure: EngineFailure };
