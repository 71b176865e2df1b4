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
  /**
   * Notices about the taught facts (restored, undone, recovered): once a fact leaves the list (undo, reset) they
   * no longer describe it and are dropped.
   */
  factNotices: readonly string[];
  evalSetup?: { retentionFacts: number; retentionTotal: number; nllTokens: number; sizedNote?: string };
  facts: TaughtFactSummary[];
  /** Every slot some taught fact wrote. */
  changedSlots: Int32Array;
  lastStep?: LastStep;
  teachRefusal?: string;
  /** A fact typed on this page is on its way to the worker or being taught: Teach waits for it. */
  teaching: boolean;
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
  factNotices: [],
  teaching: false,
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
export type PageAction = { type: 'page-asking' } | { type: 'page-teaching' } | { type: 'page-dismiss-notice'; index: number };

export function reduce(prev: EngineState, event: EngineEvent | PageAction): EngineState {
  switch (event.type) {
    case 'page-asking':
      return { ...prev, asking: true, askRefusal: undefined };
    case 'page-teaching':
      return { ...prev, teaching: true, teachRefusal: undefined };
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
      return { ...prev, evalSetup: { retentionFacts: event.retentionFacts, retentionTotal: event.retentionTotal, nllTokens: event.nllTokens, sizedNote: event.sizedNote } };
    case 'answer':
      return { ...prev, answer: event.report, askRefusal: undefined, asking: false };
    case 'ask-refused':
      return { ...prev, askRefusal: event.message, asking: false };
    case 'taught':
      return {
        ...prev,
        lastStep: { fact: event.fact, step: event.step, slots: event.slots, memory: event.memory },
        teachRefusal: undefined,
        teaching: prev.teaching && event.fact.origin !== 'typed',
      };
    case 'teach-refused':
      return { ...prev, teachRefusal: event.message, teaching: false };
    case 'facts':
      return { ...prev, facts: event.facts, changedSlots: event.changedSlots, ...staleDropped(prev, event.facts) };
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
      return { ...prev, importMessage: { ok: true, text: importedText(event) } };
    case 'import-refused':
      return { ...prev, importMessage: { ok: false, text: event.message } };
    case 'notice': {
      const notices = [...prev.notices, event.message].slice(-MAX_NOTICES);
      if (event.about !== 'taught-facts') return { ...prev, notices };
      return { ...prev, notices, factNotices: [...prev.factNotices, event.message] };
    }
    case 'busy':
      return { ...prev, busy: event.busy ? event.what ?? 'Working' : undefined };
    case 'store-status':
      return { ...prev, store: event.status };
    case 'earlier-facts':
      return { ...prev, earlier: event.facts.length > 0 ? event : undefined };
    case 'error':
      return { ...prev, failures: [...prev.failures, event.failure], progress: undefined, asking: false, teaching: false };
  }
}

function importedText(event: Extract<EngineEvent, { type: 'imported' }>): string {
  const plural = (n: number) => `${n} fact${n === 1 ? '' : 's'}`;
  const skipped = event.skipped > 0 ? ` ${plural(event.skipped)} ${event.skipped === 1 ? 'was' : 'were'} already taught and skipped.` : '';
  if (event.facts === 0 && event.skipped > 0) return `${event.fileName}: nothing imported; ${event.skipped === 1 ? 'its fact is' : `all ${event.skipped} of its facts are`} already taught.`;
  return `Imported ${event.fileName}: ${plural(event.facts)}, ${event.rows} rows.${skipped}`;
}

/**
 * When the list loses a fact (undo, reset), notices about the facts that were listed and the import message
 * stop describing it: drop them rather than leave "Restored 23 taught facts" above an empty list.
 */
function staleDropped(prev: EngineState, facts: readonly TaughtFactSummary[]): Partial<EngineState> {
  const ids = new Set(facts.map((f) => f.id));
  const lost = prev.facts.some((f) => !ids.has(f.id));
  if (!lost) return {};
  const stale = new Set(prev.factNotices);
  return {
    notices: stale.size > 0 ? prev.notices.filter((text) => !stale.has(text)) : prev.notices,
    factNotices: [],
    importMessage: prev.importMessage?.ok ? undefined : prev.importMessage,
  };
}
