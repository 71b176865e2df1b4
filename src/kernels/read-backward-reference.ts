/**
 * Plain-TypeScript twin of shaders/read-backward.wgsl (float64 accumulation): rowGrads[u] = sum over reads r
 * with slotIds[r] == slots[u] of w[r] * dY[token(r)]; dWeights[r] = dY[token(r)] . V[slot r] (0 for ids
 * outside [0, N)).
 */
export function readBackwardReference(args: {
  slotIds: Int32Array;
  weights: Float32Array;
  dY: Float32Array;
  numTokens: number;
  dim: number;
  numSlots: number;
  slots: Int32Array;
  values?: Float32Array;
}): { rowGrads: Float32Array; dWeights?: Float32Array } {
  const { slotIds, weights, dY, numTokens, dim, numSlots, slots, values } = args;
  const readsPerToken = slotIds.length / numTokens;
  const row = new Map<number, number>();
  slots.forEach((slot, u) => row.set(slot, u));
  const acc = new Float64Array(slots.length * dim);
  for (let r = 0; r < slotIds.length; r++) {
    const u = row.get(slotIds[r]);
    if (u === undefined) continue;
    const token = Math.floor(r / readsPerToken);
    for (let c = 0; c < dim; c++) acc[u * dim + c] += weights[r] * dY[token * dim + c];
  }
  let dWeights: Float32Array | undefined;
  if (values) {
    dWeights = new Float32Array(slotIds.length);
    for (let r = 0; r < slotIds.length; r++) {
      const slot = slotIds[r];
      if (slot < 0 || slot >= numSlots) continue;
      const token = Math.floor(r / readsPerToken);
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += dY[token * dim + c] * values[slot * dim + c];
      dWeights[r] = dot;
    }
  }
  return { rowGrads: Float32Array.from(acc), dWeights };
}
