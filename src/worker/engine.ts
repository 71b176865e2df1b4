/**
 * Everything the worker does with the model, behind the commands of protocol.ts: load, ask, teach (typed or
 * streamed), evaluate, undo, reset, persist, inspect slots. Model work goes through one SerialQueue so a
 * teaching step, an evaluation and an answer never interleave on the value table.
 */
import * as tf from '@tensorflow/tfjs';
import { activeWebGPUBackend, gpuBufferBytes, trimBufferPool } from '../gpu/tf-interop';
import type { Fact, PackFact, PackName } from '../facts/fact';
import { PACK_NAMES } from '../facts/fact';
import { questionPrompt } from '../facts/question';
import { validateFact } from '../facts/parse-fact';
import { buildTeachingBatch, FactTooLongError } from '../learn/teaching-batch';
import { writeRows, type RowsSnapshot, type SparseMemoryLearner } from '../learn/sparse-learner';
import { createLearner } from '../learn/methods';
import { NonFiniteStepError } from '../learn/learner';
import { backgroundOf, type BackgroundStats } from '../learn/tfidf';
import { decodePatch, encodePatch, type PatchModel } from '../learn/patch-file';
import { greedyDecodeWithProbs } from '../model/answers';
import type { Checkpoint } from '../model/checkpoint';
import { cachedFetch } from '../model/checkpoint-cache';
import { historyToKeep } from './metrics-history';
import { nSlots } from '../model/config';
import type { EngramTokenizer } from '../model/tokenizer';
import { EngramModel } from '../model/transformer';
import {
  buildEvalContext,
  DEFAULT_EVAL_SIZE,
  evaluateModel,
  EvaluationStopped,
  measureEvalSpeed,
  parseJsonl,
  sizeForBudget,
  type EvalContext,
  type EvalHooks,
} from './eval-runner';
import { scoreFacts } from '../eval/fact-recall';
import type { EarlierFact } from './fact-store';
import { FactPersistence } from './fact-persistence';
import type { BackendMemory, DecodedAnswer, EngineEvent, EvalSize, LearnSettings, MetricsPoint, SlotInfo, StepSummary, TaughtFactSummary } from './protocol';
import { SerialQueue } from './serial-queue';
import { buildSlotTokenIndex, sampleWindows, topTokens, type SlotTokenIndex } from './slot-inspector';
import { RaceRunner } from './race-runner';
import { StreamRunner } from './stream-runner';
import { TaughtFacts, type TaughtFact } from './taught-facts';

const MAX_ANSWER_TOKENS = 12;
/** GPU buffers tfjs may keep pooled for reuse before they are destroyed (on top of those in use). */
const POOLED_GPU_BYTES = 256 * 2 ** 20;
/** The first evaluation, sized to the device's measured speed, should take about this long. */
const FIRST_EVAL_BUDGET_MS = 10_000;

export interface LoadedModel {
  readonly checkpoint: Checkpoint;
  readonly tokenizer: EngramTokenizer;
  readonly model: EngramModel;
  readonly dataUrl: string;
}

export class Engine {
  readonly queue = new SerialQueue();
  readonly taught = new TaughtFacts();
  readonly stream: StreamRunner;
  private model!: EngramModel;
  private tokenizer!: EngramTokenizer;
  private checkpoint!: Checkpoint;
  private dataUrl = '';
  /** The pretrained value table, kept for the base model's answers and for reset. Sparse steps change only V. */
  private baseValues!: tf.Tensor2D;
  private background!: BackgroundStats;
  private learner!: SparseMemoryLearner;
  private evalContext: EvalContext | null = null;
  /** Saves the taught facts, when this page owns the store. */
  private readonly saver: FactPersistence;
  /** Facts stored for an earlier checkpoint, as text, offered to teach again. */
  private earlier: EarlierFact[] = [];
  private slotIndex: Promise<SlotTokenIndex> | null = null;
  private points: MetricsPoint[] = [];
  private stepsSinceEval = 0;
  private msSinceEval = 0;
  private readonly packs = new Map<PackName, PackFact[]>();
  private race: RaceRunner | null = null;
  /** Facts scored per evaluation part: smaller on a slow device, so progress moves (set by firstEvaluation). */
  private evalChunk = 48;

