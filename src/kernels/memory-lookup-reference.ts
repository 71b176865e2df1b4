/**
 * Plain-TypeScript twin of shaders/memory-lookup.wgsl, in float64: per (token, head) the product-key top-K
 * with the same tie rule (higher score first, then lower index: sub-key index per half, candidate index
 * i * K + j for the sums), the scores s1 + s2, and softmax weights. Sorted best first.
 */
import type { LookupResult, LookupShape } from './memory-lookup';

function topK(scores: Float64Array, count: number, k: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, k);
}

export function memoryLookupReference(shape: LookupShape, queries: Float32Array, subKeys: Float32Array): LookupResult {
  const { numTokens, heads, nKeys, keyDim, k } = shape;
  const half = keyDim / 2;
  const out = numTokens * heads * k;
  const result: LookupResult = { slotIds: new Int32Array(out), scores: new Float32Array(out), weights: new Float32Array(out) };
  const halfScores = [new Float64Array(nKeys), new Float64Array(nKeys)];
  const sums = new Float64Array(k * k);
  for (let item = 0; item < numTokens * heads; item++) {
    const head = item % heads;
    const tops: number[][] = [];
    for (let h = 0; h < 2; h++) {
      const table = (head * 2 + h) * nKeys * half;
      for (let key = 0; key < nKeys; key++) {
        let acc = 0;
        for (let d = 0; d < half; d++) acc += subKeys[table + key * half + d] * queries[item * keyDim + h * half + d];
        halfScores[h][key] = acc;
      }
      tops.push(topK(halfScores[h], nKeys, k));
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) sums[i * k + j] = halfScores[0][tops[0][i]] + halfScores[1][tops[1][j]];
    const best = topK(sums, k * k, k);
    const max = sums[best[0]];
    let total = 0;
    for (const c of best) total += Math.exp(sums[c] - max);
    best.forEach((c, r) => {
      const i = Math.floor(c / k);
      result.slotIds[item * k + r] = tops[0][i] * nKeys + tops[1][c - i * k];
      result.scores[item * k + r] = sums[c];
      result.weights[item * k + r] = Math.exp(sums[c] - max) / total;
    });
  }
  return result;
}
