/**
 * The app on WebGPU (SwiftShader in headless Chromium, or whatever adapter the browser picks with
 * ENGRAM_WEBGPU_ADAPTER=default: see test/chromium.ts) and on the CPU fallback. On WebGPU the page also learns
 * one fact end to end and survives a lost GPU device; the evaluation subset is shrunk in the URL (?probe=6&nll=1)
 * because SwiftShader runs a step in seconds, not milliseconds. The longer story (undo, export/import, reload) is in teach-flow.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import { CHROMIUM_ARGS_NO_WEBGPU } from '../chromium';
import { openApp, screenshot, SHIPPED_MEMORY_SLOTS, startAppServer } from './app-harness';
import { ask, teachSentence, waitReady, writtenCells } from './page-helpers';

let server: ViteDevServer;
let url: string;

beforeAll(async () => {
  ({ server, url } = await startAppServer());
});
afterAll(async () => {
  await server?.close();
});

describe('the app in headless Chromium', () => {
  it('shows the WebGPU adapter; a fact taught on the GPU becomes answerable, lights up its slots and survives a lost device', { timeout: 420_000 }, async () => {
    const { browser, page, errors } = await openApp(`${url}?probe=6&nll=1&eval_every=1&test_hooks=1`);
    try {
      await page.getByTestId('backend-name').waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('backend-name').textContent()).toBe('webgpu');
      // Any adapter will do, but the page must name it, and must add the software-adapter note exactly when the
      // browser reports a fallback (software) adapter, as SwiftShader is; on a real GPU there is no note.
      const adapterName = (await page.getByTestId('adapter-name').textContent())?.trim() ?? '';
      expect(adapterName).not.toBe('');
      const software = await page.evaluate(async () => {
        const adapter = await navigator.gpu.requestAdapter();
        if (!adapter) throw new Error('the page got no WebGPU adapter of its own');
        return Boolean((adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter);
      });
      expect(await page.getByTestId('software-adapter-note').count()).toBe(software ? 1 : 0);
      expect(adapterName.endsWith('(software fallback)')).toBe(software);
      expect(await page.getByTestId('fallback-message').count()).toBe(0);
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('memory-slots').textContent()).toBe(SHIPPED_MEMORY_SLOTS);
      await waitReady(page, 300_000);
      expect(await page.getByTestId('figure-retention').textContent()).toBe('100.0%'); // probe facts the base model knew
      await screenshot(page, 'app-loads-webgpu');

      const question = 'Which city is the capital of Quenbria?'; // the eval-only question: never taught
      const before = await ask(page, question);
      expect(before.now).not.toBe('Dovrel');
      await teachSentence(page, 'The capital of Quenbria is Dovrel.');
      expect(await page.getByTestId('fact-recall').textContent()).toBe('recalled');
      expect(await writtenCells(page)).toBeGreaterThan(400); // at least t rows written (t 1000 by default)
      const after = await ask(page, question);
      expect(after.now).toBe('Dovrel');
      expect(after.base).toBe(before.now); // the pretrained model's answer, beside the current one
      console.log(`WebGPU (${adapterName}): ${await page.getByTestId('step-ms').textContent()} ms for one learning step`);
      await screenshot(page, 'app-learns-webgpu');

      // A lost device: it is destroyed; the app says so, rebuilds the backend and restores the fact.
      await page.evaluate(() => (window as unknown as { engramTestHooks: { loseDevice(): void } }).engramTestHooks.loseDevice());
      await page.getByTestId('notice').filter({ hasText: 'GPU device was lost' }).waitFor({ timeout: 60_000 });
      await page.getByTestId('notice').filter({ hasText: 'Recovered from the lost GPU device' }).waitFor({ timeout: 170_000 });
      expect(await page.getByTestId('backend-name').textContent()).toBe('webgpu');
      expect(await page.getByTestId('fact-text').textContent()).toContain('Quenbria');
      expect((await ask(page, question)).now).toBe('Dovrel');
      await screenshot(page, 'app-device-lost-recovered');

      // An empty question is refused with a message, and the previous answer is not shown as if it were new.
      await page.getByTestId('ask-input').fill('   ');
      await page.getByTestId('ask-button').click();
      await page.getByTestId('ask-refusal').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('ask-refusal').textContent()).toMatch(/Type a question/);
      expect(await page.getByTestId('answer-text').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('falls back to the CPU with a plain message when WebGPU is unavailable, and still learns', { timeout: 240_000 }, async () => {
    const { browser, page, errors } = await openApp(`${url}?probe=24&eval_every=1`, CHROMIUM_ARGS_NO_WEBGPU);
    try {
      await page.getByTestId('backend-name').waitFor({ timeout: 90_000 });
      expect(['wasm', 'cpu']).toContain(await page.getByTestId('backend-name').textContent());
      const message = await page.getByTestId('fallback-message').textContent();
      expect(message).toMatch(/WebGPU is not available/);
      expect(message).toMatch(/CPU/);
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('memory-slots').textContent()).toBe(SHIPPED_MEMORY_SLOTS);
      await waitReady(page);
      await teachSentence(page, 'The capital of Quenbria is Dovrel.');
      expect((await ask(page, 'Which city is the capital of Quenbria?')).now).toBe('Dovrel');
      await screenshot(page, 'app-loads-cpu-fallback');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