  constructor(
    private readonly post: (event: EngineEvent) => void,
    private settings: LearnSettings,
  ) {
    this.saver = new FactPersistence(post);
    this.stream = new StreamRunner({
      teach: (fact) => this.teach(fact, fact.pack),
      onState: (state) => this.post({ type: 'stream', state }),
    });
  }

  get modelSha(): string {
    return this.checkpoint.manifest.files.weights.sha256;
  }

  /** Takes a freshly loaded model, restores stored facts and measures the starting point. */
  async attach(loaded: LoadedModel, evalSize?: EvalSize, chartHistory?: MetricsPoint[]): Promise<void> {
    this.checkpoint = loaded.checkpoint;
    this.tokenizer = loaded.tokenizer;
    this.model = loaded.model;
    this.dataUrl = loaded.dataUrl;
    this.baseValues = ownedCopy(this.model.values!);
    const background = backgroundOf(loaded.checkpoint);
    if (!background) throw new Error('The checkpoint has no background statistics; sparse memory finetuning needs them.');
    this.background = background;
    this.learner = this.makeLearner();
    const [retention, heldout] = await Promise.all([this.fetchText('retention-probe.jsonl'), this.fetchText('heldout.jsonl')]);
    this.evalContext = buildEvalContext(retention, heldout, this.tokenizer, evalSize);
    this.postEvalSetup();
    await this.saver.open();
    await this.restoreStored();
    // The charts' history from before the reload, for the facts that came back (chart-history.ts).
    const history = historyToKeep(chartHistory, this.taught.size);
    if (history.length > 0) {
      this.points = history;
      this.post({ type: 'metrics-reset', run: 'main', points: history });
    }
    // Teach is open from here on; the starting point is measured next, without holding a fact back.
    this.post({ type: 'teachable' });
    await this.queue.run(() => this.firstEvaluation(retention, heldout, evalSize));
  }

  private postEvalSetup(sizedNote?: string): void {
    const context = this.evalContext!;
    this.post({
      type: 'eval-setup',
      retentionFacts: context.retention.length,
      retentionTotal: context.retentionTotal,
      nllTokens: context.nllWindows.reduce((n, w) => n + w.length, 0),
      sizedNote,
    });
  }

