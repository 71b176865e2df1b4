import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173 },
  // tfjs is large and CommonJS-heavy: pre-bundle it so the dev server does not reload mid-test.
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'react', 'react-dom', 'recharts'],
  },
  build: { target: 'es2022', sourcemap: true },
  worker: { format: 'es' },
});
