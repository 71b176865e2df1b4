/**
 * Everything the worker does with the model, behind the commands of protocol.ts, as one coordinator: it owns the
 * serial job queue (a teaching step, an evaluation and an answer never interleave on the value table) and hands
 * each job to the module that does it:
 *
 *   main-model.ts              the model, tokenizer, pretrained table and sparse learner
 *   data-files.ts              the probes, held-out text and teach packs
 *   evaluation-scheduler.ts    when the model is measured, and the main curve
 *   teaching.ts                teaching a fact (typed, streamed) or a list of facts again
 *   undo.ts                    undo and reset
 *   patch-io.ts                patch export and import
 *   persistence-coordinator.ts restoring from storage, taking over saving, an earlier checkpoint's facts
 *   answerer.ts                Ask
 *   slot-inspector.ts          the slot inspector
 *   stream-runner.ts, race-runner.ts  the stream and the method race
 */
import type { Fact, PackName } from '../facts/fact';
import { validateFact } from '../facts/parse-fact';
import type { EngramModel } from '../model/transformer';
import { answer } from './answerer';
import { DataFiles } from './data-files';
import { parseJsonl } from './eval-runner';
import { knownFactsFor } from '../learn/relation-background';
import { decodeRelationBackground } from '../learn/relation-background-file';
import type { BackgroundStats } from '../learn/tfidf';
import { nSlots } from '../model/config';
import type { EngineParts } from './engine-parts';
import { EvaluationScheduler } from './evaluation-scheduler';
import { FactPersistence } from './fact-persistence';
import { MainModel, type LoadedModel } from './main-model';
import { exportFacts, importPatch } from './patch-io';
import { PersistenceCoordinator } from './persistence-coordinator';
import type { EngineEvent, EvalSize, LearnSettings, MetricsPoint, TaughtFactSummary } from './protocol';
import { RaceRunner } from './race-runner';
import { SerialQueue } from './serial-queue';
import { SlotInspector } from './slot-inspector';
import { StreamRunner } from './stream-runner';
import { TaughtFacts } from './taught-facts';
import { teachFact } from './teaching';
import { resetToBase, undoFact } from './undo';

export type { LoadedModel } from './main-model';

export class Engine {
  private readonly queue = new SerialQueue();
  private readonly taught = new TaughtFacts();
  private readonly stream: StreamRunner;
  private readonly main: MainModel;
  private readonly parts: EngineParts;
  private readonly metrics: EvaluationScheduler;
  private readonly stored: PersistenceCoordinator;
  private readonly inspector: SlotInspector;
  private data!: DataFiles;
  private race: RaceRunner | null = null;
  /**
   * Settles when attach has the tokenizer, the data files and the stored facts in place. The page may send a
   * command as soon as the model is downloaded, before that: model work waits for it instead of failing.
   */
  private readonly attached: Promise<void>;
  private settleAttached!: (failure?: Error) => void;

  constructor(
    private readonly post: (event: EngineEvent) => void,
    settings: LearnSettings,
  ) {
    this.attached = new Promise<void>((resolve, reject) => {
      this.settleAttached = (failure) => (failure ? reject(failure) : resolve());
    });
    // Nothing may wait when attach fails; the failure itself is reported by whoever called attach.
    this.attached.catch(() => undefined);
    this.main = new MainModel(settings);
    this.metrics = new EvaluationScheduler(post, this.main, this.taught, this.queue, () => post(this.taught.factsEvent()));
    this.parts = { post, main: this.main, taught: this.taught, saver: new FactPersistence(post), metrics: this.metrics };
    this.stored = new PersistenceCoordinator(this.parts);
    this.inspector = new SlotInspector(post, this.main, this.taught, () => this.data);
    this.stream = new StreamRunner({
      teach: (fact) => this.teach(fact, fact.pack),
      onState: (state) => this.post({ type: 'stream', state }),
    });
  }

