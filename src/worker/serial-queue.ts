/**
 * Model work runs one job at a time: a teaching step, an evaluation and an answer all read or replace the same
 * value table, and the worker's event loop would otherwise interleave them at every await.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined).finally(() => this.pending--);
    return result;
  }

  /** Jobs queued or running. */
  get size(): number {
    return this.pending;
  }
}
