/**
 * Chooses and starts the tfjs backend: WebGPU on a device we requested ourselves (detect-webgpu.ts),
 * else wasm, else cpu. Whatever happens, the caller gets a BackendInfo it can show the user.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { detectWebGPU, type AdapterSummary, type DetectOptions } from './detect-webgpu';
import { describe, GpuError, GpuValidationError, TfjsInternalsError } from './gpu-errors';
import { checkTfjsInternals } from './tf-interop';
import { installTfOpGuards } from './tf-op-guards';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Present when the backend is webgpu. */
  adapter?: AdapterSummary;
  device?: GPUDevice;
  /** Why WebGPU is not in use, when it is not. */
  fallbackReason?: GpuError;
}

export interface BackendOptions extends DetectOptions {
  /** Try these in order; defaults to ['webgpu', 'wasm', 'cpu']. */
  preference?: BackendName[];
  /** Called with every GPU error that tfjs itself would only print (uncapturederror). */
  onGpuError?: (error: GpuError) => void;
}

export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const preference = options.preference ?? ['webgpu', 'wasm', 'cpu'];
  let fallbackReason: GpuError | undefined;
  for (const name of preference) {
    if (name === 'webgpu') {
      const detection = await detectWebGPU(options);
      if (!detection.ok) {
        fallbackReason = detection.error;
        continue;
      }
      const { device, adapter, summary } = detection;
      device.addEventListener('uncapturederror', (event) => {
        const error = (event as GPUUncapturedErrorEvent).error;
        options.onGpuError?.(new GpuValidationError('tfjs', error.message));
      });
      // Re-register 'webgpu' with our own device so every kernel registered for 'webgpu' (tfjs's and ours)
      // runs at the adapter's limits; tfjs's own factory requests default storage-buffer limits.
      if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 3);
      if (await tf.setBackend('webgpu')) {
        await tf.ready();
        try {
          checkTfjsInternals(tf.backend()); // the tfjs internals our kernels and buffer-pool trimming use
        } catch (error) {
          if (!(error instanceof TfjsInternalsError)) throw error;
          fallbackReason = error;
          continue;
        }
        installTfOpGuards('webgpu'); // tfjs-webgpu 4.22 kernels that return silently wrong results
        // Keep small tensors on the GPU too: otherwise ops on < 1000 CPU-resident elements run on CPU
        // kernels, and neither the known-answer check nor our tests would exercise the GPU.
        tf.env().set('WEBGPU_CPU_FORWARD', false);
        const problem = await verifyBackend();
        if (!problem) return { name: 'webgpu', adapter: summary, device, fallbackReason: undefined };
        fallbackReason = new GpuValidationError('known-answer check', problem);
      }
      continue;
    }
    try {
      if (name === 'wasm') await import('./wasm-backend').then((m) => m.registerWasmBackend());
      if (await tf.setBackend(name)) {
        await tf.ready();
        const problem = await verifyBackend();
        if (!problem) return { name, fallbackReason };
        console.warn(`Backend ${name} failed its known-answer check: ${problem}`);
      }
    } catch (error) {
      console.warn(`Backend ${name} unavailable: ${describe(error)}`);
    }
  }
  throw new Error(`No tfjs backend could start (tried ${preference.join(', ')}).`);
}

/**
 * A known-answer check of the active backend (llm-viz's verifyWebGpuDevice idea): broken drivers and
 * invalid pipelines return zeros or stale data instead of throwing, so compute something we can check.
 * Returns a description of the problem, or null when the answer is right.
 */
export async function verifyBackend(): Promise<string | null> {
  const result = tf.tidy(() => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
    return tf.matMul(a, b).add(tf.scalar(1));
  });
  const values = Array.from(await result.data());
  result.dispose();
  const expected = [59, 65, 140, 155];
  return values.every((v, i) => v === expected[i]) ? null : `expected [${expected}] from a 2x3 by 3x2 matmul, got [${values}]`;
}

/** Human description of the active backend, for status bars and logs. */
export function describeBackend(info: BackendInfo): string {
  if (info.name === 'webgpu' && info.adapter) return `WebGPU on ${info.adapter.name}`;
  return `${info.name === 'wasm' ? 'WebAssembly' : 'plain JavaScript'} on the CPU`;
}
