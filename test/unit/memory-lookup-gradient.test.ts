/**
 * The product-key lookup's custom gradient (memory-layer.ts, productKeyLookupWithGrad) against tfjs's own
 * autodiff of an independent dense formulation: with the selected slots held fixed, the kept scores are
 * one-hot picks of the full score matrices q1 K1^T and q2 K2^T, and softmax of them is the read weights.
 * The slots held fixed, and the forward, are checked against the plain-TypeScript twin of the lookup
 * (src/kernels/memory-lookup-reference.ts: float64 scores, its own top-K and softmax), so neither side of the
 * comparison is the code under test. Also: nothing leaks. On cpu and on wasm (where the keys' gradient runs on
 * our UnsortedSegmentSum kernel).
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, describe, expect, it } from 'vitest';
import { productKeyLookupWithGrad } from '../../src/model/memory-layer';
import { memoryLookupReference } from '../../src/kernels/memory-lookup-reference';
import { seededRandom } from '../seeded-random';

afterAll(async () => {
  await tf.setBackend('cpu');
});

function uniform(rand: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 2);
}

/** weights [M, H, K] from queries and keys, with slot ids given as constants (dense one-hot picks). */
function denseWeights(queries: tf.Tensor3D, keys: tf.Tensor4D, ids: Int32Array, K: number): tf.Tensor3D {
  const [M, H, Kd] = queries.shape;
  const n = keys.shape[2];
  const half = Kd / 2;
  const first = new Float32Array(M * H * K * n);
  const second = new Float32Array(M * H * K * n);
  ids.forEach((id, r) => {
    first[r * n + Math.floor(id / n)] = 1;
    second[r * n + (id % n)] = 1;
  });
  const pick = [tf.tensor4d(first, [M, H, K, n]), tf.tensor4d(second, [M, H, K, n])];
  let best: tf.Tensor = tf.zeros([M, H, K]);
  for (let c = 0; c < 2; c++) {
    const qc = queries.slice([0, 0, c * half], [M, H, half]).transpose([1, 0, 2]); // [H, M, half]
    const kc = keys.slice([0, c, 0, 0], [H, 1, n, half]).reshape([H, n, half]); // [H, n, half]
    const scores = tf.matMul(qc, kc, false, true).transpose([1, 0, 2]).reshape([M, H, 1, n]); // [M, H, 1, n]
    best = tf.add(best, tf.sum(tf.mul(scores, pick[c]), -1));
  }
  return tf.softmax(best) as tf.Tensor3D;
}

describe('productKeyLookupWithGrad', () => {
  it.each(['cpu', 'wasm'])('gives the gradient of the kept scores to queries and keys (%s)', async (backend) => {
    await tf.setBackend(backend);
    const rand = seededRandom(11);
    const [M, H, Kd, n, K] = [7, 3, 8, 10, 5];
    const queries = tf.tensor3d(uniform(rand, M * H * Kd), [M, H, Kd]);
    const keys = tf.tensor4d(uniform(rand, H * 2 * n * (Kd / 2)), [H, 2, n, Kd / 2]);
    const probe = tf.tensor3d(uniform(rand, M * H * K), [M, H, K]); // L = sum(weights * probe)
    const before = tf.memory().numTensors;

    let ids: tf.Tensor3D | undefined;
    const ours = tf.grads((q: tf.Tensor, k: tf.Tensor) => {
      const r = productKeyLookupWithGrad(q as tf.Tensor3D, k as tf.Tensor4D, K);
      ids = r.ids;
      return tf.sum(tf.mul(r.weights, probe));
    })([queries, keys]);
    const hostIds = (await ids!.data()) as Int32Array;
    // The twin picks the same slots in the same order (random floats: no ties), so the dense reference below
    // differentiates through an independently chosen selection.
    const twin = memoryLookupReference({ numTokens: M, heads: H, nKeys: n, keyDim: Kd, k: K }, (await queries.data()) as Float32Array, (await keys.data()) as Float32Array);
    expect(Array.from(hostIds)).toEqual(Array.from(twin.slotIds));
    const reference = tf.grads((q: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(denseWeights(q as tf.Tensor3D, k as tf.Tensor4D, hostIds, K), probe)))([queries, keys]);

    for (let i = 0; i < 2; i++) {
      expect(ours[i].shape).toEqual(reference[i].shape);
      const a = (await ours[i].data()) as Float32Array;
      const b = (await reference[i].data()) as Float32Array;
      let maxAbs = 0;
      let maxDiff = 0;
      for (let j = 0; j < a.length; j++) {
        maxAbs = Math.max(maxAbs, Math.abs(b[j]));
        maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
      }
      expect(maxAbs, 'the reference gradient is not trivially zero').toBeGreaterThan(1e-3);
      expect(maxDiff, i === 0 ? 'dL/dqueries' : 'dL/dkeys').toBeLessThan(1e-5);
    }
    // The forward's weights against the twin's (float32 against float64 softmax of the same kept scores).
    const withGrad = productKeyLookupWithGrad(queries, keys, K);
    expect(Array.from((await withGrad.ids.data()) as Int32Array)).toEqual(Array.from(twin.slotIds));
    const weights = (await withGrad.weights.data()) as Float32Array;
    let maxWeightDiff = 0;
    for (let j = 0; j < weights.length; j++) maxWeightDiff = Math.max(maxWeightDiff, Math.abs(weights[j] - twin.weights[j]));
    expect(maxWeightDiff, 'read weights against the twin').toBeLessThan(1e-6);

    tf.dispose([ids!, ...ours, ...reference, withGrad.ids, withGrad.weights]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([queries, keys, probe]);
  });
});
