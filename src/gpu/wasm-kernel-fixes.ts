/**
 * Registers tfjs's wasm backend with our kernel fixes; import this module (for its side effect) instead of
 * '@tensorflow/tfjs-backend-wasm' in Node scripts and tests. The browser path (wasm-backend.ts) imports it too.
 *
 * - BatchMatMul with transposeB: tfjs-backend-wasm 4.22 multiplies [160, 256] x [4096, 256]^T in ~150 ms
 *   but [160, 256] x [256, 4096] in ~13 ms (measured in Node 20 with SIMD, one thread): its transposed-B path
 *   does not reach XNNPACK's fast kernel. Every linear layer of the model (torch [out, in] layout) and every
 *   matMul in the backward pass hits that path, so the fix transposes B first (one copy, O(size of B)) and
 *   runs the fast kernel. Results are the same products summed in the same order per output element.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';

interface WasmBackendLike {
  disposeData(dataId: object): void;
}

function fastBatchMatMul(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeB) return original({ inputs, backend, attrs });
    const transpose = tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc;
    const rank = b.shape.length;
    const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    const bT = transpose({ inputs: { x: b }, backend, attrs: { perm } }) as TensorInfo;
    const out = original({ inputs: { a, b: bT }, backend, attrs: { ...attrs, transposeA, transposeB: false } }) as TensorInfo;
    (backend as unknown as WasmBackendLike).disposeData(bT.dataId);
    return out;
  };
}

let installed = false;

function install(): void {
  if (installed) return;
  const matMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!matMul) return; // the wasm backend did not register (should not happen after the import above)
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...matMul, kernelFunc: fastBatchMatMul(matMul.kernelFunc) });
  installed = true;
}

install();
