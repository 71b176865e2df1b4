/**
 * Streams a teach pack into the model at a chosen rate, with pause, resume and single steps. Each fact is one
 * call of `teach`, which queues behind any other model work; the rate is the most facts per minute, so on a
 * slow GPU the stream simply runs as fast as the steps allow.
 */
import type { PackFact, PackName } from '../facts/fact';
import type { StreamState } from './protocol';

export interface StreamHooks {
  teach(fact: PackFact): Promise<void>;
  onState(state: StreamState): void;
}

export class StreamRunner {
  private facts: readonly PackFact[] = [];
  private state: StreamState = { status: 'idle', index: 0, total: 0, rate: 0 };
  /** Bumped by every start/stop so a loop of an earlier stream ends instead of teaching on. */
  private generation = 0;
  /** A fact is being taught by the loop or a step; nothing else may take the same index meanwhile. */
  private busy = false;

  constructor(private readonly hooks: StreamHooks) {}

  get current(): StreamState {
    return this.state;
  }

  /** `from`: the first fact to teach (where an earlier stream of the pack stopped); clamped to the pack. */
  start(pack: PackName, facts: readonly PackFact[], rate: number, from = 0): void {
    this.generation++;
    this.facts = facts;
    const index = startIndex(from, facts.length);
    this.set({ status: index < facts.length ? 'running' : 'idle', pack, index, total: facts.length, rate });
    void this.loop(this.generation);
  }

  pause(): void {
    if (this.state.status === 'running') this.set({ ...this.state, status: 'paused' });
  }

  resume(): void {
    if (this.state.status !== 'paused') return;
    this.set({ ...this.state, status: 'running' });
    void this.loop(this.generation);
  }

  /** Teaches the next fact while paused (or starts a paused stream one fact at a time). */
  async step(): Promise<void> {
    if (this.state.status !== 'paused' || this.busy || this.state.index >= this.facts.length) return;
    this.busy = true;
    const generation = this.generation;
    try {
      await this.hooks.teach(this.facts[this.state.index]);
      this.set({ ...this.state, index: this.state.index + 1 });
    } finally {
      this.busy = false;
    }
    // Resumed while this step was teaching: resume() found the runner busy and left the stream to it. (The cast
    // undoes TypeScript's narrowing from the guard above: resume() may have changed the status while awaiting.)
    const now = this.state as StreamState;
    if (generation === this.generation && now.status === 'running') void this.loop(generation);
  }

  /** Paused at the start: the page's "step" before "stream". */
  prepare(pack: PackName, facts: readonly PackFact[], rate: number, from = 0): void {
    this.generation++;
    this.facts = facts;
    this.set({ status: 'paused', pack, index: startIndex(from, facts.length), total: facts.length, rate });
  }

  stop(): void {
    this.generation++;
    this.set({ ...this.state, status: 'idle' });
  }

  private async loop(generation: number): Promise<void> {
    if (this.busy) return; // the running iteration continues the stream when it sees status 'running'
    this.busy = true;
    try {
      while (this.state.status === 'running' && this.state.index < this.facts.length) {
        const started = performance.now();
        const [facts, at] = [this.facts, this.state.index];
        await this.hooks.teach(facts[at]);
        if (generation !== this.generation) {
          // Stopped while the fact was taught: it is taught all the same, so the stopped stream counts it (a
          // stream continued later starts after it).
          const now = this.state as StreamState; // changed by stop() while awaiting
          if (now.status === 'idle' && this.facts === facts && now.index === at) this.set({ ...now, index: at + 1 });
          generation = this.generation; // a new stream started meanwhile: go on with it from its own start
          continue;
        }
        const index = this.state.index + 1;
        this.set({ ...this.state, index, status: index >= this.facts.length ? 'idle' : this.state.status });
        const interval = this.state.rate > 0 ? 60_000 / this.state.rate : 0;
        const wait = interval - (performance.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      this.busy = false;
    }
  }

  private set(state: StreamState): void {
    this.state = state;
    this.hooks.onState(state);
  }
}

function startIndex(from: number, total: number): number {
  return Number.isInteger(from) && from > 0 ? Math.min(from, total) : 0;
}
