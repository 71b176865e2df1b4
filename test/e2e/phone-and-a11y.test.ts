/**
 * Small screens and accessibility (production build, wasm): at 390 px wide the page does not scroll sideways;
 * axe-core finds no serious or critical violation on the loaded app (after a fact is taught, so the slot map,
 * charts and facts list are filled); every control can be reached with Tab and has an accessible name.
 */
import AxeBuilder from '@axe-core/playwright';
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

describe('phone width and accessibility', () => {
  it('fits 390 px without sideways scrolling', { timeout: 180_000 }, async () => {
    const { context, page, errors } = await newPage(app.browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      await page.goto(`${app.url}?backend=wasm&probe=6&nll=1`);
      await waitReady(page);
      await teachSentence(page, 'The capital of Veloria is Tamsin.');
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .slice(0, 12)
          .map((e) => `${e.tagName.toLowerCase()}.${(e as HTMLElement).className} ${Math.round(e.getBoundingClientRect().right)}`),
      );
      console.log(`wider than the screen: ${wide.join(', ') || 'none'}`);
      const scrollWidth = await page.evaluate(() => document.scrollingElement!.scrollWidth);
      console.log(`scrollWidth at 390 px: ${scrollWidth}`);
      await screenshot(page, 'phone-390');
      expect(scrollWidth).toBeLessThanOrEqual(390);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('has no serious or critical axe violations, and every control is named and reachable by Tab', { timeout: 180_000 }, async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(`${app.url}?backend=wasm&probe=6&nll=1`);
      await waitReady(page);
      await teachSentence(page, 'The capital of Veloria is Tamsin.');
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      for (const v of results.violations) console.log(`axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
      expect(bad.map((v) => v.id)).toEqual([]);

      // Every enabled control is in the Tab order (of a radio group, the checked radio: arrows move within it)
      // and has an accessible name (axe's label, button-name and select-name rules above).
      const controls = await page.evaluate(() =>
        [...document.querySelectorAll('button, input, select, textarea, a[href], canvas[tabindex], summary')]
          .filter((e) => !(e as HTMLButtonElement).disabled && (e as HTMLElement).offsetParent !== null && (e as HTMLElement).getClientRects().length > 0)
          .filter((e) => !(e instanceof HTMLInputElement && e.type === 'radio' && !e.checked))
          .filter((e) => !(e instanceof HTMLInputElement && e.type === 'file')) // reached through its label's button
          .map((e) => ({ id: (e as HTMLElement).dataset.testid ?? e.outerHTML.slice(0, 80), tabIndex: (e as HTMLElement).tabIndex })),
      );
      expect(controls.filter((c) => c.tabIndex < 0)).toEqual([]);
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      const reached = new Set<string>();
      for (let i = 0; i < controls.length * 2 + 5; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate(() => {
          const e = document.activeElement as HTMLElement | null;
          return e ? (e.dataset.testid ?? e.outerHTML.slice(0, 80)) : '';
        });
        reached.add(id);
      }
      const missed = controls.map((c) => c.id).filter((id) => !reached.has(id));
      console.log(`controls: ${controls.length}, not reached by Tab: ${missed.join(', ') || 'none'}`);
      expect(missed).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
