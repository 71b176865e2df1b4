/**
 * The method race: the same facts through sparse memory finetuning, full finetuning and LoRA,
 * each on its own fresh copy of the pretrained model (about 45 MB of float32 each), evaluated together every
 * few facts so the curves overlay. The person's own taught model is not touched. Every step and evaluation is
 * a separate queued job, so questions and typed facts still get their turn during a race.
 */
import type { Fact, PackName } from '../facts/fact';
import type { Learner, MethodName } from '../learn/learner';
import { createLearner } from '../learn/methods';
import { buildTeachingBatch, earlierFactsFor } from '../learn/teaching-batch';
import type { BackgroundStats } from '../learn/tfidf';
import type { Checkpoint } from '../model/checkpoint';
import type { EngramTokenizer } from '../model/tokenizer';
import { EngramModel } from '../model/transformer';
import { evaluateModel, type EvalContext } from './eval-runner';
import type { EngineEvent, LearnSettings, MetricsPoint, RaceState } from './protocol';

export interface RaceDeps {
  work<T>(what: string, job: () => Promise<T>): Promise<T>;
  post(event: EngineEvent): void;
  checkpoint: Checkpoint;
  tokenizer: EngramTokenizer;
  background: BackgroundStats;
  evalContext: EvalContext;
}

interface Runner {
  method: MethodName;
  model: EngramModel;
  learner: Learner;
  taught: Fact[];
  /** Per taught fact: whether its step ended answered (which earlier facts later batches review). */
  learned: boolean[];
  ms: number;
  steps: number;
}

export class RaceRunner {
  private runners: Runner[] = [];
  private generation = 0;
  private state: RaceState = { status: 'idle', index: 0, total: 0, labels: {} };

  constructor(private readonly deps: RaceDeps) {}

  async start(pack: PackName, facts: readonly Fact[], settings: LearnSettings): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    this.set({ status: 'preparing', pack, index: 0, total: facts.length, labels: {} });
    this.deps.post({ type: 'metrics-reset', run: 'race', points: [] });
    await this.deps.work('Preparing three model copies for the race', async () => {
      const make = (): EngramModel => EngramModel.fromCheckpoint(this.deps.checkpoint);
      const sparse = make();
      const full = make();
      const lora = make();
      this.runners = [
        { method: 'sparse', model: sparse, learner: createLearner('sparse', sparse, this.deps.background, { t: settings.t, lr: settings.lr, steps: settings.steps }), taught: [], learned: [], ms: 0, steps: 0 },
        // The baselines keep their own registry steps per fact (matched learning: src/learn/methods.ts), not sparse's.
        { method: 'full', model: full, learner: createLearner('full', full, null, { lr: settings.fullLr }), taught: [], learned: [], ms: 0, steps: 0 },
        { method: 'lora', model: lora, learner: createLearner('lora', lora, null, { lr: settings.loraLr }), taught: [], learned: [], ms: 0, steps: 0 },
      ];
    });
    const labels = Object.fromEntries(this.runners.map((r) => [r.method, r.learner.label])) as RaceState['labels'];
    this.set({ ...this.state, status: 'running', labels });
    for (const runner of this.runners) await this.evaluate(runner, generation);
    for (let i = 0; i < facts.length && generation === this.generation; i++) {
      for (const runner of this.runners) {
        await this.deps.work(`Race: teaching ${runner.method} fact ${i + 1} of ${facts.length}`, async () => {
          if (generation !== this.generation) return;
          const earlier = earlierFactsFor(facts[i], runner.taught, runner.learned);
          const batch = buildTeachingBatch(facts[i], this.deps.tokenizer, { context: runner.model.cfg.context, paraphrases: settings.paraphrases, ...earlier });
          const report = await runner.learner.teach(batch);
          runner.taught.push(facts[i]);
          runner.learned.push(report.answered ?? true);
          runner.ms += report.ms;
          runner.steps++;
        });
      }
      if (generation !== this.generation) return;
      this.set({ ...this.state, index: i + 1 });
      if ((i + 1) % settings.evalEvery === 0 || i + 1 === facts.length) for (const runner of this.runners) await this.evaluate(runner, generation);
    }
    if (generation === this.generation) {
      this.set({ ...this.state, status: 'done' });
      this.release();
    }
  }

  stop(): void {
    this.generation++;
    if (this.state.status === 'preparing' || this.state.status === 'running') this.set({ ...this.state, status: 'done' });
    this.release();
  }

  private async evaluate(runner: Runner, generation: number): Promise<void> {
    await this.deps.work(`Race: evaluating ${runner.method}`, async () => {
      if (generation !== this.generation) return;
      const result = await evaluateModel(runner.model, this.deps.tokenizer, this.deps.evalContext, runner.taught);
      const point: MetricsPoint = {
        run: 'race',
        method: runner.method,
        facts: runner.taught.length,
        recall: runner.taught.length > 0 ? result.recall.filter((s) => s.exactMatch).length / runner.taught.length : null,
        retention: result.retention,
        nll: result.nll,
        msPerStep: runner.steps > 0 ? runner.ms / runner.steps : null,
        evalMs: result.ms,
      };
      runner.ms = 0;
      runner.steps = 0;
      this.deps.post({ type: 'metrics', point });
    });
  }

  /** Frees the copies once no queued job can use them any more. */
  private release(): void {
    const runners = this.runners;
    this.runners = [];
    if (runners.length === 0) return;
    void this.deps.work('Freeing the race models', async () => {
      for (const r of runners) {
        r.learner.dispose();
        r.model.dispose();
      }
    });
  }

  private set(state: RaceState): void {
    this.state = state;
    this.deps.post({ type: 'race', state });
  }
}
