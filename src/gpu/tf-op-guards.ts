/**
 * Work-arounds for tfjs-backend-webgpu 4.22 kernels that return silently wrong results (test/gpu/tf-op-guards
 * finds them by running the model's ops against the cpu backend):
 *
 * - AddN binds every input as its own storage buffer. With more than maxStorageBuffersPerShaderStage - 1
 *   inputs the pipeline is invalid and the result is zeros (or a previous result), with only a console
 *   warning (docs/testing-webgpu.md, pitfall 1). The guard sums at most (limit - 1) inputs per pass and chains the
 *   partial sums; the original kernel still does each pass.
 * - Transpose of int32 tensors of rank >= 3 generates WGSL that does not compile ("setOutputAtIndex expected
 *   f32, got i32"), so the output is garbage (so does the transpose of an int32 tensor cast to float32, because
 *   that Cast only relabels the buffer). The guard converts to float32 values, transposes and casts back.
 *   tfjs-webgpu computes all int32 element-wise ops through f32 anyway (int32 add, mul, floorDiv are exact only
 *   for |x| <= 2^24), so this is as exact as any int32 op there; slot ids (N <= 2^20) are far below that.
 *
 * Kernels are registered for a backend name; ours keeps 'webgpu' (tf-backend.ts), so the guards apply to
 * every tfjs op the model runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

type Call = (kernel: string, inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap) => TensorInfo;

function caller(backendName: string, backend: WebGPUBackend, originals: Map<string, KernelConfig>): Call {
  return (kernel, inputs, attrs = {}) => {
    const config = originals.get(kernel) ?? tf.getKernel(kernel, backendName);
    if (!config) throw new Error(`tf-op-guards: no ${kernel} kernel for backend ${backendName}`);
    return config.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
  };
}

/** AddN over any number of inputs, at most `maxInputs` per pass. */
function guardedAddN(backendName: string, originals: Map<string, KernelConfig>): KernelFunc {
  return ({ inputs, backend }) => {
    const webgpu = backend as WebGPUBackend;
    const call = caller(backendName, webgpu, originals);
    const tensors = inputs as unknown as TensorInfo[];
    const maxInputs = webgpu.device.limits.maxStorageBuffersPerShaderStage - 1;
    const addN = (list: TensorInfo[]) => call(tf.AddN, list as unknown as Record<string, TensorInfo>);
    if (tensors.length <= maxInputs) return addN(tensors);
    let partial = addN(tensors.slice(0, maxInputs));
    for (let start = maxInputs; start < tensors.length; start += maxInputs - 1) {
      const next = addN([partial, ...tensors.slice(start, start + maxInputs - 1)]);
      webgpu.disposeData(partial.dataId);
      partial = next;
    }
    return partial;
  };
}

/** Transpose, with int32 of rank >= 3 moved as float32 values (exact for |x| <= 2^24, see above). */
function guardedTranspose(backendName: string, originals: Map<string, KernelConfig>): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const webgpu = backend as WebGPUBackend;
    const call = caller(backendName, webgpu, originals);
    const x = (inputs as { x: TensorInfo }).x;
    if (x.dtype !== 'int32' || x.shape.length < 3) return call(tf.Transpose, { x }, attrs);
    const one = webgpu.makeTensorInfo([], 'float32', new Float32Array([1]));
    // Cast int32 -> float32 only relabels the buffer on webgpu (no "encoding loss"), and Transpose would read
    // the i32 array again; a multiply by 1.0 really converts the values.
    const relabelled = call(tf.Cast, { x }, { dtype: 'float32' });
    const asFloat = call(tf.Multiply, { a: relabelled, b: one });
    const moved = call(tf.Transpose, { x: asFloat }, attrs);
    const out = call(tf.Cast, { x: moved }, { dtype: 'int32' });
    for (const t of [one, relabelled, asFloat, moved]) webgpu.disposeData(t.dataId);
    return out;
  };
}

const GUARDS: Record<string, (backendName: string, originals: Map<string, KernelConfig>) => KernelFunc> = {
  [tf.AddN]: guardedAddN,
  [tf.Transpose]: guardedTranspose,
};

const installed = new Map<string, Map<string, KernelConfig>>();

/** Replaces the broken kernels for `backendName` (idempotent). Returns a function that restores the originals. */
export function installTfOpGuards(backendName = 'webgpu'): () => void {
  let originals = installed.get(backendName);
  if (!originals) {
    originals = new Map();
    for (const [kernelName, makeGuard] of Object.entries(GUARDS)) {
      const original = tf.getKernel(kernelName, backendName);
      if (!original) continue;
      originals.set(kernelName, original);
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({ ...original, kernelFunc: makeGuard(backendName, originals) });
    }
    installed.set(backendName, originals);
  }
  return () => {
    const saved = installed.get(backendName);
    if (!saved) return;
    for (const [kernelName, original] of saved) {
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel(original);
    }
    installed.delete(backendName);
  };
}
