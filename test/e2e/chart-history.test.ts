/**
 * The charts keep their history across a reload (production build, wasm): two facts taught by hand give three
 * points (the pretrained model, after each fact); after a reload the facts come back from IndexedDB and the
 * charts show all three again, not one; Reset to base clears the history. Also: an evaluation shows its
 * progress with an estimate of the time left.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './app-harness';
import { teachSentence, waitReady } from './page-helpers';
import { newPage, startProductionApp, type ProductionApp } from './production-app';

let app: ProductionApp;

beforeAll(async () => {
  app = await startProductionApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/** Points on the held-out NLL chart (one series, one dot per evaluation). */
function nllDots(page: Page): Promise<number> {
  return page.locator('[data-testid="charts"] figure').nth(1).locator('.recharts-line-dots circle').count();
}

describe('chart history', () => {
  it('survives a reload with the taught facts and is cleared by Reset to base', { timeout: 240_000 }, async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      page.on('dialog', (dialog) => void dialog.accept());
      await page.addInitScript(() => {
        const seen: string[] = ((window as unknown as { progressTexts: string[] }).progressTexts = []);
        new MutationObserver(() => {
          const text = document.querySelector('[data-testid="eval-progress"]')?.textContent;
          if (text && seen[seen.length - 1] !== text) seen.push(text);
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      await page.goto(`${app.url}?backend=wasm&probe=24&nll=2`);
      await waitReady(page);
      await teachSentence(page, 'The capital of Veloria is Tamsin.');
      await teachSentence(page, 'The capital of Quenbria is Dovrel.');
      await page.waitForFunction(() => document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts') === '2');
      await expect.poll(() => nllDots(page), { timeout: 10_000 }).toBe(3);
      const progress = await page.evaluate(() => (window as unknown as { progressTexts: string[] }).progressTexts);
      console.log(`progress texts seen: ${progress.join(' | ')}`);
      expect(progress.some((t) => /\d+ of \d+ questions and text windows, about \d+ s left/.test(t))).toBe(true);

      await page.reload();
      await waitReady(page);
      expect(await page.getByTestId('fact-row').count()).toBe(2);
      await page.waitForFunction(() => document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts') === '2');
      await expect.poll(() => nllDots(page), { timeout: 10_000 }).toBe(3);
      await screenshot(page, 'chart-history-after-reload');

      await page.getByTestId('reset-button').click();
      await page.getByTestId('fact-row').first().waitFor({ state: 'detached', timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts') === '0');
      await expect.poll(() => nllDots(page), { timeout: 10_000 }).toBe(1);
      await page.reload();
      await waitReady(page);
      await expect.poll(() => nllDots(page), { timeout: 10_000 }).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an Ask during the first evaluation does not lose the first point', { timeout: 180_000 }, async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(`${app.url}?backend=wasm`); // the default evaluation size, so the first evaluation takes a while
      await page.getByTestId('eval-progress').waitFor({ timeout: 120_000 });
      await page.getByTestId('ask-input').fill('What is the capital of France?');
      await page.getByTestId('ask-button').click();
      await page.getByTestId('answers').waitFor({ timeout: 120_000 });
      await waitReady(page); // the first evaluation ran after the answer
      await expect.poll(() => nllDots(page), { timeout: 10_000 }).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
