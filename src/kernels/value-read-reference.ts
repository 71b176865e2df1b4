/**
 * Plain-TypeScript twin of shaders/value-read.wgsl (float64 accumulation): y[t] = sum over the token's reads
 * of w * V[slot]; slot ids outside [0, N) contribute nothing.
 */
export function valueReadReference(values: Float32Array, numSlots: number, dim: number, slotIds: Int32Array, weights: Float32Array, numTokens: number): Float32Array {
  const reads = slotIds.length / numTokens;
  const out = new Float32Array(numTokens * dim);
  const acc = new Float64Array(dim);
  for (let t = 0; t < numTokens; t++) {
    acc.fill(0);
    for (let r = t * reads; r < (t + 1) * reads; r++) {
      const slot = slotIds[r];
      if (slot < 0 || slot >= numSlots) continue;
      for (let c = 0; c < dim; c++) acc[c] += weights[r] * values[slot * dim + c];
    }
    out.set(acc, t * dim);
  }
  return out;
}
