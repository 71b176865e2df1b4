/**
 * Random inputs for the kernel tests, shared by the Node (test/gpu) and Chromium (test/browser) suites so
 * both run the same cases against the TypeScript twins.
 */
import { randomInt } from './seeded-random';

/** Uniform floats in [-1, 1). */
export function randomFloats(rand: () => number, length: number): Float32Array {
  return Float32Array.from({ length }, () => rand() * 2 - 1);
}

/** Small integers in [-range, range]: dot products and sums are exact in f32, so ties are real and frequent. */
export function randomSmallInts(rand: () => number, length: number, range = 2): Float32Array {
  return Float32Array.from({ length }, () => randomInt(rand, -range, range + 1));
}

/**
 * Slot ids [T, H, K] drawn from `distinct` hot slots (duplicates on purpose) plus a few out-of-range ids
 * (-1 and N) that kernels must ignore.
 */
export function randomSlotIds(rand: () => number, length: number, numSlots: number, distinct: number, invalidRate = 0.02): Int32Array {
  const hot = Int32Array.from({ length: distinct }, () => randomInt(rand, 0, numSlots));
  return Int32Array.from({ length }, () => {
    const x = rand();
    if (x < invalidRate / 2) return -1;
    if (x < invalidRate) return numSlots;
    return hot[randomInt(rand, 0, distinct)];
  });
}

/** Max |a - b| / (atol + rtol |b|) over all elements: <= 1 means close. */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const ratio = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(ratio <= worst)) worst = Number.isNaN(ratio) ? Infinity : Math.max(worst, ratio);
  }
  return worst;
}
