/** StoreLock (src/worker/store-lock.ts) over an in-memory lock manager and broadcast channel that behave as the browser's. */
import { describe, expect, it } from 'vitest';
import { StoreLock, type ChannelLike, type LockManagerLike, type Ownership } from '../../src/worker/store-lock';

/** One exclusive lock with ifAvailable, waiting (with an abort signal) and steal, as navigator.locks does. */
class FakeLocks implements LockManagerLike {
  private holder: { reject: (error: unknown) => void } | null = null;
  private readonly waiting: (() => void)[] = [];

  request(_name: string, options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        const me = { reject };
        this.holder = me;
        void Promise.resolve(callback({ name: _name })).then((value) => {
          if (this.holder !== me) return;
          this.holder = null;
          resolve(value);
          this.waiting.shift()?.();
        });
      };
      if (options.steal) {
        this.holder?.reject(new DOMException('The lock was stolen.', 'AbortError'));
        return grant();
      }
      if (!this.holder) return grant();
      if (options.ifAvailable) return void Promise.resolve(callback(null)).then(resolve);
      this.waiting.push(grant);
      options.signal?.addEventListener('abort', () => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new DOMException('The request was aborted.', 'AbortError'));
      });
    });
  }
}

/** Channels on one hub: a message reaches every other channel, later, as BroadcastChannel does. */
function hub(): () => ChannelLike {
  const all = new Set<ChannelLike>();
  return () => {
    const channel: ChannelLike = {
      onmessage: null,
      postMessage: (data) => all.forEach((other) => other !== channel && setTimeout(() => other.onmessage?.({ data } as MessageEvent))),
      close: () => all.delete(channel),
    };
    all.add(channel);
    return channel;
  };
}

function page(locks: LockManagerLike | undefined, channel: ChannelLike | undefined, settle: () => Promise<void> = () => Promise.resolve()) {
  const changes: Ownership[] = [];
  const lock = new StoreLock({ locks, channel, onChange: (o) => changes.push(o), settle, claimWaitMs: 50, takeOverWaitMs: 100 });
  return { lock, changes };
}

describe('StoreLock', () => {
  it('lets one page save; a second page is told another tab saves', async () => {
    const locks = new FakeLocks();
    const channels = hub();
    const a = page(locks, channels());
    const b = page(locks, channels());
    expect(await a.lock.claim()).toBe('here');
    expect(await b.lock.claim()).toBe('other-tab');
    expect(a.lock.owns).toBe(true);
    expect(b.lock.owns).toBe(false);
  });

  it('takes over: the owner stops saving at once, finishes its write in flight, then lets go', async () => {
    const locks = new FakeLocks();
    const channels = hub();
    let finishWrite!: () => void;
    const inFlight = new Promise<void>((resolve) => (finishWrite = resolve));
    const a = page(locks, channels(), () => inFlight);
    const b = page(locks, channels());
    await a.lock.claim();
    await b.lock.claim();
    const takeOver = b.lock.takeOver();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(a.lock.ownership).toBe('taken-over');
    expect(b.lock.owns).toBe(false); // still waiting for A's write
    finishWrite();
    await takeOver;
    expect(b.lock.ownership).toBe('here');
    expect(a.changes).toEqual(['here', 'taken-over']);
    // And back: A takes over again, B stops.
    await a.lock.takeOver();
    expect([a.lock.ownership, b.lock.ownership]).toEqual(['here', 'taken-over']);
  });

  it('steals the lock from an owner that does not answer, and the owner learns it lost it', async () => {
    const locks = new FakeLocks();
    const a = page(locks, undefined); // no channel: it never hears the request
    const b = page(locks, undefined);
    await a.lock.claim();
    await b.lock.claim();
    await b.lock.takeOver();
    expect(b.lock.ownership).toBe('here');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(a.lock.ownership).toBe('taken-over');
  });

  it('waits briefly for a page that is going away (a reload) before calling it another tab', async () => {
    const locks = new FakeLocks();
    const old = page(locks, undefined);
    await old.lock.claim();
    const reloaded = page(locks, undefined);
    const claim = reloaded.lock.claim();
    setTimeout(() => old.lock.close(), 10);
    expect(await claim).toBe('here');
  });

  it('without the Web Locks API every page saves (the store refuses overwrites itself)', async () => {
    const a = page(undefined, undefined);
    expect(await a.lock.claim()).toBe('here');
    expect(a.lock.owns).toBe(true);
  });
});
