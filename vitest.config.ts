/**
 * Four test projects, all run by `npm test`:
 *   unit    Node, plain TypeScript and the tfjs cpu backend
 *   gpu     Node, real WGSL through the `webgpu` npm package (Dawn) on a software Vulkan driver
 *   browser headless Chromium with WebGPU (SwiftShader) via vitest browser mode + playwright
 *   e2e     Node drives the real app (Vite dev server) in headless Chromium with playwright-core
 */
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import react from '@vitejs/plugin-react';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/chromium.ts';

// Dawn in Node needs a Vulkan driver named explicitly. Default: Chromium's SwiftShader (installed with
// chromium, no extra packages). Set before any test worker is forked, so the workers inherit it.
if (!process.env.VK_ICD_FILENAMES) {
  process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
  process.env.LD_LIBRARY_PATH = ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
}
process.env.XDG_RUNTIME_DIR ??= '/tmp';

export default defineConfig({
  plugins: [react()],
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'react', 'react-dom', 'recharts'],
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          setupFiles: ['test/gpu/setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], environment: 'node', testTimeout: 180_000, hookTimeout: 180_000 },
      },
    ],
  },
});
