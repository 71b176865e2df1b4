import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy, HEADER_POLICY } from './scripts/content-security-policy.ts';

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { headers: { 'Content-Security-Policy': HEADER_POLICY } },
  // tfjs is large and CommonJS-heavy: pre-bundle it so the dev server does not reload mid-test.
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'react', 'react-dom', 'recharts'],
  },
  build: { target: 'es2022', sourcemap: true },
  worker: { format: 'es' },
});
