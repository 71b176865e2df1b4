/**
 * The tf-op memory layer on small random shapes: product-key top-K equals the exact top-K over all N = n^2
 * sums (the property that makes product keys work, Lample et al. 2019 §3.2), softmax weights, the value read,
 * and sparse row gradients equal to the dense gradient's rows (without ever building the dense one in the model).
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { beforeAll, describe, expect, it } from 'vitest';
import { productKeyLookup, sparseRowGradient, valueReadTf } from '../../src/model/memory-layer';
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
  it.each(['cpu', 'wasm'])('matches the exact top-K over all n*n slot scores (%s)', async (backend) => {
    await tf.setBackend(backend);
    const rand = seededRandom(7);
    const [M, H, Kd, n, K] = [5, 3, 8, 12, 6];
    const q = randn(rand, M * H * Kd);
    const keys = randn(rand, H * 2 * n * (Kd / 2));
    const { ids, weights } = productKeyLookup(tf.tensor3d(q, [M, H, Kd]), tf.tensor4d(keys, [H, 2, n, Kd / 2]), K);
    expect(ids.shape).toEqual([M, H, K]);
    const got = (await ids.data()) as Int32Array;
    const w = (await weights.data()) as Float32Array;
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
        const expected = all.slice(0, K);
        const at = (m * H + h) * K;
        expect(Array.from(got.subarray(at, at + K))).toEqual(expected.map((e) => e.id));
        const z = expected.reduce((a, e) => a + Math.exp(e.s - expected[0].s), 0);
        expected.forEach((e, j) => expect(w[at + j]).toBeCloseTo(Math.exp(e.s - expected[0].s) / z, 5));
      }
    }
    tf.dispose([ids, weights]);
  });
});

describe('value read and sparse row gradients', () => {
  it('reads sum_j w_j V[slot_j] and gives each chosen row exactly its dense gradient', async () => {
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
    for (let m = 0; m < M; m++) {
      for (let c = 0; c < Dv; c++) {
        let s = 0;
        for (let r = 0; r < H * K; r++) s += wArr[m * H * K + r] * vData[idsArr[m * H * K + r] * Dv + c];
        expect(yData[m * Dv + c]).toBeCloseTo(s, 5);
      }
    }
    // loss = sum(y * G) for a random G: dL/dy = G, dense dL/dV by autodiff on a small table
    const G = tf.tensor2d(randn(rand, M * Dv), [M, Dv]);
    const dense = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(valueReadDense(v as tf.Tensor2D, ids, w), G)))(V);
    const denseData = (await dense.data()) as Float32Array;
    const slots = Int32Array.from([idsArr[3], idsArr[0], (idsArr[0] + 1) % N]);
    const sparse = sparseRowGradient(idsArr, wArr, H * K, G, slots);
    const sp = (await sparse.data()) as Float32Array;
    slots.forEach((s, u) => {
      for (let c = 0; c < Dv; c++) expect(sp[u * Dv + c]).toBeCloseTo(denseData[s * Dv + c], 5);
    });
    expect(() => sparseRowGradient(idsArr, wArr, H * K, G, Int32Array.from([1, 1]))).toThrow(/listed twice/);
    tf.dispose([V, ids, w, y, G, dense, sparse]);
  });
});

/** The same read with a gradient w.r.t. V (tf.gather's dense gradient): test-only, small N. */
function valueReadDense(V: tf.Tensor2D, ids: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor2D {
  const [M, H, K] = ids.shape;
  const rows = tf.gather(V, ids.reshape([M * H * K])).reshape([M, H * K, V.shape[1]]);
  return tf.sum(tf.mul(rows, w.reshape([M, H * K, 1])), 1) as tf.Tensor2D;
}
