/**
 * The production build (what `npm run build` ships), built into a temporary folder and served by `vite preview`,
 * with a headless Chromium to drive it: shared by the end-to-end tests of the newcomer fixes and by
 * scripts/screenshot-app.ts, which retakes the README's picture.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { buildProduction, servePreview } from '../../scripts/production-build';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';

export interface ProductionApp {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startProductionApp(args: string[] = CHROMIUM_ARGS): Promise<ProductionApp> {
  const outDir = await mkdtemp(join(tmpdir(), 'engram-prod-'));
  await buildProduction(outDir);
  const { server, url } = await servePreview(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
  return {
    url,
    browser,
    async close() {
      await browser.close();
      await (server as PreviewServer).close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** A fresh browser profile (its own storage and cache) with a page that records errors. */
export async function newPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}
