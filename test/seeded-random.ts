/** The seeded PRNG (mulberry32) for randomized tests: the same seed gives the same cases. */
export { seededRandom } from '../src/learn/seeded-random';

export function randomInt(rand: () => number, lo: number, hiExclusive: number): number {
  return lo + Math.floor(rand() * (hiExclusive - lo));
}
