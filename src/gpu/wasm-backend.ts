/**
 * Registers tfjs's wasm backend. In the browser its .wasm files must be served by us (no CDN at run
 * time), so Vite emits them as assets via ?url imports; in Node the package finds them on disk.
 */
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import './wasm-kernel-fixes';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export function registerWasmBackend(): void {
  if (typeof window !== 'undefined' || typeof WorkerGlobalScope !== 'undefined') {
    tfWasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
  }
}
