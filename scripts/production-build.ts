/**
 * Builds what `npm run build` ships into `outDir` and serves it with `vite preview`, for the tools that measure
 * the app as people get it (test/e2e/stream-responsive.test.ts, scripts/soak-browser.ts).
 *
 * Vitest sets NODE_ENV=test and Vite keeps a NODE_ENV it finds, so without the switch below the bundle would
 * carry React's development build, several times slower than the production one.
 */
import { build, preview, type PreviewServer } from 'vite';

export async function buildProduction(outDir: string): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ mode: 'production', build: { outDir, emptyOutDir: true, sourcemap: false }, logLevel: 'error' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** Serves a built folder on a free local port; `url` is the page's address. */
export async function servePreview(outDir: string): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({ build: { outDir }, preview: { host: '127.0.0.1', port: 0, open: false }, logLevel: 'error' });
  return { server, url: server.resolvedUrls!.local[0] };
}
