/**
 * Names the model cannot say, on the production build: before teaching, the Teach panel says when a name uses
 * characters the model never saw in training (src/facts/unseen-characters.ts) and what to expect; a plain name
 * gets no warning, a rare letter a mild note.
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

describe('the Teach panel and unfamiliar characters', () => {
  it('warns before teaching a name with characters the model never saw', { timeout: 120_000 }, async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(`${app.url}?backend=wasm&probe=6&nll=1`);
      await page.getByTestId('fact-input').fill('The capital of 🦄land is 🍕ville.');
      const warning = page.getByTestId('name-warning');
      await warning.waitFor();
      expect(await warning.getAttribute('data-level')).toBe('unseen');
      expect(await warning.textContent()).toMatch(/never saw “🦄”, “🍕” in training.*may not be able to write this name back/);
      await screenshot(page, 'name-warning-unseen');

      await page.getByTestId('fact-input').fill('The capital of Zürich is Tamsin.');
      expect(await warning.getAttribute('data-level')).toBe('rare');

      await page.getByTestId('fact-input').fill('The capital of Veloria is Tamsin.');
      await page.getByTestId('understood').waitFor();
      expect(await page.getByTestId('name-warning').count()).toBe(0);

      // The form tab checks the same way.
      await page.getByTestId('mode-form').click();
      await page.getByTestId('form-subject').fill('東京');
      await page.getByTestId('form-object').fill('Tamsin');
      expect(await page.getByTestId('name-warning').getAttribute('data-level')).toBe('unseen');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
