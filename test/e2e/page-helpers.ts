/** Steps the end-to-end tests share: wait for the engine, ask, count lit slots, read figures. */
import type { Page } from 'playwright-core';
import { MEMORY_SIDE } from './app-harness';

/** The first evaluation point appears once the model is loaded, stored facts restored and measured. */
export async function waitReady(page: Page, timeout = 170_000): Promise<void> {
  await page.getByTestId('figure-retention').waitFor({ timeout });
}

/** Asks a question and waits for the answer to it (answers carry the id of their question). */
export async function ask(page: Page, question: string): Promise<{ now: string; base: string }> {
  const previous = (await page.getByTestId('answers').count()) > 0 ? await page.getByTestId('answers').getAttribute('data-answer-id') : null;
  await page.getByTestId('ask-input').fill(question);
  await page.getByTestId('ask-button').click({ timeout: 170_000 });
  await page.locator(previous ? `[data-testid="answers"]:not([data-answer-id="${previous}"])` : '[data-testid="answers"]').waitFor({ timeout: 170_000 });
  return { now: (await page.getByTestId('answer-text').textContent()) ?? '', base: (await page.getByTestId('base-answer-text').textContent()) ?? '' };
}

/** Teaches a sentence and waits until the fact is listed and its recall measured. */
export async function teachSentence(page: Page, sentence: string): Promise<void> {
  const before = await page.getByTestId('fact-row').count();
  await page.getByTestId('fact-input').fill(sentence);
  await page.getByTestId('teach-button').click();
  await page.getByTestId('fact-row').nth(before).waitFor({ timeout: 170_000 });
  await page.locator('[data-testid="fact-row"]').first().locator('[data-testid="fact-recall"] :is(.ok, .bad)').waitFor({ timeout: 170_000 });
}

/** Cells of the slot map painted in the "latest fact wrote this" colour (SLOT_MAP_COLORS.selected). */
export async function writtenCells(page: Page): Promise<number> {
  return page.getByTestId('slot-map').evaluate((canvas, side) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const cell = c.width / side;
    let lit = 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const at = (Math.floor((y + 0.5) * cell) * c.width + Math.floor((x + 0.5) * cell)) * 4;
        if (data[at] === 255 && data[at + 1] === 110 && data[at + 2] === 0) lit++;
      }
    }
    return lit;
  }, MEMORY_SIDE);
}

export async function percent(page: Page, testId: string): Promise<number> {
  return Number((await page.getByTestId(testId).textContent())!.replace('%', '')) / 100;
}

/**
 * Collects the page's uncaught errors and console errors into the returned list, and records every main-thread
 * task over 50 ms (the page's own PerformanceObserver, from the first navigation on) for `takeLongTasks`.
 */
export async function watchPage(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  return errors;
}

/** The durations of the long tasks recorded since the last call (ms). */
export function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
}
