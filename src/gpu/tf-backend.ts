/**
 * Chooses and starts the tfjs backend: WebGPU on a device we requested ourselves (detect-webgpu.ts),
 * else wasm, else cpu. Whatever happens, the caller gets a BackendInfo it can show the user.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { detectWebGPU, type AdapterSummary, type DetectOptions } from './detect-webgpu';
import { describe, GpuError, GpuValidationError } from './gpu-errors';

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
        return { name: 'webgpu', adapter: summary, device, fallbackReason: undefined };
      }
      continue;
    }
    try {
      if (name === 'wasm') await import('./wasm-backend').then((m) => m.registerWasmBackend());
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name, fallbackReason };
      }
    } catch (error) {
      console.warn(`Backend ${name} unavailable: ${describe(error)}`);
    }
  }
  throw new Error(`No tfjs backend could start (tried ${preference.join(', ')}).`);
}

/** Human description of the active backend, for status bars and logs. */
export function describeBackend(info: BackendInfo): string {
  if (info.name === 'webgpu' && info.adapter) return `WebGPU on ${info.adapter.name}`;
  return `${info.name === 'wasm' ? 'WebAssembly' : 'plain JavaScript'} on the CPU`;
}
