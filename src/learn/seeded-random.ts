/**
 * A small seeded generator (mulberry32) and a text-to-seed hash (FNV-1a): reproducible random picks (which earlier
 * facts a batch reviews, randomized test cases) without a dependency; a few lines, and the picks must stay the
 * same across builds, which a library's internals would not promise.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a text's UTF-16 code units: a seed for seededRandom. */
export function textSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
