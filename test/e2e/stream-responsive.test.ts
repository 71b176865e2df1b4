/**
 * The page stays responsive while a pack streams in. The production build (a React development
 * build on the dev server spends several times longer creating elements, so it says little about what people
 * get) is built into a temporary folder, served by `vite preview`, and streamed on the wasm backend with an
 * evaluation after every fact, so every chart and the slot map update on each one. The page's own
 * PerformanceObserver records every main-thread task over 50 ms, and the test prints them (the goal is none at
 * 100 ms or more). It does not assert a duration: task lengths are wall-clock and vary with machine load (on this
 * project's shared 2-core machine the same build measured 58 ms at one load and 116 ms at another), and timings
 * are reported, never asserted (README "Using the app" records the measurements). A deliberate 150 ms task at
 * the end proves the observer hears long tasks, so the report cannot be empty by hearing nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProduction, servePreview } from '../../scripts/production-build';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { screenshot } from './app-harness';
import { takeLongTasks, waitReady, watchPage } from './page-helpers';

/** Facts streamed: enough evaluation points for the charts to grow past their first layout. */
const FACTS = 6;
const LIMIT_MS = 100;

let outDir: string;
let server: PreviewServer;
let browser: Browser;
let page: Page;
let errors: string[] = [];

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'engram-responsive-'));
  await buildProduction(outDir);
  let url: string;
  ({ server, url } = await servePreview(outDir));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = await watchPage(page);
  await page.goto(`${url}?backend=wasm&eval_every=1&probe=48`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const longTasks = () => takeLongTasks(page);

describe('the built app while streaming (wasm backend)', () => {
  it(`streams ${FACTS} facts, evaluating after each, and reports the main-thread tasks over 50 ms (goal: none at ${LIMIT_MS} ms)`, async () => {
    await waitReady(page);
    await longTasks(); // loading the model and the first render are not part of streaming
    await page.getByTestId('stream-start').click();
    // The figures update with each evaluation point, after the fact's row: wait for the last point to land.
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts')) >= n, FACTS, { timeout: 240_000 });
    await page.getByTestId('stream-stop').click();
    await page.getByTestId('stream-status').filter({ hasText: /^(idle|stopped)/ }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500); // charts take their data a frame or two after the figures
    const seen = await longTasks();

    console.log(`production build, ${FACTS} facts streamed: ${seen.length} main-thread tasks over 50 ms, longest ${Math.round(Math.max(0, ...seen))} ms`);
    // The page really did the work being timed: every curve and the slot map show the streamed facts (recall has
    // no point before the first fact).
    expect(await page.getByTestId('fact-row').count()).toBeGreaterThanOrEqual(FACTS);
    for (const chart of await page.locator('.chart .recharts-line-dots').all()) expect(await chart.locator('circle').count()).toBeGreaterThanOrEqual(FACTS);
    expect(await page.locator('.chart .recharts-line-dots').count()).toBe(3); // recall, retention, NLL
    expect(Number((await page.getByTestId('changed-count').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    await screenshot(page, 'stream-responsive');
    expect(errors).toEqual([]);
  }, 300_000);

  it('hears a long task when there is one (the control)', async () => {
    // From a timer: code the test evaluates directly runs outside the page's tasks and is not reported.
    await page.evaluate(() => {
      setTimeout(() => {
        const until = performance.now() + 150;
        while (performance.now() < until);
      }, 0);
    });
    await expect.poll(async () => Math.max(0, ...(await longTasks())), { timeout: 10_000 }).toBeGreaterThanOrEqual(LIMIT_MS);
  });
});
