/**
 * The production build under its Content-Security-Policy (scripts/content-security-policy.ts): built into a
 * temporary folder with the real vite.config.ts, served by `vite preview` (which sends the policy as a header on
 * every response, so the engine worker is bound by it too), and driven in headless Chromium. The model must load
 * and answer on WebGPU, the wasm backend must start and load the model, and nothing may violate the policy.
 *
 * Violations are collected three ways, because none sees everything: the document's securitypolicyviolation
 * events (the <meta> policy has no report-uri), console errors, and a report-uri endpoint added for the test,
 * which is the only one that hears the worker. A deliberate violation in the page and one in the worker at the
 * end prove the collectors work, so "no violations" cannot pass by hearing nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { build, preview, type Plugin, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_POLICY, META_POLICY } from '../../scripts/content-security-policy';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { SHIPPED_MEMORY_SLOTS } from './app-harness';

const REPORT_PATH = '/__csp-report';
// Nothing listens here; the policy blocks the request before any connection is tried.
const FOREIGN_URL = 'http://127.0.0.1:9/forbidden';

let outDir: string;
let server: PreviewServer;
let url: string;
let browser: Browser;
let buildSeconds: number;
const reports: { directive: string; blocked: string; from: string }[] = [];

const collectReports: Plugin = {
  name: 'test-csp-reports',
  configurePreviewServer(preview) {
    preview.middlewares.use(REPORT_PATH, (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const report = (JSON.parse(body) as { 'csp-report': Record<string, string> })['csp-report'];
        reports.push({ directive: report['violated-directive'], blocked: report['blocked-uri'], from: report['document-uri'] });
        res.statusCode = 204;
        res.end();
      });
    });
  },
};

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'engram-csp-'));
  const started = performance.now();
  await build({ build: { outDir, emptyOutDir: true, sourcemap: false }, logLevel: 'error' });
  buildSeconds = (performance.now() - started) / 1000;
  server = await preview({
    build: { outDir },
    plugins: [collectReports],
    preview: { host: '127.0.0.1', port: 0, open: false, headers: { 'Content-Security-Policy': `${HEADER_POLICY}; report-uri ${REPORT_PATH}` } },
    logLevel: 'error',
  });
  url = server.resolvedUrls!.local[0];
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Every console message, for the report when a wait runs out. */
  log: string[];
  /** securitypolicyviolation events of the document. */
  violations(): Promise<string[]>;
}

async function open(path: string): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const log: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    log.push(`${(performance.now() / 1000).toFixed(0)} s ${message.type()}: ${message.text()}`);
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as { cspViolations?: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  await page.goto(new URL(path, url).href);
  return { page, errors, log, violations: () => page.evaluate(() => [...((globalThis as { cspViolations?: string[] }).cspViolations ?? [])]) };
}

/**
 * Waits for `target`; when the wait runs out, the error carries what the page showed and its console, so a slow or
 * stuck machine can be told apart from a refusal or an error message.
 */
async function waitOrExplain(page: Page, target: Locator, timeout: number, log: string[]): Promise<void> {
  const started = performance.now();
  try {
    await target.first().waitFor({ timeout });
  } catch (error) {
    const shown = await page.locator('body').innerText().catch((e: Error) => `(page text unreadable: ${e.message})`);
    throw new Error(
      `${(error as Error).message.split('\n')[0]} after ${((performance.now() - started) / 1000).toFixed(0)} s.\n` +
        `The page showed:\n${shown.slice(0, 3000)}\nIts console (last 40):\n${log.slice(-40).join('\n')}`,
    );
  }
  console.log(`waited ${((performance.now() - started) / 1000).toFixed(1)} s for ${target}`);
}

describe('the built app under its Content-Security-Policy', () => {
  it('ships the policy in index.html and as a header, with no inline script or style in the page', async () => {
    console.log(`vite build into a temp folder: ${buildSeconds.toFixed(1)} s`);
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const head = html.slice(html.indexOf('<head>') + '<head>'.length).trimStart();
    // First in <head>: a policy only governs what comes after it.
    expect(head.startsWith('<meta http-equiv="Content-Security-Policy"')).toBe(true);
    const content = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1].replaceAll('&#39;', "'");
    expect(content).toBe(META_POLICY);
    expect(META_POLICY).not.toMatch(/unsafe-inline|'unsafe-eval'|\*/);
    for (const script of html.match(/<script\b[^>]*>/g) ?? []) expect(script).toMatch(/\bsrc="\/assets\//);
    expect(html).not.toMatch(/<style|\sstyle=/);

    const response = await fetch(url);
    expect(response.headers.get('content-security-policy')?.startsWith(HEADER_POLICY)).toBe(true);
  });

  it('loads the model and answers on WebGPU with no violation, in the page or the worker', async () => {
    // A small start-up evaluation (6 probe facts, one held-out window): the app answers only after it, and the
    // whole one takes minutes on SwiftShader on a 2-core machine; the policy does not depend on its size.
    const { page, errors, log, violations } = await open('/?probe=6&nll=1');
    try {
      await page.getByTestId('backend-name').waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('backend-name').textContent()).toBe('webgpu');
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('memory-slots').textContent()).toBe(SHIPPED_MEMORY_SLOTS);
      // Asked at once, while the engine may still be fetching its data files: the question waits, it does not fail.
      await page.getByTestId('ask-input').fill('Which city is the capital of France?');
      await page.getByTestId('ask-button').click();
      // The app evaluates the pretrained model once at start and answers after it. A refusal ends the wait too.
      await waitOrExplain(page, page.locator('[data-testid="answer-text"], [data-testid="ask-refusal"]'), 300_000, log);
      expect(await page.getByTestId('ask-refusal').allTextContents()).toEqual([]);
      expect(await page.getByTestId('failures').allTextContents()).toEqual([]);
      expect(await page.getByTestId('answer-text').textContent()).toBe('Paris');

      expect(await violations()).toEqual([]);
      expect(reports).toEqual([]);
      expect(errors).toEqual([]);

      // The controls: one violation in the page, one in the worker; each collector must hear its own.
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'globalThis.inlineRan = true';
        document.head.append(script);
      });
      const worker = page.workers()[0];
      expect(worker.url()).toMatch(/engine-worker/);
      expect(await worker.evaluate((foreign) => fetch(foreign).then(() => 'fetched', () => 'blocked'), FOREIGN_URL)).toBe('blocked');
      await expect.poll(() => reports.some((r) => r.from.includes('engine-worker') && r.directive.startsWith('connect-src')), { timeout: 10_000 }).toBe(true);
      expect(await violations()).toContain('script-src-elem inline');
      expect(await page.evaluate(() => (globalThis as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
      expect(errors.some((e) => e.includes('Content Security Policy'))).toBe(true);
    } finally {
      await page.close();
    }
  }, 540_000);

  it('starts the wasm backend (WebAssembly under wasm-unsafe-eval, no JS eval) and loads the model', async () => {
    reports.length = 0;
    const { page, errors, violations } = await open('/?backend=wasm');
    try {
      await page.getByTestId('backend-name').waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('backend-name').textContent()).toBe('wasm');
      await page.getByTestId('model-status').waitFor({ timeout: 180_000 });
      expect(await page.getByTestId('memory-slots').textContent()).toBe(SHIPPED_MEMORY_SLOTS);
      expect(await violations()).toEqual([]);
      expect(reports).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);
});
