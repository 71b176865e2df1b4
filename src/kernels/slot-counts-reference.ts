/**
 * Plain-TypeScript twin of shaders/slot-counts.wgsl: per-slot read counts over non-pad tokens.
 * Returns counts[N] and the number of out-of-range ids it dropped.
 */
export function slotCountsReference(
  slotIds: Int32Array, // [T, H, K]
  tokenMask: Uint8Array | Uint32Array, // [T]
  readsPerToken: number,
  numSlots: number,
): { counts: Uint32Array; dropped: number } {
  const counts = new Uint32Array(numSlots);
  let dropped = 0;
  for (let read = 0; read < slotIds.length; read++) {
    if (!tokenMask[Math.floor(read / readsPerToken)]) continue;
    const slot = slotIds[read];
    if (slot < 0 || slot >= numSlots) dropped++;
    else counts[slot]++;
  }
  return { counts, dropped };
}
