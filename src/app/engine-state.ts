/**
 * The page's picture of the engine: a pure reducer from worker events to state, so every panel renders from
 * one place and the reducer can be tested without a worker.
 */
import type {
  AnswerReport,
  BackendReport,
  EngineEvent,
  EngineFailure,
  MetricsPoint,
  ModelReport,
  RaceState,
  SlotInfo,
  SlotStepData,
  StepSummary,
  StoreStatus,
  BackendMemory,
  StreamState,
  TaughtFactSummary,
} from '../worker/protocol';

export interface LastStep {
  fact: TaughtFactSummary;
  step: StepSummary;
  slots: SlotStepData;
  memory: BackendMemory;
}

export interface EngineState {
  backend?: BackendReport;
  model?: ModelReport;
  /** True once the model is loaded, stored facts restored and the first evaluation is done. */
  ready: boolean;
  /** True once the model is loaded and stored facts restored: Teach need not wait for the first evaluation. */
  teachable: boolean;
  /** The evaluation running now: facts scored plus windows read of total, and the estimated ms left. */
  evalProgress?: { done: number; total: number; etaMs: number | null; stage?: string };
  answer?: AnswerReport;
  /** Why the last question was not answered, in words for the person who asked. */
  askRefusal?: string;
  asking: boolean;
  progress?: { stage: string; done: number; total: number };
  failures: EngineFailure[];
  notices: string[];
  evalSetup?: { retentionFacts: number; retentionTotal: number; nllTokens: number };
  facts: TaughtFactSummary[];
  /** Every slot some taught fact wrote. */
  changedSlots: Int32Array;
  lastStep?: LastStep;
  teachRefusal?: string;
  /** What the worker is doing now, when it is doing model work. */
  busy?: string;
  /** The main model's curve. */
  points: MetricsPoint[];
  /** The method race's curves (all methods). */
  racePoints: MetricsPoint[];
  stream: StreamState;
  race: RaceState;
  slotInfo?: SlotInfo;
  importMessage?: { ok: boolean; text: string };
  /** Whether this page saves its taught facts (another tab may). */
  store?: StoreStatus;
  /** Facts stored for an earlier checkpoint, offered to teach again. */
  earlier?: Extract<EngineEvent, { type: 'earlier-facts' }>;
}

export const INITIAL_STATE: EngineState = {
  ready: false,
  teachable: false,
  asking: false,
  failures: [],
  notices: [],
  facts: [],
  changedSlots: new Int32Array(0),
  points: [],
  racePoints: [],
  stream: { status: 'idle', index: 0, total: 0, rate: 0 },
  race: { status: 'idle', index: 0, total: 0, labels: {} },
};

/** Notices kept on screen; older ones scroll away. */
const MAX_NOTICES = 4;

/** Things the page itself changes before the worker answers. */
export type PageAction = { type: 'page-asking' } | { type: 'page-dismiss-notice'; index: number };

export function reduce(prev: EngineState, event: EngineEvent | PageAction): EngineState {
  switch (event.type) {
    case 'page-asking':
      return { ...prev, asking: true, askRefusal: undefined };
    case 'page-dismiss-notice':
      return { ...prev, notices: prev.notices.filter((_, i) => i !== event.index) };
    case 'progress':
      return { ...prev, progress: { stage: event.stage, done: event.done, total: event.total } };
    case 'backend':
      return { ...prev, backend: event.report, progress: undefined };
    case 'model':
      return { ...prev, model: event.report, progress: undefined };
    case 'teachable':
      return { ...prev, teachable: true };
    case 'eval-progress':
      return { ...prev, evalProgress: event.total > 0 && event.done < event.total ? { done: event.done, total: event.total, etaMs: event.etaMs, stage: event.stage } : undefined };
    case 'eval-setup':
      return { ...prev, evalSetup: { retentionFacts: event.retentionFacts, retentionTotal: event.retentionTotal, nllTokens: event.nllTokens } };
    case 'answer':
      return { ...prev, answer: event.report, askRefusal: undefined, asking: false };
    case 'ask-refused':
      return { ...prev, askRefusal: event.message, asking: false };
    case 'taught':
      return { ...prev, lastStep: { fact: event.fact, step: event.step, slots: event.slots, memory: event.memory }, teachRefusal: undefined };
    case 'teach-refused':
      return { ...prev, teachRefusal: event.message };
    case 'facts':
      return { ...prev, facts: event.facts, changedSlots: event.changedSlots };
    case 'metrics':
      if (event.point.run === 'race') return { ...prev, racePoints: [...prev.racePoints, event.point] };
      return { ...prev, points: [...prev.points, event.point], ready: true, evalProgress: undefined };
    case 'metrics-reset':
      return event.run === 'race' ? { ...prev, racePoints: event.points } : { ...prev, points: event.points };
    case 'stream':
      return { ...prev, stream: event.state };
    case 'race':
      return { ...prev, race: event.state };
    case 'slot-info':
      return { ...prev, slotInfo: event.info };
    case 'exported':
      return { ...prev, importMessage: { ok: true, text: `Exported ${event.facts} fact${event.facts === 1 ? '' : 's'} (${event.rows} rows) as ${event.fileName}.` } };
    case 'imported':
      return { ...prev, importMessage: { ok: true, text: `Imported ${event.fileName}: ${event.facts} fact${event.facts === 1 ? '' : 's'}, ${event.rows} rows.` } };
    case 'import-refused':
      return { ...prev, importMessage: { ok: false, text: event.message } };
    case 'notice':
      return { ...prev, notices: [...prev.notices, event.message].slice(-MAX_NOTICES) };
    case 'busy':
      return { ...prev, busy: event.busy ? event.what ?? 'Working' : undefined };
    case 'store-status':
      return { ...prev, store: event.status };
    case 'earlier-facts':
      return { ...prev, earlier: event.facts.length > 0 ? event : undefined };
    case 'error':
      return { ...prev, failures: [...prev.failures, event.failure], progress: undefined, asking: false };
  }
}
