/** Plain-TypeScript twin of shaders/sparse-update.wgsl: V[slots[u]] -= lr * rowGrads[u], in place, in f32. */
export function sparseUpdateReference(values: Float32Array, dim: number, slots: Int32Array, rowGrads: Float32Array, lr: number): void {
  const step = Math.fround(lr);
  slots.forEach((slot, u) => {
    for (let c = 0; c < dim; c++) {
      values[slot * dim + c] = Math.fround(values[slot * dim + c] - Math.fround(step * rowGrads[u * dim + c]));
    }
  });
}
