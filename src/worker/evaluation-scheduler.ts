/**
 * When the main model is measured and what the charts hold: the evaluation context (sized to the device on the
 * first evaluation), the main curve's points, the steps since the last point (a stream is measured every
 * `evalEvery` facts) and one fact's own recall. Runs inside the engine's queued jobs; `queue` only tells the
 * first evaluation that work waits, and queues it again behind that work.
 */
import { scoreFacts } from '../eval/fact-recall';
import { trimGpuPool } from './gpu-memory';
import {
  buildEvalContext,
  DEFAULT_EVAL_SIZE,
  evaluateModel,
  EvaluationStopped,
  measureEvalSpeed,
  sizeForBudget,
  type EvalContext,
  type EvalHooks,
} from './eval-runner';
import type { MainModel } from './main-model';
import { historyToKeep } from './metrics-history';
import type { EngineEvent, EvalSize, MetricsPoint } from './protocol';
import type { SerialQueue } from './serial-queue';
import type { TaughtFact, TaughtFacts } from './taught-facts';

/** The first evaluation, sized to the device's measured speed, should take about this long. */
const FIRST_EVAL_BUDGET_MS = 10_000;

export class EvaluationScheduler {
  private evalContext: EvalContext | null = null;
  private points: MetricsPoint[] = [];
  private stepsSinceEval = 0;
  private msSinceEval = 0;
  /** Facts scored per evaluation part: smaller on a slow device, so progress moves (set by firstEvaluation). */
  private evalChunk = 48;

  constructor(
    private readonly post: (event: EngineEvent) => void,
    private readonly main: MainModel,
    private readonly taught: TaughtFacts,
    private readonly queue: SerialQueue,
    private readonly postFacts: () => void,
  ) {}

  /** The evaluation's probe facts and text windows, null before the model is attached. */
  get context(): EvalContext | null {
    return this.evalContext;
  }

  /** `sizedNote`: why the evaluation was made smaller on this device, said beside the model. */
  setUp(retention: string, heldout: string, size?: EvalSize, sizedNote?: string): void {
    this.evalContext = buildEvalContext(retention, heldout, this.main.tokenizer, size);
    const context = this.evalContext;
    this.post({
      type: 'eval-setup',
      retentionFacts: context.retention.length,
      retentionTotal: context.retentionTotal,
      nllTokens: context.nllWindows.reduce((n, w) => n + w.length, 0),
      sizedNote,
    });
  }

  /** The charts' history from before the reload, for the facts that came back (chart-history.ts). */
  restoreHistory(chartHistory: MetricsPoint[] | undefined): void {
    const history = historyToKeep(chartHistory, this.taught.size);
    if (history.length > 0) {
      this.points = history;
      this.post({ type: 'metrics-reset', run: 'main', points: history });
    }
  }

  /**
   * The starting point, measured without keeping anyone from teaching (on a software GPU the first evaluation
   * took 98 s while Teach stayed disabled). Unless the URL chose a size (?probe, ?nll), the live evaluation is
   * sized to this device's measured speed so it fits FIRST_EVAL_BUDGET_MS; it reports progress with an estimate;
   * and it gives way to a fact waiting to be taught, whose own evaluation then gives the first point.
   */
  async firstEvaluation(retention: string, heldout: string, chosen?: EvalSize): Promise<void> {
    const { model, tokenizer } = this.main;
    try {
      if (!chosen) {
        // Timed twice when slow: the first run also compiles the GPU pipelines, a one-time cost.
        const timing = (done: number) => this.post({ type: 'eval-progress', done, total: 2, etaMs: null, stage: 'Timing this device on 4 questions and 1 text window' });
        timing(0);
        let speed = await measureEvalSpeed(model, tokenizer, this.evalContext!);
        if (speed.msPerFact > 500) {
          if (this.queue.size > 1) throw new EvaluationStopped('a fact waits');
          timing(1);
          speed = await measureEvalSpeed(model, tokenizer, this.evalContext!);
        }
        this.evalChunk = Math.max(4, Math.min(48, Math.floor(2000 / Math.max(1, speed.msPerFact))));
        const size = sizeForBudget(speed, DEFAULT_EVAL_SIZE, FIRST_EVAL_BUDGET_MS);
        if (size.probeFacts < DEFAULT_EVAL_SIZE.probeFacts || size.nllWindows < DEFAULT_EVAL_SIZE.nllWindows) {
          const seconds = Math.max(1, Math.round((size.probeFacts * speed.msPerFact + size.nllWindows * speed.msPerWindow) / 1000));
          // Said beside the model (ModelStatus), not as a notice: it describes the device, not the taught facts.
          this.setUp(
            retention,
            heldout,
            size,
            `This device runs the model slowly (${(speed.msPerFact / 1000).toFixed(1)} s per probe question), so each evaluation measures ${size.probeFacts} ` +
              `retention-probe facts and ${size.nllWindows} text window${size.nllWindows === 1 ? '' : 's'} (about ${seconds} s) instead of ` +
              `${DEFAULT_EVAL_SIZE.probeFacts} and ${DEFAULT_EVAL_SIZE.nllWindows}. ?probe=96&nll=8 in the address measures the full subset.`,
          );
        }
      }
      await this.evaluate({ shouldStop: () => this.queue.size > 1 });
    } catch (error) {
      if (!(error instanceof EvaluationStopped)) throw error;
      this.post({ type: 'eval-progress', done: 0, total: 0, etaMs: null });
      this.post({ type: 'busy', busy: false });
      // It gave way to waiting work (a fact, a question). Once that is done, measure unless the work did (a fact
      // taught by hand is measured at once), at the size already chosen.
      const context = this.evalContext!;
      const size = { probeFacts: context.retention.length, nllWindows: context.nllWindows.length };
      void this.queue.run(() => (this.points.length > 0 ? Promise.resolve() : this.firstEvaluation(retention, heldout, size)));
    }
  }

