/**
 * Golden test on the Node backends: the TypeScript model reproduces the trainer's golden batch (see
 * test/model-golden.ts for what is compared and the tolerances) on tfjs's cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { describe, expect, it } from 'vitest';
import { checkGolden, loadShippedModel, readGolden } from '../model-golden';

describe('model golden batch', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`reproduces logits, loss and memory reads on ${backend}`, async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const golden = readGolden();
      const { model, sha } = await loadShippedModel();
      expect(golden.weights_sha256, 'golden.json was written from other weights than public/model ships').toBe(sha);
      await checkGolden(model, golden);
      model.dispose();
    });
  }
});
