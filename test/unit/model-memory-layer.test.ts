/**
 * The tf-op memory layer (the model's, src/model/memory-layer.ts) on small random shapes, against the
 * plain-TypeScript twins the WGSL kernels are also tested against (src/kernels/*-reference.ts): the lookup,
 * the value read and the sparse row gradients. Also the properties behind them: product-key top-K equals the
 * exact top-K over all N = n^2 sums (what makes product keys work, Lample et al. 2019 §3.2), and each row
 * gradient equals the dense gradient's row (autodiff of the read, never built in the model).
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { beforeAll, describe, expect, it } from 'vitest';
import { productKeyLookup, sparseRowGradient, valueReadTf } from '../../src/model/memory-layer';
import { memoryLookupReference } from '../../src/kernels/memory-lookup-reference';
import { valueReadReference } from '../../src/kernels/value-read-reference';
import { readBackwardReference } from '../../src/kernels/read-backward-reference';
import { seededRandom } from '../seeded-random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randn(rand: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() - 0.5) * 2;
  return out;
}

describe('productKeyLookup', () => {
  it.each(['cpu', 'wasm'])('matches the twin, and both the exact top-K over all n*n slot scores (%s)', async (backend) => {
    await tf.setBackend(backend);
    const rand = seededRandom(7);
    const [M, H, Kd, n, K] = [5, 3, 8, 12, 6];
    const q = randn(rand, M * H * Kd);
    const keys = randn(rand, H * 2 * n * (Kd / 2));
    const { ids, weights } = productKeyLookup(tf.tensor3d(q, [M, H, Kd]), tf.tensor4d(keys, [H, 2, n, Kd / 2]), K);
    expect(ids.shape).toEqual([M, H, K]);
    const got = (await ids.data()) as Int32Array;
    const w = (await weights.data()) as Float32Array;
    const twin = memoryLookupReference({ numTokens: M, heads: H, nKeys: n, keyDim: Kd, k: K }, q, keys);
    expect(Array.from(got)).toEqual(Array.from(twin.slotIds));
    twin.weights.forEach((x, i) => expect(w[i]).toBeCloseTo(x, 5));
    // The product-key property, by exhaustive search over every slot.
    const half = Kd / 2;
    for (let m = 0; m < M; m++) {
      for (let h = 0; h < H; h++) {
        const score = (half0: number, i: number) => {
          let s = 0;
          for (let d = 0; d < half; d++) s += q[(m * H + h) * Kd + half0 * half + d] * keys[((h * 2 + half0) * n + i) * half + d];
          return s;
        };
        const all: { id: number; s: number }[] = [];
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) all.push({ id: i * n + j, s: score(0, i) + score(1, j) });
        all.sort((a, b) => b.s - a.s);
        const at = (m * H + h) * K;
        expect(Array.from(twin.slotIds.subarray(at, at + K))).toEqual(all.slice(0, K).map((e) => e.id));
      }
    }
    tf.dispose([ids, weights]);
  });
});

describe('value read and sparse row gradients', () => {
  it('reads as the twin does, and gives each chosen row the twin gradient and exactly its dense gradient', async () => {
    await tf.setBackend('cpu');
    const rand = seededRandom(11);
    const [N, Dv, M, H, K] = [40, 6, 7, 2, 4];
    const V = tf.tensor2d(randn(rand, N * Dv), [N, Dv]);
    const idsArr = new Int32Array(M * H * K).map(() => Math.floor(rand() * N));
    idsArr[3] = idsArr[9]; // duplicates across heads and tokens
    const wArr = Float32Array.from({ length: M * H * K }, () => rand());
    const ids = tf.tensor3d(idsArr, [M, H, K], 'int32');
    const w = tf.tensor3d(wArr, [M, H, K]);
    const y = valueReadTf(V, ids, w);
    const vData = (await V.data()) as Float32Array;
    const yData = (await y.data()) as Float32Array;
    valueReadReference(vData, N, Dv, idsArr, wArr, M).forEach((x, i) => expect(yData[i]).toBeCloseTo(x, 5));
    // loss = sum(y * G) for a random G: dL/dy = G, dense dL/dV by autodiff of the same read on a small table
    const G = tf.tensor2d(randn(rand, M * Dv), [M, Dv]);
    const dense = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(valueReadTf(v as tf.Tensor2D, ids, w), G)))(V);
    const denseData = (await dense.data()) as Float32Array;
    const slots = Int32Array.from([idsArr[3], idsArr[0], (idsArr[0] + 1) % N]);
    const sparse = sparseRowGradient(idsArr, wArr, H * K, G, slots);
    const sp = (await sparse.data()) as Float32Array;
    slots.forEach((s, u) => {
      for (let c = 0; c < Dv; c++) expect(sp[u * Dv + c]).toBeCloseTo(denseData[s * Dv + c], 5);
    });
    const twin = readBackwardReference({ slotIds: idsArr, weights: wArr, dY: (await G.data()) as Float32Array, numTokens: M, dim: Dv, numSlots: N, slots });
    twin.rowGrads.forEach((x, i) => expect(sp[i]).toBeCloseTo(x, 5));
    expect(() => sparseRowGradient(idsArr, wArr, H * K, G, Int32Array.from([1, 1]))).toThrow(/listed twice/);
    tf.dispose([V, ids, w, y, G, dense, sparse]);
  });
});
