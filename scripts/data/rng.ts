/**
 * Seeded randomness. Each consumer asks for its own named stream, so adding a draw in one part of the build
 * does not shift the choices made in another. Hash-based selection (hashUnit) is used for splits, so a
 * document's split depends only on the seed and its id, not on what else is in the corpus.
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';

export type Rng = () => number;

export function createRng(seed: string, stream: string): Rng {
  const prng = seedrandom(`${seed}/${stream}`);
  return () => prng.quick();
}

export function randomInt(rng: Rng, lo: number, hiExclusive: number): number {
  return lo + Math.floor(rng() * (hiExclusive - lo));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick() from an empty list');
  return items[randomInt(rng, 0, items.length)];
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, 0, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A uniform number in [0, 1) determined by the seed and a key alone. */
export function hashUnit(seed: string, key: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}
