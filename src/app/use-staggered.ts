/**
 * Hands a value on to a component a few frames late. recharts 3 batches each chart's store updates into one
 * requestAnimationFrame callback, so charts fed new data in the same task all re-render in the same frame: one
 * main-thread task of 100 ms and more on a loaded machine when an evaluation point arrives, where no task should exceed 100 ms.
 * Giving chart i its data i hops later (a hop: the next frame, then a fresh task) puts each chart's work in its
 * own task.
 */
import { useEffect, useState } from 'react';

export function useStaggered<T>(value: T, hops: number): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    if (hops <= 0 || Object.is(shown, value)) return;
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let left = hops;
    // rAF alone would land in the frame where the previous chart flushes; the timeout starts a new task after it.
    const hop = () => {
      frame = requestAnimationFrame(() => {
        timer = setTimeout(() => (--left <= 0 ? setShown(() => value) : hop()), 0);
      });
    };
    hop();
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [value, hops, shown]);
  return hops <= 0 ? value : shown;
}
