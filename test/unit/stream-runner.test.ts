import { describe, expect, it } from 'vitest';
import type { PackFact } from '../../src/facts/fact';
import type { StreamState } from '../../src/worker/protocol';
import { SerialQueue } from '../../src/worker/serial-queue';
import { StreamRunner } from '../../src/worker/stream-runner';

const facts: PackFact[] = Array.from({ length: 6 }, (_, i) => ({ subject: `S${i}`, relation: 'capital', object: `O${i}`, pack: 'invented' }));

/** A runner whose teach() waits until the test releases it, so the test decides when each fact finishes. */
function harness() {
  const taught: string[] = [];
  const states: StreamState[] = [];
  let release: (() => void) | null = null;
  const runner = new StreamRunner({
    teach: (fact) =>
      new Promise<void>((resolve) => {
        release = () => {
          taught.push(fact.subject);
          resolve();
        };
      }),
    onState: (state) => states.push(state),
  });
  const finishOne = async () => {
    while (!release) await new Promise((r) => setTimeout(r, 1));
    const r = release as () => void;
    release = null;
    r();
    await new Promise((r2) => setTimeout(r2, 1));
  };
  return { runner, taught, states, finishOne };
}

describe('StreamRunner', () => {
  it('teaches in order, pauses after the fact in flight, steps one at a time, resumes without repeating a fact', async () => {
    const { runner, taught, finishOne } = harness();
    runner.start('invented', facts, 0);
    await finishOne(); // S0
    runner.pause(); // S1 is in flight: it finishes, then the stream stops
    await finishOne();
    expect(runner.current).toMatchObject({ status: 'paused', index: 2 });
    const step = runner.step();
    await finishOne();
    await step;
    expect(runner.current.index).toBe(3);
    runner.resume();
    runner.resume(); // a second resume must not start a second loop
    await finishOne();
    await finishOne();
    await finishOne();
    expect(taught).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5']);
    expect(runner.current).toMatchObject({ status: 'idle', index: 6, total: 6 });
  });

  it('a resume pressed while a single step is still teaching goes on streaming after that step', async () => {
    const { runner, taught, finishOne } = harness();
    runner.prepare('invented', facts, 0);
    const step = runner.step(); // S0 in flight
    runner.resume(); // the runner is busy with the step: the stream must continue once it is done
    await finishOne();
    await step;
    await finishOne();
    await finishOne();
    expect(taught).toEqual(['S0', 'S1', 'S2']);
    expect(runner.current).toMatchObject({ status: 'running', index: 3 });
    runner.stop();
  });

  it('a new stream started while a fact is in flight goes on with the new pack from its first fact', async () => {
    const { runner, taught, finishOne } = harness();
    runner.start('invented', facts, 0);
    const other = facts.map((f) => ({ ...f, subject: `T${f.subject}` }));
    runner.start('counterfactual', other, 0); // S0 still in flight
    await finishOne(); // S0 finishes, then the loop switches to the new stream
    await finishOne();
    runner.stop();
    await finishOne();
    expect(taught.slice(0, 3)).toEqual(['S0', 'TS0', 'TS1']);
    expect(runner.current.status).toBe('idle');
  });
});

describe('SerialQueue', () => {
  it('runs jobs one at a time in order, and a failing job does not stop the next', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const job = (name: string, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a = queue.run(job('a'));
    const b = queue.run(job('b', true));
    const c = queue.run(job('c'));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('StreamRunner: continuing a stream', () => {
  it('starts at a given fact, and a fact in flight when stopped counts as streamed', async () => {
    const { runner, taught, finishOne } = harness();
    runner.start('invented', facts, 0, 2);
    expect(runner.current).toMatchObject({ status: 'running', index: 2, total: 6 });
    await finishOne(); // S2
    runner.stop(); // S3 in flight
    await finishOne();
    expect(taught).toEqual(['S2', 'S3']);
    expect(runner.current).toMatchObject({ status: 'idle', index: 4 });
    runner.start('invented', facts, 0, runner.current.index);
    await finishOne();
    await finishOne();
    expect(taught).toEqual(['S2', 'S3', 'S4', 'S5']);
    expect(runner.current).toMatchObject({ status: 'idle', index: 6 });
  });

  it('a start at or past the end of the pack teaches nothing and stays idle', () => {
    const { runner } = harness();
    runner.start('invented', facts, 0, 6);
    expect(runner.current).toMatchObject({ status: 'idle', index: 6 });
    runner.start('invented', facts, 0, 99);
    expect(runner.current).toMatchObject({ status: 'idle', index: 6 });
  });
});