  /** Takes a freshly loaded model, restores stored facts and measures the starting point. */
  async attach(loaded: LoadedModel, evalSize?: EvalSize, chartHistory?: MetricsPoint[]): Promise<void> {
    let texts: { retention: string; heldout: string };
    try {
      texts = await this.setUp(loaded, evalSize, chartHistory);
    } catch (error) {
      this.settleAttached(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    this.settleAttached();
    // Teach is open from here on; the starting point is measured next, without holding a fact back.
    this.post({ type: 'teachable' });
    await this.queue.run(() => this.metrics.firstEvaluation(texts.retention, texts.heldout, evalSize));
  }

  /** The model, data files and stored facts in place; returns the probe and held-out texts the evaluation reads. */
  private async setUp(loaded: LoadedModel, evalSize?: EvalSize, chartHistory?: MetricsPoint[]): Promise<{ retention: string; heldout: string }> {
    const sha = loaded.checkpoint.manifest.files.weights.sha256;
    this.data = new DataFiles(loaded.dataUrl, sha);
    const [retention, heldout, kb, relationFile] = await Promise.all([
      this.data.text('retention-probe.jsonl'),
      this.data.text('heldout.jsonl'),
      this.data.text('kb.jsonl'),
      this.data.bytes('relation-background.bin').catch((error: unknown) => error as Error),
    ]);
    let counted: Map<string, BackgroundStats> | undefined;
    try {
      if (relationFile instanceof Error) throw relationFile;
      counted = decodeRelationBackground(relationFile, sha, nSlots(loaded.checkpoint.config));
    } catch (error) {
      // Still correct without it: each relation is then counted on this device the first time it is taught.
      console.warn(`The per-relation background file could not be used (${(error as Error).message}); it is counted as facts are taught.`);
    }
    this.main.attach(loaded, knownFactsFor(parseJsonl<Fact>(kb), parseJsonl<Fact>(retention)), counted);
    this.metrics.setUp(retention, heldout, evalSize);
    await this.parts.saver.open();
    await this.stored.restoreStored(this.queue);
    this.metrics.restoreHistory(chartHistory);
    return { retention, heldout };
  }

  /**
   * After a lost device: once the work in flight is done, `rebuild` starts a new backend and returns the model
   * on it; the taught facts are restored onto it from storage (or memory). Returns how many were restored.
   */
  recoverDevice(rebuild: () => Promise<EngramModel>): Promise<number> {
    return this.queue.run(async () => {
      this.main.reattach(await rebuild());
      this.inspector.forget();
      await this.stored.restoreAfterLoss();
      return this.taught.size;
    });
  }

  /** Queued model work, shown on the page as "busy" while it runs. */
  private async work<T>(what: string, job: () => Promise<T>): Promise<T> {
    await this.attached;
    return this.queue.run(async () => {
      this.post({ type: 'busy', busy: true, what });
      try {
        return await job();
      } finally {
        this.post({ type: 'busy', busy: false });
      }
    });
  }

  setSettings(settings: LearnSettings): void {
    this.main.setSettings(settings);
  }

  ask(id: number, question: string): Promise<void> {
    return this.work('Answering', () => answer(this.main, this.post, id, question));
  }

  /** Checks a fact from the page (it may come from any client) and teaches it. */
  teachTyped(input: Fact): Promise<void> {
    const checked = validateFact(input);
    if (!checked.ok) {
      this.post({ type: 'teach-refused', message: checked.message });
      return Promise.resolve();
    }
    return this.teach(checked.fact, 'typed');
  }

  teach(fact: Fact, origin: TaughtFactSummary['origin']): Promise<void> {
    return this.work(`Teaching "${fact.subject}"`, () => teachFact(this.parts, fact, origin));
  }

  undo(factId: number): Promise<void> {
    return this.work('Undoing', () => undoFact(this.parts, factId));
  }

  reset(): Promise<void> {
    this.stream.stop();
    return this.work('Resetting', () => resetToBase(this.parts));
  }

  inspectSlot(slot: number): Promise<void> {
    return this.work('Inspecting the slot', () => this.inspector.inspect(slot));
  }

  exportFacts(ids: readonly number[]): Promise<void> {
    return this.work('Exporting', () => exportFacts(this.parts, ids));
  }

  importPatch(bytes: ArrayBuffer, fileName: string): Promise<void> {
    return this.work('Importing', () => importPatch(this.parts, bytes, fileName));
  }

  takeOverStore(): Promise<void> {
    return this.work('Taking over saving from the other tab', () => this.stored.takeOver());
  }

  reteachEarlier(): Promise<void> {
    return this.work('Teaching again the facts of the earlier model', () => this.stored.reteachEarlier());
  }

  discardEarlier(): Promise<void> {
    return this.work('Discarding the facts of the earlier model', () => this.stored.discardEarlier());
  }

  // ---- streams ----

  async startStream(pack: PackName, rate: number, paused = false, from = 0): Promise<void> {
    const facts = await this.data.pack(pack);
    if (paused) this.stream.prepare(pack, facts, rate, from);
    else this.stream.start(pack, facts, rate, from);
  }

  get streaming(): boolean {
    return this.stream.current.status === 'running';
  }

  pauseStream(): void {
    this.stream.pause();
  }

  resumeStream(): void {
    this.stream.resume();
  }

  stepStream(): Promise<void> {
    return this.stream.step();
  }

  stopStream(): void {
    this.stream.stop();
  }

  // ---- the method race ----

  async startRace(pack: PackName, count: number): Promise<void> {
    const evalContext = this.metrics.context;
    if (!evalContext) return;
    const facts = (await this.data.pack(pack)).slice(0, Math.max(1, Math.min(400, Math.floor(count))));
    this.race?.stop();
    this.race = new RaceRunner({
      work: (what, job) => this.work(what, job),
      post: this.post,
      checkpoint: this.main.checkpoint,
      tokenizer: this.main.tokenizer,
      background: this.main.background,
      evalContext,
    });
    await this.race.start(pack, facts, this.main.settings);
  }

  stopRace(): void {
    this.race?.stop();
  }
}
