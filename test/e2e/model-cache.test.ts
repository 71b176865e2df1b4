/**
 * Loading, on the production build: the first paint is the page's layout (grey panels, before any script runs);
 * with ?backend=wasm the page never says "Detecting WebGPU"; a second visit takes the checkpoint from this
 * browser's cache (keyed by its sha256), says so, and makes no request for the safetensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './app-harness';
import { newPage, startProductionApp, type ProductionApp } from './production-app';

let app: ProductionApp;

beforeAll(async () => {
  app = await startProductionApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('loading the app', () => {
  it('paints the layout of the panels before any script runs', async () => {
    const { context, page } = await newPage(app.browser, { javaScriptEnabled: false });
    try {
      await page.goto(app.url);
      const panels = page.locator('.sk-panel');
      expect(await panels.count()).toBeGreaterThanOrEqual(4);
      const box = await panels.first().boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(100);
      await screenshot(page, 'load-first-paint');
    } finally {
      await context.close();
    }
  });

  it('caches the checkpoint: the second load says so and requests no safetensors', { timeout: 240_000 }, async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      const requests: string[] = [];
      context.on('request', (request) => requests.push(request.url()));
      // Every text the backend line shows, from the first paint on.
      await page.addInitScript(() => {
        const seen: string[] = ((window as unknown as { backendTexts: string[] }).backendTexts = []);
        new MutationObserver(() => {
          const text = document.querySelector('[data-testid="backend-status"]')?.textContent;
          if (text && seen[seen.length - 1] !== text) seen.push(text);
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      const address = `${app.url}?backend=wasm&probe=6&nll=1`;
      await page.goto(address);
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('model-from-cache').count()).toBe(0);
      expect(requests.filter((u) => u.endsWith('.safetensors'))).toHaveLength(1); // the observer does see it
      await page.getByTestId('figure-retention').waitFor({ timeout: 120_000 }); // data files fetched (and cached) too

      requests.length = 0;
      await page.reload();
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('model-from-cache').textContent()).toBe('loaded from cache');
      await page.getByTestId('figure-retention').waitFor({ timeout: 120_000 });
      expect(requests.filter((u) => u.endsWith('.safetensors'))).toEqual([]);
      console.log(`second load: ${await page.getByTestId('model-status').textContent()}; requests: ${requests.map((u) => new URL(u).pathname).join(' ')}`);
      const texts = await page.evaluate(() => (window as unknown as { backendTexts: string[] }).backendTexts);
      expect(texts.length).toBeGreaterThan(0);
      expect(texts.join(' | ')).not.toMatch(/Detecting WebGPU/);
      await screenshot(page, 'load-from-cache');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
