/**
 * writeRows (the sparse learner's reference-path write) replaces exactly the listed rows in a NEW table: on every
 * backend a tf.clone of the old table, which shares its buffer, keeps the old values (tfjs's cpu
 * TensorScatterUpdate writes into its input's buffer unless given a private copy).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRows } from '../../src/learn/sparse-learner';
import type { EngramModel } from '../../src/model/transformer';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('writeRows', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: writes the listed rows into a new table and leaves a clone of the old one as it was`, async () => {
      await tf.setBackend(backend);
      const old = Float32Array.from({ length: 12 }, (_, i) => i + 0.5);
      const values = tf.tensor2d(old.slice(), [4, 3]); // a copy: the cpu backend keeps the array it is given
      const kept = values.clone();
      const model = { values, cfg: { valueDim: 3 } } as unknown as EngramModel;
      writeRows(model, Int32Array.from([3, 1]), Float32Array.from([30, 31, 32, 10, 11, 12]));
      expect(Array.from(await model.values!.data())).toEqual([0.5, 1.5, 2.5, 10, 11, 12, 6.5, 7.5, 8.5, 30, 31, 32]);
      expect(Array.from(await kept.data())).toEqual(Array.from(old));
      tf.dispose([model.values!, kept]);
    });
  }
});
