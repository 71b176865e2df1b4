/**
 * Share what you taught (production build, wasm): teach two facts, make a share link, open it in a fresh browser
 * profile, see what it would teach, confirm, and find both facts taught and listed; the settings travel too.
 */
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

describe('share link', () => {
  it('carries the taught facts and settings to a fresh profile, which teaches them after confirming', { timeout: 240_000 }, async () => {
    const first = await newPage(app.browser);
    let link = '';
    try {
      await first.page.goto(`${app.url}?backend=wasm&probe=6&nll=1&t=400`);
      await waitReady(first.page);
      await teachSentence(first.page, 'The capital of Veloria is Tamsin.');
      await teachSentence(first.page, 'The capital of Quenbria is Dovrel.');
      await first.page.getByTestId('share-button').click();
      link = (await first.page.getByTestId('share-link').inputValue())!;
      expect(link).toContain('#share=');
      expect(link).toContain('t=400');
      expect(link.length).toBeLessThan(8000);
      expect(first.errors).toEqual([]);
    } finally {
      await first.context.close();
    }

    const second = await newPage(app.browser);
    try {
      await second.page.goto(link);
      const offer = second.page.getByTestId('share-offer');
      await offer.waitFor();
      expect(await offer.textContent()).toMatch(/This link teaches 2 facts/);
      expect(await second.page.getByTestId('share-facts').locator('li').allTextContents()).toEqual(['Veloria · capital · Tamsin', 'Quenbria · capital · Dovrel']);
      expect(await second.page.getByTestId('fact-row').count()).toBe(0); // nothing taught before confirming
      await screenshot(second.page, 'share-offer');
      const confirm = second.page.getByTestId('share-confirm');
      await second.page.waitForFunction(() => !(document.querySelector('[data-testid="share-confirm"]') as HTMLButtonElement).disabled, undefined, { timeout: 120_000 });
      await confirm.click();
      await second.page.getByTestId('share-progress').filter({ hasText: 'Taught all 2 facts from the link.' }).waitFor({ timeout: 120_000 });
      const listed = await second.page.getByTestId('fact-text').allTextContents();
      expect(listed.join(' ')).toContain('Veloria');
      expect(listed.join(' ')).toContain('Quenbria');
      expect(await second.page.getByTestId('fact-row').count()).toBe(2);
      expect(second.page.url()).not.toContain('#share='); // a reload does not offer it again
      expect(second.page.url()).toContain('t=400');
      await screenshot(second.page, 'share-taught');
      expect(second.errors).toEqual([]);
    } finally {
      await second.context.close();
    }
  });
});