  /**
   * The starting point, measured without keeping anyone from teaching (on a software GPU the first evaluation
   * took 98 s while Teach stayed disabled). Unless the URL chose a size (?probe, ?nll), the live evaluation is
   * sized to this device's measured speed so it fits FIRST_EVAL_BUDGET_MS; it reports progress with an estimate;
   * and it gives way to a fact waiting to be taught, whose own evaluation then gives the first point.
   */
  private async firstEvaluation(retention: string, heldout: string, chosen?: EvalSize): Promise<void> {
    try {
      if (!chosen) {
        // Timed twice when slow: the first run also compiles the GPU pipelines, a one-time cost.
        const timing = (done: number) => this.post({ type: 'eval-progress', done, total: 2, etaMs: null, stage: 'Timing this device on 4 questions and 1 text window' });
        timing(0);
        let speed = await measureEvalSpeed(this.model, this.tokenizer, this.evalContext!);
        if (speed.msPerFact > 500) {
          if (this.queue.size > 1) throw new EvaluationStopped('a fact waits');
          timing(1);
          speed = await measureEvalSpeed(this.model, this.tokenizer, this.evalContext!);
        }
        this.evalChunk = Math.max(4, Math.min(48, Math.floor(2000 / Math.max(1, speed.msPerFact))));
        const size = sizeForBudget(speed, DEFAULT_EVAL_SIZE, FIRST_EVAL_BUDGET_MS);
        if (size.probeFacts < DEFAULT_EVAL_SIZE.probeFacts || size.nllWindows < DEFAULT_EVAL_SIZE.nllWindows) {
          this.evalContext = buildEvalContext(retention, heldout, this.tokenizer, size);
          const seconds = Math.max(1, Math.round((size.probeFacts * speed.msPerFact + size.nllWindows * speed.msPerWindow) / 1000));
          // Said beside the model (ModelStatus), not as a notice: it describes the device, not the taught facts.
          this.postEvalSetup(
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

  /**
   * After the backend was rebuilt (lost device): new model tensors, the taught facts from IndexedDB (or, when
   * storage failed, from memory: the rows are host copies either way). Runs inside a queued job.
   */
  async reattach(model: EngramModel): Promise<void> {
    this.model = model;
    this.baseValues = ownedCopy(model.values!);
    this.learner = this.makeLearner();
    this.slotIndex = null;
    const inMemory = [...this.taught.entries];
    this.taught.clear();
    const stored = await this.loadStored();
    const measured = new Map(inMemory.map((e) => [e.id, e]));
    for (const entry of stored ?? inMemory) {
      // Storage keeps rows, not measurements: carry the last recall over until the next evaluation.
      const known = measured.get(entry.id);
      this.taught.add({ ...entry, recalled: known?.recalled, logprob: known?.logprob, answer: known?.answer });
    }
    this.taught.replayRows(this.model);
    this.postFacts();
  }

  /** Queued model work, shown on the page as "busy" while it runs. */
  private work<T>(what: string, job: () => Promise<T>): Promise<T> {
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
    this.settings = settings;
    this.learner = this.makeLearner();
  }

  // ---- asking ----

  ask(id: number, question: string): Promise<void> {
    return this.work('Answering', async () => {
      const formatted = questionPrompt(question);
      if (!formatted.ok) return this.post({ type: 'ask-refused', id, message: formatted.message });
      const prompt = this.tokenizer.encode(formatted.prompt);
      if (prompt.length + MAX_ANSWER_TOKENS > this.model.cfg.context) {
        return this.post({ type: 'ask-refused', id, message: `That question is ${prompt.length} tokens long; the model reads at most ${this.model.cfg.context - MAX_ANSWER_TOKENS}.` });
      }
      const started = performance.now();
      const current = await this.decode(prompt);
      const base = await this.withBaseValues(() => this.decode(prompt));
      this.post({ type: 'answer', report: { id, question, ...current, base, ms: performance.now() - started } });
    });
  }

  private async decode(prompt: number[]): Promise<DecodedAnswer> {
    const stop = [this.tokenizer.eosId, ...this.tokenizer.encode('\n')];
    const { ids, probs } = await greedyDecodeWithProbs(this.model, prompt, MAX_ANSWER_TOKENS, stop);
    const texts = this.tokenizer.tokenStrings(ids);
    return { answer: this.tokenizer.decode(ids).trim(), tokens: texts.map((text, i) => ({ text, prob: probs[i] })) };
  }

  /** Runs `job` with the pretrained value table swapped in (only V differs between base and taught model). */
  private async withBaseValues<T>(job: () => Promise<T>): Promise<T> {
    const taught = this.model.values;
    this.model.values = this.baseValues;
    try {
      return await job();
    } finally {
      this.model.values = taught;
    }
  }

  // ---- teaching ----

  /** Checks a fact from the page (it may come from any client) and teaches it. */
  teachTyped(input: Fact): Promise<void> {
    const checked = validateFact(input);
    if (!checked.ok) {
      this.post({ type: 'teach-refused', message: checked.message });
      return Promise.resolve();
    }
    return this.teach(checked.fact, 'typed');
  }

  /**
   * Teaches one fact. A fact already taught (same subject, relation and object) is not taught again: a typed one
   * is refused with "already taught", a pack's is skipped. Checked inside the queued job, so quick repeats
   * queued behind the first are caught too. A fact taught by hand is measured at once (its own recall and a
   * chart point); streamed facts every `evalEvery` facts.
   */
  teach(fact: Fact, origin: TaughtFactSummary['origin']): Promise<void> {
    return this.work(`Teaching "${fact.subject}"`, async () => {
      const existing = this.alreadyTaught(fact);
      if (existing) {
        if (origin === 'typed') this.post({ type: 'teach-refused', message: `"${describeFact(fact)}" is already taught (fact #${existing.id}); it was not taught again.` });
        return;
      }
      try {
        await this.saver.begin(fact, origin);
        const outcome = await this.step(fact);
        const entry = this.taught.add({ fact, origin, ...outcome });
        this.post({ type: 'taught', fact: this.taught.summary(entry), step: outcome.step, slots: { factId: entry.id, ...outcome.slots }, memory: await this.backendMemory() });
        this.postFacts();
        await this.saver.saveNew(this.modelSha, [entry]);
        this.stepsSinceEval++;
        this.msSinceEval += outcome.step.ms;
        if (origin === 'typed') {
          // Its own verdict first (one question, a fraction of a second), then the full evaluation for the chart.
          await this.measureRecall(entry);
          await this.evaluate();
        } else if (this.stepsSinceEval >= this.settings.evalEvery) await this.evaluate();
      } catch (error) {
        if (error instanceof FactTooLongError || error instanceof NonFiniteStepError) this.post({ type: 'teach-refused', message: error.message });
        else throw error;
      }
    });
  }

  /** One fact's recall on its eval-only question, shown in the facts list before the full evaluation ends. */
  private async measureRecall(entry: TaughtFact): Promise<void> {
    const [score] = await scoreFacts(this.model, this.tokenizer, [entry.fact]);
    entry.recalled = score.exactMatch;
    entry.logprob = score.logprob;
    entry.answer = score.answer;
    this.postFacts();
  }

  private alreadyTaught(fact: Fact): TaughtFact | undefined {
    return this.taught.entries.find((e) => e.fact.subject === fact.subject && e.fact.relation === fact.relation && e.fact.object === fact.object);
  }

  /** On WebGPU, destroys the buffers tfjs pools for reuse once they pass POOLED_GPU_BYTES (trimBufferPool says why). */
  private async trimGpuPool(): Promise<void> {
    const gpu = activeWebGPUBackend();
    if (gpu) await trimBufferPool(gpu, POOLED_GPU_BYTES);
  }

  /** What the backend holds after a step (pool trimmed first), for the page and the soak. */
  private async backendMemory(): Promise<BackendMemory> {
    await this.trimGpuPool();
    const gpu = activeWebGPUBackend();
    const { numTensors, numBytes } = tf.memory();
    return { tensors: numTensors, bytes: numBytes, cachedMasks: this.model.cachedMaskCount, gpuBytesAllocated: gpu ? gpuBufferBytes(gpu).allocated : undefined };
  }

  /** One fact's learning step on the main model: what it overwrote, what it left, what the slot map shows. */
  private async step(fact: Fact) {
    const batch = buildTeachingBatch(fact, this.tokenizer, { context: this.model.cfg.context, paraphrases: this.settings.paraphrases });
    const report = await this.learner.teach(batch);
    const after: RowsSnapshot = { slots: report.undo.slots, rows: await this.readRows(report.undo.slots) };
    const step: StepSummary = { method: 'sparse', loss: report.loss, ms: report.ms, paramsTouched: report.paramsTouched };
    const slots = {
      readSlots: report.reads!.slots,
      readCounts: report.reads!.counts,
      selected: report.slots!,
      scores: Float32Array.from(report.scores!),
      updateNorms: report.updateNorms!,
    };
    return { after, step, slots };
  }

  private async readRows(slots: Int32Array, table: tf.Tensor2D = this.model.values!): Promise<Float32Array> {
    if (slots.length === 0) return new Float32Array(0);
    const rows = tf.tidy(() => tf.gather(table, tf.tensor1d(slots, 'int32')));
    const data = (await rows.data()) as Float32Array;
    rows.dispose();
    return data;
  }

  /** Through the method registry, which puts the WGSL memory kernels under the learner on webgpu. */
  private makeLearner(): SparseMemoryLearner {
    const { t, lr, steps } = this.settings;
    return createLearner('sparse', this.model, this.background, { t, lr, steps }) as SparseMemoryLearner;
  }

  // ---- undo, reset ----

  undo(factId: number): Promise<void> {
    return this.work('Undoing', async () => {
      if (!this.taught.find(factId)) return this.post({ type: 'notice', message: `Fact #${factId} is not taught (any more); nothing to undo.` });
      const later = this.taught.size - this.taught.entries.findIndex((e) => e.id === factId) - 1;
      let done = 0;
      const reteach = async (entry: TaughtFact) => {
        this.post({ type: 'busy', busy: true, what: `Undoing: teaching again the facts taught after it, ${++done} of ${later}` });
        if (entry.origin === 'import') {
          // An imported fact is its rows, not a learning step: apply them again.
          writeRows(this.model, entry.after.slots, entry.after.rows);
          return { after: entry.after, step: entry.step };
        }
        const { after, step } = await this.step(entry.fact);
        return { after, step };
      };
      const replayed = await this.taught.undo(this.model, factId, reteach, (slots) => this.readRows(slots, this.baseValues));
      await this.saver.saveUndo(this.modelSha, factId, replayed);
      this.trimPoints();
      this.postFacts();
      await this.evaluate();
      if (replayed.length > 0) {
        const n = replayed.length;
        this.post({ type: 'notice', about: 'taught-facts', message: `Undone; the ${n} fact${n > 1 ? 's' : ''} taught after it ${n > 1 ? 'were' : 'was'} taught again, as if it had never been taught.` });
      }
    });
  }

  reset(): Promise<void> {
    this.stream.stop();
    return this.work('Resetting', async () => {
      this.model.values!.dispose();
      this.model.values = ownedCopy(this.baseValues);
      this.learner = this.makeLearner();
      this.taught.clear();
      await this.saver.clear();
      this.points = [];
      this.post({ type: 'metrics-reset', run: 'main', points: [] });
      this.postFacts();
      await this.evaluate();
    });
  }

  // ---- evaluation ----

  private async evaluate(hooks: Pick<EvalHooks, 'shouldStop'> = {}): Promise<void> {
    if (!this.evalContext) return;
    this.post({ type: 'busy', busy: true, what: 'Evaluating recall, retention and NLL' });
    const entries = this.taught.entries;
    const onProgress = (done: number, total: number, elapsedMs: number) =>
      this.post({ type: 'eval-progress', done, total, etaMs: done > 0 ? (elapsedMs / done) * (total - done) : null });
    onProgress(0, entries.length + this.evalContext.retention.length + this.evalContext.nllWindows.length, 0);
    const result = await evaluateModel(this.model, this.tokenizer, this.evalContext, entries.map((e) => e.fact), { ...hooks, onProgress, chunk: this.evalChunk });
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
    await this.trimGpuPool();
    this.points.push(point);
    this.post({ type: 'metrics', point });
    this.postFacts();
    this.post({ type: 'busy', busy: false });
  }

  /** After an undo the curve beyond the new fact count no longer describes this model. */
  private trimPoints(): void {
    const n = this.taught.size;
    const kept = this.points.filter((p) => p.facts < n);
    if (kept.length !== this.points.length) {
      this.points = kept;
      this.post({ type: 'metrics-reset', run: 'main', points: kept });
    }
  }

  // ---- the facts list and the slot map ----

  postFacts(): void {
    const changed = Int32Array.from(this.taught.changedSlots().keys());
    this.post({ type: 'facts', facts: this.taught.entries.map((e) => this.taught.summary(e)), changedSlots: changed });
  }

  inspectSlot(slot: number): Promise<void> {
    return this.work('Inspecting the slot', async () => {
      const N = nSlots(this.model.cfg);
      if (!Number.isInteger(slot) || slot < 0 || slot >= N) return this.post({ type: 'notice', message: `There is no slot ${slot}; slots run from 0 to ${N - 1}.` });
      if (!this.slotIndex) {
        this.post({ type: 'busy', busy: true, what: 'Reading a text sample to see which tokens use each slot (once)' });
        const docs = parseJsonl<{ text: string }>(await this.fetchText('heldout.jsonl'));
        this.slotIndex = buildSlotTokenIndex(this.model, sampleWindows(docs, this.tokenizer));
      }
      const index = await this.slotIndex;
      const df = this.background.df[slot];
      const factIds = this.taught.changedSlots().get(slot) ?? [];
      const info: SlotInfo = {
        slot,
        df,
        backgroundBatches: this.background.numBatches,
        idf: Math.log((this.background.numBatches + 1) / (df + 1)),
        facts: factIds.map((id) => ({ id, text: describeFact(this.taught.find(id)!.fact) })),
        tokens: topTokens(index, slot, this.tokenizer),
        sampleTokens: index.sampleTokens,
      };
      this.post({ type: 'slot-info', info });
    });
  }

  // ---- streams ----

  async startStream(pack: PackName, rate: number, paused = false, from = 0): Promise<void> {
    const facts = await this.pack(pack);
    if (paused) this.stream.prepare(pack, facts, rate, from);
    else this.stream.start(pack, facts, rate, from);
  }

  async pack(name: PackName): Promise<PackFact[]> {
    if (!PACK_NAMES.includes(name)) throw new Error(`unknown teach pack "${name}"`);
    let facts = this.packs.get(name);
    if (!facts) {
      facts = parseJsonl<PackFact>(await this.fetchText(`packs/${name}.jsonl`));
      this.packs.set(name, facts);
    }
    return facts;
  }

  // ---- the method race ----

  async startRace(pack: PackName, count: number): Promise<void> {
    if (!this.evalContext) return;
    const facts = (await this.pack(pack)).slice(0, Math.max(1, Math.min(400, Math.floor(count))));
    this.race?.stop();
    this.race = new RaceRunner({
      work: (what, job) => this.work(what, job),
      post: this.post,
      checkpoint: this.checkpoint,
      tokenizer: this.tokenizer,
      background: this.background,
      evalContext: this.evalContext,
    });
    await this.race.start(pack, facts, this.settings);
  }

  stopRace(): void {
    this.race?.stop();
  }

  // ---- persistence ----

  /** The stored facts for this checkpoint that are safe to replay, or null when there are none or they cannot be read. */
  private async loadStored(): Promise<TaughtFact[] | null> {
    const shape = { slots: nSlots(this.model.cfg), valueDim: this.model.cfg.valueDim };
    const { facts, events, earlier } = await this.saver.load(this.modelSha, shape, describeFact);
    for (const event of events) this.post(event);
    this.earlier = earlier;
    this.postEarlier();
    return facts;
  }

  private async restoreStored(): Promise<void> {
    const facts = await this.loadStored();
    if (!facts) return;
    await this.queue.run(async () => {
      for (const entry of facts) this.taught.add(entry);
      this.taught.replayRows(this.model);
      this.postFacts();
    });
    this.post({ type: 'notice', about: 'taught-facts', message: `Restored ${facts.length} taught fact${facts.length > 1 ? 's' : ''} from this browser's storage.` });
  }

  private postEarlier(): void {
    const models = [...new Set(this.earlier.map((e) => e.modelSha))];
    this.post({ type: 'earlier-facts', facts: this.earlier.map((e) => e.fact), models, current: this.modelSha, canReteach: this.saver.saving });
  }

  /**
   * Makes this page the one that saves: the stored history (taught in the other tab) becomes this page's, and
   * the facts taught here that were not saved are taught again on top of it and saved.
   */
  takeOverStore(): Promise<void> {
    return this.work('Taking over saving from the other tab', async () => {
      if (this.saver.saving) return;
      await this.saver.takeOver();
      const mine = this.taught.entries.filter((e) => this.saver.isUnsaved(e.id));
      this.saver.forgetUnsaved();
      this.model.values!.dispose();
      this.model.values = ownedCopy(this.baseValues);
      this.learner = this.makeLearner();
      this.taught.clear();
      const stored = (await this.loadStored()) ?? [];
      for (const entry of stored) this.taught.add(entry);
      this.taught.replayRows(this.model);
      this.postFacts();
      const again = await this.teachAgain(mine, 'Teaching again the facts taught here');
      this.points = [];
      this.post({ type: 'metrics-reset', run: 'main', points: [] });
      await this.evaluate();
      const plural = (n: number) => `${n} fact${n === 1 ? '' : 's'}`;
      this.post({
        type: 'notice',
        message: `This tab now saves the taught facts: ${plural(stored.length)} restored from storage${mine.length > 0 ? `, and the ${plural(again)} taught here that had not been saved taught again on top of them and saved` : ''}.`,
      });
    });
  }

  /** Teaches the facts stored for an earlier checkpoint again on this one (a learning step each; their rows are never applied). */
  reteachEarlier(): Promise<void> {
    return this.work('Teaching again the facts of the earlier model', async () => {
      if (this.earlier.length === 0) return;
      if (!this.saver.saving) return this.post({ type: 'notice', message: 'Facts of an earlier model can be taught again only in the tab that saves taught facts.' });
      const items = this.earlier.map((e) => ({ fact: e.fact, origin: e.origin === 'import' ? ('typed' as const) : e.origin }));
      const again = await this.teachAgain(items, 'Teaching again the facts of the earlier model', (left) => (this.earlier = this.earlier.slice(this.earlier.length - left)));
      this.earlier = [];
      this.postEarlier();
      await this.evaluate();
      this.post({ type: 'notice', message: `Taught ${again} fact${again === 1 ? '' : 's'} of the earlier model again on this one and saved ${again === 1 ? 'it' : 'them'}.` });
    });
  }

  discardEarlier(): Promise<void> {
    return this.work('Discarding the facts of the earlier model', async () => {
      if (!this.saver.saving) return this.post({ type: 'notice', message: 'Facts of an earlier model can be discarded only in the tab that saves taught facts.' });
      this.earlier = [];
      await this.saver.saveEarlier(this.modelSha, []);
      this.postEarlier();
    });
  }

  /**
   * Teaches facts again, one learning step each (an imported fact's rows are written again instead), saving each
   * as it goes, with progress. `remaining(n)`: called before each save with the number still to teach after it,
   * returning the earlier-checkpoint list to save with it. Returns how many were taught (already-taught ones are skipped).
   */
  private async teachAgain(
    items: readonly { fact: Fact; origin: TaughtFact['origin']; after?: RowsSnapshot; step?: StepSummary }[],
    what: string,
    remaining?: (left: number) => EarlierFact[],
  ): Promise<number> {
    let taught = 0;
    for (const [i, item] of items.entries()) {
      this.post({ type: 'busy', busy: true, what: `${what}: ${i + 1} of ${items.length}` });
      const left = remaining?.(items.length - i - 1);
      const { subject, relation, object } = item.fact;
      if (this.taught.entries.some((e) => e.fact.subject === subject && e.fact.relation === relation && e.fact.object === object)) {
        if (left) await this.saver.saveEarlier(this.modelSha, left);
        continue;
      }
      try {
        let entry: TaughtFact;
        if (item.origin === 'import' && item.after && item.step) {
          writeRows(this.model, item.after.slots, item.after.rows);
          entry = this.taught.add({ fact: item.fact, origin: 'import', after: item.after, step: item.step });
        } else {
          await this.saver.begin(item.fact, item.origin);
          const outcome = await this.step(item.fact);
          entry = this.taught.add({ fact: item.fact, origin: item.origin, after: outcome.after, step: outcome.step });
          this.post({ type: 'taught', fact: this.taught.summary(entry), step: outcome.step, slots: { factId: entry.id, ...outcome.slots }, memory: await this.backendMemory() });
        }
        this.postFacts();
        await this.saver.saveNew(this.modelSha, [entry], left);
        taught++;
      } catch (error) {
        if (error instanceof FactTooLongError || error instanceof NonFiniteStepError) this.post({ type: 'teach-refused', message: `"${describeFact(item.fact)}": ${error.message}` });
        else throw error;
      }
    }
    return taught;
  }

  private async fetchText(path: string): Promise<string> {
    const url = new URL(path, this.dataUrl).href;
    const response = await cachedFetch(url, this.modelSha); // kept with the checkpoint's cache (checkpoint-cache.ts)
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}; the app's data files are missing.`);
    return response.text();
  }

  // ---- patch files ----

  private patchModel(): PatchModel {
    return { slots: nSlots(this.model.cfg), valueDim: this.model.cfg.valueDim, checkpointSha256: this.modelSha };
  }

  /** The selected facts and the rows they left (a later selected fact's rows win where two wrote the same slot). */
  exportFacts(ids: readonly number[]): Promise<void> {
    return this.work('Exporting', async () => {
      const chosen = this.taught.entries.filter((e) => ids.includes(e.id));
      if (chosen.length === 0) return this.post({ type: 'import-refused', message: 'Select at least one taught fact to export.' });
      const Dv = this.model.cfg.valueDim;
      const rows = new Map<number, Float32Array>();
      for (const entry of chosen) entry.after.slots.forEach((slot, u) => rows.set(slot, entry.after.rows.subarray(u * Dv, (u + 1) * Dv)));
      const slots = [...rows.keys()];
      const values = new Float32Array(slots.length * Dv);
      slots.forEach((slot, i) => values.set(rows.get(slot)!, i * Dv));
      const bytes = await encodePatch({
        model: this.patchModel(),
        facts: chosen.map((e) => ({ ...e.fact, slots: Array.from(e.after.slots) })),
        slots,
        values,
      });
      const fileName = `engram-${chosen.length}-fact${chosen.length > 1 ? 's' : ''}.engram`;
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      this.post({ type: 'exported', bytes: buffer, fileName, facts: chosen.length, rows: slots.length });
    });
  }

  /** Checks the whole file first (decodePatch), then writes its rows; each of its facts joins the list. */
  importPatch(bytes: ArrayBuffer, fileName: string): Promise<void> {
    return this.work('Importing', async () => {
      const decoded = await decodePatch(bytes, this.patchModel());
      if (!decoded.ok) return this.post({ type: 'import-refused', message: `${fileName}: ${decoded.message}` });
      const { patch } = decoded;
      const Dv = this.model.cfg.valueDim;
      const index = new Map<number, number>();
      patch.slots.forEach((slot, i) => index.set(slot, i));
      const entries: TaughtFact[] = [];
      let skipped = 0;
      for (const pf of patch.facts) {
        if (this.alreadyTaught(pf)) {
          skipped++; // importing the same patch twice must not list (or write) its facts twice
          continue;
        }
        const slots = Int32Array.from(pf.slots);
        const rows = new Float32Array(slots.length * Dv);
        slots.forEach((slot, u) => rows.set(patch.values.subarray(index.get(slot)! * Dv, (index.get(slot)! + 1) * Dv), u * Dv));
        writeRows(this.model, slots, rows);
        const fact = { subject: pf.subject, relation: pf.relation, object: pf.object };
        const step: StepSummary = { method: 'sparse', loss: NaN, ms: 0, paramsTouched: slots.length * Dv };
        entries.push(this.taught.add({ fact, origin: 'import', after: { slots, rows }, step }));
      }
      await this.saver.saveNew(this.modelSha, entries);
      const rows = new Set(entries.flatMap((e) => Array.from(e.after.slots))).size;
      this.post({ type: 'imported', facts: entries.length, rows, fileName, skipped });
      if (entries.length === 0) return;
      this.postFacts();
      await this.evaluate();
    });
  }
}

/**
 * A copy with its own buffer: tf.clone shares the data, and the kernel path writes value rows in place, which
 * must never reach the pretrained table kept for the base answers.
 */
function ownedCopy(values: tf.Tensor2D): tf.Tensor2D {
  return tf.keep(tf.tidy(() => tf.mul(values, tf.scalar(1)) as tf.Tensor2D));
}

export function describeFact(fact: Fact): string {
  return `${fact.subject} · ${fact.relation.replace(/_/g, ' ')} · ${fact.object}`;
}
