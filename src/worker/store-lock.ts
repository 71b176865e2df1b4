/**
 * Which page of this browser profile writes the taught facts. Two tabs of the app each keep their own history
 * in memory; if both wrote to the one IndexedDB store, each would save facts on top of a history the other does
 * not have. So one page owns the store at a time, through an exclusive Web Lock held by its engine worker for
 * as long as it lives (the browser releases it when the page closes or crashes). Another page reads the store
 * at load but saves nothing, and says so; it may take the store over: it asks the owner, over a
 * BroadcastChannel, to stop writing and let go of the lock (the owner finishes the write it has in flight
 * first), and takes the lock when it is free (or steals it when the owner does not answer in time).
 * Without the Web Locks API every page writes, and src/worker/fact-store.ts refuses any save that would
 * replace another page's fact.
 */

export const STORE_LOCK_NAME = 'engram-fact-store';

/** 'here': this page saves; 'other-tab': another page held the store when this one started; 'taken-over': another page took it from this one. */
export type Ownership = 'here' | 'other-tab' | 'taken-over';

/** The parts of navigator.locks used here (tests pass a fake). */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** The parts of BroadcastChannel used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

interface ReleaseRequest {
  type: 'release';
  from: string;
}

export interface StoreLockOptions {
  /** Absent (an older browser): every page counts as the owner. */
  readonly locks?: LockManagerLike;
  readonly channel?: ChannelLike;
  readonly onChange: (ownership: Ownership) => void;
  /** Resolves when the writes this page started are done; awaited before the lock is let go. */
  readonly settle: () => Promise<void>;
  /** How long to wait for a lock held by a page that is closing (a reload) before calling it another tab. */
  readonly claimWaitMs?: number;
  /** How long a take-over waits for the owner to let go before stealing the lock. */
  readonly takeOverWaitMs?: number;
}

export class StoreLock {
  private state: Ownership = 'other-tab';
  private release: (() => void) | null = null;
  private readonly id = Math.random().toString(36).slice(2);

  constructor(private readonly options: StoreLockOptions) {
    if (options.channel) options.channel.onmessage = (event) => this.onMessage(event.data as ReleaseRequest);
    if (!options.locks) this.state = 'here';
  }

  get ownership(): Ownership {
    return this.state;
  }

  /** True when this page may write (it holds the lock, or there are no locks to hold). */
  get owns(): boolean {
    return this.state === 'here';
  }

  /** Takes the lock if no other page holds it (waiting briefly for a page that is going away). */
  async claim(): Promise<Ownership> {
    if (!this.options.locks) return this.state;
    const signal = AbortSignal.timeout(this.options.claimWaitMs ?? 3000);
    const got = await this.hold({ signal }).catch(() => false);
    this.set(got ? 'here' : 'other-tab');
    return this.state;
  }

  /** Asks the owner to let go, then takes the lock (stealing it if the owner does not answer in time). */
  async takeOver(): Promise<void> {
    if (!this.options.locks || this.state === 'here') return;
    this.options.channel?.postMessage({ type: 'release', from: this.id } satisfies ReleaseRequest);
    const signal = AbortSignal.timeout(this.options.takeOverWaitMs ?? 10_000);
    const got = await this.hold({ signal }).catch(() => false);
    if (!got) await this.hold({ steal: true });
    this.set('here');
  }

  /** Lets go of the lock (when the worker stops). */
  close(): void {
    this.release?.();
    this.release = null;
    this.options.channel?.close();
  }

  /**
   * Requests the lock and keeps it until `release` is called. Resolves true once held, false when not granted;
   * rejects when the request is aborted. Losing it later to a steal shows as 'taken-over'.
   */
  private hold(options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let granted = false;
      const held = this.options.locks!.request(STORE_LOCK_NAME, options, (lock) => {
        if (!lock) {
          resolve(false);
          return null;
        }
        granted = true;
        resolve(true);
        return new Promise<void>((release) => (this.release = release));
      });
      held.catch((error: unknown) => {
        reject(error);
        // Stolen while held: another page took over without waiting for this one.
        if (granted) {
          this.release = null;
          this.set('taken-over');
        }
      });
    });
  }

  private async onMessage(message: ReleaseRequest): Promise<void> {
    if (message?.type !== 'release' || message.from === this.id || this.state !== 'here' || !this.options.locks) return;
    this.set('taken-over'); // at once, so no new write starts
    await this.options.settle();
    this.release?.();
    this.release = null;
  }

  private set(state: Ownership): void {
    if (state === this.state) return;
    this.state = state;
    this.options.onChange(state);
  }
}