  /** A learning step was taken on the main model (for the next point's ms per step). */
  stepTaken(ms: number): void {
    this.stepsSinceEval++;
    this.msSinceEval += ms;
  }

  /** A stream's facts are measured every `evalEvery` facts. */
  get due(): boolean {
    return this.stepsSinceEval >= this.main.settings.evalEvery;
  }

  /** Recall of every taught fact, retention and held-out NLL: one chart point. */
  async evaluate(hooks: Pick<EvalHooks, 'shouldStop'> = {}): Promise<void> {
    if (!this.evalContext) return;
    this.post({ type: 'busy', busy: true, what: 'Evaluating recall, retention and NLL' });
    const entries = this.taught.entries;
    const onProgress = (done: number, total: number, elapsedMs: number) =>
      this.post({ type: 'eval-progress', done, total, etaMs: done > 0 ? (elapsedMs / done) * (total - done) : null });
    onProgress(0, entries.length + this.evalContext.retention.length + this.evalContext.nllWindows.length, 0);
    const result = await evaluateModel(this.main.model, this.main.tokenizer, this.evalContext, entries.map((e) => e.fact), { ...hooks, onProgress, chunk: this.evalChunk });
    result.recall.forEach((score, i) => {
      entries[i].recalled = score.exactMatch;
      entries[i].logprob = score.logprob;
      entries[i].answer = score.answer;
    });
    const point: MetricsPoint = {
      run: 'main',
      method: 'sparse',
      facts: entries.length,
      recall: entries.length > 0 ? result.recall.filter((s) => s.exactMatch).length / entries.length : null,
      retention: result.retention,
      nll: result.nll,
      msPerStep: this.stepsSinceEval > 0 ? this.msSinceEval / this.stepsSinceEval : null,
      evalMs: result.ms,
    };
    this.stepsSinceEval = 0;
    this.msSinceEval = 0;
    await trimGpuPool();
    this.points.push(point);
    this.post({ type: 'metrics', point });
    this.postFacts();
    this.post({ type: 'busy', busy: false });
  }

  /** One fact's recall on its eval-only question, shown in the facts list before the full evaluation ends. */
  async measureRecall(entry: TaughtFact): Promise<void> {
    const [score] = await scoreFacts(this.main.model, this.main.tokenizer, [entry.fact]);
    entry.recalled = score.exactMatch;
    entry.logprob = score.logprob;
    entry.answer = score.answer;
    this.postFacts();
  }

  /** After an undo the curve beyond the new fact count no longer describes this model. */
  trimPoints(): void {
    const n = this.taught.size;
    const kept = this.points.filter((p) => p.facts < n);
    if (kept.length !== this.points.length) {
      this.points = kept;
      this.post({ type: 'metrics-reset', run: 'main', points: kept });
    }
  }

  /** The curve starts over (reset, or another tab's history taken over). */
  clearPoints(): void {
    this.points = [];
    this.post({ type: 'metrics-reset', run: 'main', points: [] });
  }
}
