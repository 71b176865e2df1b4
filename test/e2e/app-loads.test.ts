import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import { CHROMIUM_ARGS_NO_WEBGPU } from '../chromium';
import { openApp, screenshot, startAppServer } from './app-harness';

let server: ViteDevServer;
let url: string;

beforeAll(async () => {
  ({ server, url } = await startAppServer());
});
afterAll(async () => {
  await server?.close();
});

describe('the app in headless Chromium', () => {
  it('detects WebGPU and shows the backend and the adapter it runs on', async () => {
    const { browser, page, errors } = await openApp(url);
    try {
      await page.getByTestId('backend-name').waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('backend-name').textContent()).toBe('webgpu');
      // Headless Chromium without a GPU gets Google's SwiftShader software adapter.
      expect((await page.getByTestId('adapter-name').textContent())?.toLowerCase()).toContain('swiftshader');
      expect(await page.getByTestId('fallback-message').count()).toBe(0);
      // The checkpoint is downloaded (with a byte progress bar), verified by checksum and uploaded to the GPU.
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('memory-slots').textContent()).toBe('65,536');
      // Ask the pretrained model something it knows (greedy decoding on the GPU).
      await page.getByTestId('ask-input').fill('Which city is the capital of France?');
      await page.getByTestId('ask-button').click();
      await page.getByTestId('answer-text').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('answer-text').textContent()).toBe('Paris');
      await screenshot(page, 'app-loads-webgpu');
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

  it('falls back to the CPU with a plain message when WebGPU is unavailable', async () => {
    const { browser, page, errors } = await openApp(url, CHROMIUM_ARGS_NO_WEBGPU);
    try {
      await page.getByTestId('backend-name').waitFor({ timeout: 90_000 });
      expect(['wasm', 'cpu']).toContain(await page.getByTestId('backend-name').textContent());
      const message = await page.getByTestId('fallback-message').textContent();
      expect(message).toMatch(/WebGPU is not available/);
      expect(message).toMatch(/CPU/);
      await page.getByTestId('model-status').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('memory-slots').textContent()).toBe('65,536');
      await screenshot(page, 'app-loads-cpu-fallback');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
