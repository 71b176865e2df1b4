/**
 * Serves the real app with Vite on a free localhost port and opens it in headless Debian Chromium
 * through playwright-core. Collects console errors and page errors so tests can assert there are none.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';

export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

/** The shipped model's product keys per half: the slot map is a MEMORY_SIDE x MEMORY_SIDE grid. */
export const MEMORY_SIDE: number = JSON.parse(readFileSync(join(process.cwd(), 'public/model/config.json'), 'utf8')).model.n_keys;

/** The shipped model's memory size N = n_keys^2 as the page prints it ("262,144" for the shipped 512 keys a half). */
export const SHIPPED_MEMORY_SLOTS = (MEMORY_SIDE ** 2).toLocaleString('en-US');

export async function startAppServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'warn', clearScreen: false });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite did not report a port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export interface OpenedPage {
  browser: Browser;
  page: Page;
  errors: string[];
}

export async function openApp(url: string, args: string[] = CHROMIUM_ARGS): Promise<OpenedPage> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  return { browser, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
