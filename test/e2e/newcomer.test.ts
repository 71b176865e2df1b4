/**
 * The first minutes of a newcomer, on the production build (`vite build`, `vite preview`) with the default
 * settings a person gets (evaluation every 5 streamed facts, the full 96-fact probe and 8 NLL windows), on the
 * wasm backend:
 *  - the page title says what this Engram is and is not;
 *  - the Form tab says why Teach is disabled (empty field, markup in a name, a year in words);
 *  - three facts taught by hand are counted at once, each measured (recall on its eval-only question) and
 *    charted within seconds; the facts list shows the question recall asked and the model's answer, and
 *    Ask offers that question (and other wordings) in one click, answering as the list says;
 *  - quick repeated clicks on Teach teach a fact once; teaching it again says "already taught"; importing a
 *    patch of facts already taught skips them and says how many;
 *  - a stream stopped, then the page reloaded, goes on from the next fact of the pack, not from fact 1;
 *  - "Restored N taught facts" goes away after an undo, and every notice and message about the facts after
 *    Reset to base.
 * It prints the page's own timings (ms per learning step, ms per evaluation: the first, after a typed fact,
 * while streaming) for README's "Using the app". Screenshots go to test-artifacts/newcomer-*.png.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProduction, servePreview } from '../../scripts/production-build';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { ARTIFACTS_DIR, screenshot } from './app-harness';
import { waitReady, watchPage } from './page-helpers';

let outDir: string;
let server: PreviewServer;
let browser: Browser;
let page: Page;
let errors: string[] = [];
/** The page's figures, printed at the end for README. */
const timings: string[] = [];

const PACK = join(process.cwd(), 'public/data/packs/invented.jsonl');

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'engram-newcomer-'));
  await buildProduction(outDir);
  let url: string;
  ({ server, url } = await servePreview(outDir));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  errors = await watchPage(page);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${url}?backend=wasm`);
}, 240_000);

afterAll(async () => {
  if (timings.length > 0) console.log(`newcomer, production build, wasm, default settings:\n  ${timings.join('\n  ')}`);
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const text = async (testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
const rows = () => page.getByTestId('fact-row');
const row = (id: number) => page.locator(`[data-testid="fact-row"][data-fact-id="${id}"]`);

/** Clicks something that asks a question and waits for the answer to it; returns the model's answer now. */
async function answerAfter(click: () => Promise<void>): Promise<string> {
  const previous = (await page.getByTestId('answers').count()) > 0 ? await page.getByTestId('answers').getAttribute('data-answer-id') : null;
  await click();
  await page.locator(previous ? `[data-testid="answers"]:not([data-answer-id="${previous}"])` : '[data-testid="answers"]').waitFor({ timeout: 120_000 });
  return text('answer-text');
}

/** Waits for the chart point measured at `facts` facts. */
async function measuredAt(facts: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts') === String(n), facts, { timeout: 120_000 });
}

/** Teaches a typed sentence; returns seconds from the click until the fact's own recall is shown. */
async function teachByHand(sentence: string, id: number): Promise<number> {
  await page.getByTestId('fact-input').fill(sentence);
  const started = Date.now();
  await page.getByTestId('teach-button').click();
  await row(id).locator('[data-testid="fact-recall"] :is(.ok, .bad)').waitFor({ timeout: 120_000 });
  return (Date.now() - started) / 1000;
}

describe('a newcomer\'s first minutes (production build, wasm, default settings)', () => {
  it('names what this Engram is in the page title', async () => {
    expect(await page.title()).toMatch(/^Engram — an in-browser demo of sparse memory finetuning.*not DeepSeek's Engram nor an agent-memory library/);
  });

  it('the Form tab says why Teach is disabled', async () => {
    await waitReady(page, 230_000);
    timings.push(`first evaluation (pretrained model): ${await text('figure-eval-ms')} ms`);
    await page.getByTestId('mode-form').click();
    const teach = page.getByTestId('teach-button');
    expect(await teach.isDisabled()).toBe(true);
    expect(await text('fact-problem')).toBe('The subject is empty; fill it in.');
    await page.getByTestId('form-subject').fill('<b>Veloria</b>');
    await page.getByTestId('form-object').fill('Tamsin');
    expect(await text('fact-problem')).toMatch(/contains "<" or ">"/);
    await page.getByTestId('form-subject').fill('Veloria');
    await page.getByTestId('form-relation').selectOption('independence_year');
    await page.getByTestId('form-object').fill('nineteen eighty-one');
    expect(await text('fact-problem')).toMatch(/must be a year written in digits, like 1957; got "nineteen eighty-one"/);
    expect(await teach.isDisabled()).toBe(true);
    await screenshot(page, 'newcomer-1-form-validation');
    await page.getByTestId('form-object').fill('1981');
    expect(await page.getByTestId('fact-problem').count()).toBe(0);
    expect(await teach.isDisabled()).toBe(false);
    await page.getByTestId('mode-sentence').click();
  });

  it('counts, measures and charts each fact taught by hand at once; quick repeated clicks teach it once', async () => {
    const points = () => page.locator('.chart .recharts-line-dots').first().locator('circle').count();
    const pointsBefore = await points();
    // Three clicks in one task: the page sends the fact once (Teach is disabled while it is taught), and the
    // worker refuses a repeat that gets through anyway.
    await page.getByTestId('fact-input').fill('The capital of Veloria is Tamsin.');
    const started = Date.now();
    await page.getByTestId('teach-button').evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
      button.click();
    });
    expect(await page.getByTestId('teach-button').isDisabled()).toBe(true);
    expect(await text('teach-button')).toBe('Teaching…');
    await row(1).locator('[data-testid="fact-recall"] :is(.ok, .bad)').waitFor({ timeout: 120_000 });
    const firstSeconds = (Date.now() - started) / 1000;
    expect(await text('figure-facts')).toBe('1');
    await page.waitForTimeout(1500); // any repeat that got through would be taught by now
    expect(await rows().count()).toBe(1);
    await measuredAt(1);
    const pointSeconds = [(Date.now() - started) / 1000];

    const seconds = [firstSeconds];
    for (const [id, sentence] of [
      [2, 'The currency of Veloria is the Tamsin crown.'],
      [3, 'Oskar Vell was born in 1962.'],
    ] as const) {
      const at = Date.now();
      seconds.push(await teachByHand(sentence, id));
      expect(await text('figure-facts')).toBe(String(id)); // counted at once, before the chart point
      await measuredAt(id);
      pointSeconds.push((Date.now() - at) / 1000);
    }
    // Every fact has its own measurement and a chart point.
    expect(await text('figure-recall')).toMatch(/^\d+\.\d%$/);
    expect(await text('figure-ms')).toMatch(/^\d+$/);
    expect(await page.getByText('not yet measured').count()).toBe(0);
    expect(await points()).toBe(pointsBefore + 3);
    timings.push(`teach by hand, click to the fact's own recall shown: ${seconds.map((s) => s.toFixed(1)).join(', ')} s; to its chart point: ${pointSeconds.map((s) => s.toFixed(1)).join(', ')} s`);
    timings.push(`after 3 typed facts: ${await text('figure-ms')} ms per learning step, ${await text('figure-eval-ms')} ms per evaluation`);

    // Teaching it again says so, and teaches nothing.
    await page.getByTestId('fact-input').fill('The capital of Veloria is Tamsin.');
    await page.getByTestId('teach-button').click();
    await page.getByTestId('teach-refusal').waitFor({ timeout: 60_000 });
    expect(await text('teach-refusal')).toMatch(/already taught \(fact #1\)/);
    expect(await rows().count()).toBe(3);
    await screenshot(page, 'newcomer-2-three-facts');
  });

  it('shows the question recall asked and the answer, and Ask asks it in one click with the same answer', async () => {
    const first = row(1);
    expect(await first.getByTestId('recall-question').textContent()).toBe('Which city is the capital of Veloria?');
    const listed = ((await first.getByTestId('recall-answer').textContent()) ?? '').trim();
    const verdict = ((await first.getByTestId('fact-recall').textContent()) ?? '').trim();
    // Ask offers questions about the fact just taught (Oskar Vell); the row's Ask button switches to Veloria.
    expect(await text('ask-suggestions')).toContain('Oskar Vell');
    await first.getByTestId('ask-about-button').click();
    expect(await text('ask-suggestions')).toContain('Veloria');
    expect(await page.getByTestId('ask-suggestion').count()).toBeGreaterThanOrEqual(2);
    const now = await answerAfter(() => page.getByTestId('ask-suggestion-recall').click());
    expect(await page.getByTestId('ask-input').inputValue()).toBe('Which city is the capital of Veloria?');
    // The verdict and Ask agree: the same question gets the answer the list shows.
    expect(now.toLowerCase().startsWith(listed.toLowerCase()) || listed.toLowerCase().startsWith(now.toLowerCase())).toBe(true);
    expect(verdict === 'recalled').toBe(now === 'Tamsin');
    const other = await answerAfter(() => page.getByTestId('ask-suggestion').first().click());
    timings.push(`Veloria: recall ${verdict} (list answer "${listed}", Ask "${now}"), the taught question answers "${other}"`);
    await screenshot(page, 'newcomer-3-recall-and-ask');
  });

  it('importing a patch of facts already taught skips them and says how many', async () => {
    await page.getByTestId('select-all').check();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-button').click()]);
    const patch = join(ARTIFACTS_DIR, 'newcomer-3-facts.engram');
    await download.saveAs(patch);
    await page.getByTestId('select-all').uncheck();
    await page.getByTestId('import-input').setInputFiles({ name: 'newcomer-3-facts.engram', mimeType: 'application/octet-stream', buffer: await readFile(patch) });
    await page.getByTestId('import-message').filter({ hasText: /already taught/ }).waitFor({ timeout: 60_000 });
    expect(await text('import-message')).toBe('newcomer-3-facts.engram: nothing imported; all 3 of its facts are already taught.');
    expect(await rows().count()).toBe(3);
  });

  it('a stream stopped before a reload goes on from the next fact of the pack, not from fact 1', async () => {
    const pack = (await readFile(PACK, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { subject: string; relation: string; object: string });
    expect(await text('stream-eval-note')).toMatch(/every 5 facts/);
    await page.getByTestId('stream-start').click();
    // Five streamed facts: the stream's first evaluation (every 5 facts) comes with the fifth.
    await page.waitForFunction(() => document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts') === '8', undefined, { timeout: 180_000 });
    await page.getByTestId('stream-stop').click();
    await page.getByTestId('stream-status').filter({ hasText: /^idle/ }).waitFor({ timeout: 60_000 });
    timings.push(`streaming (5 facts, then an evaluation): ${await text('figure-ms')} ms per learning step, ${await text('figure-eval-ms')} ms per evaluation`);
    const streamed = await rows().count();
    expect(streamed).toBeGreaterThanOrEqual(8);
    const taughtFromPack = streamed - 3;

    await page.reload();
    await waitReady(page, 230_000);
    timings.push(`first evaluation after a reload (${streamed} facts restored): ${await text('figure-eval-ms')} ms`);
    expect(await rows().count()).toBe(streamed);
    expect(await text('notices')).toContain(`Restored ${streamed} taught facts`);
    expect(await text('stream-start')).toBe(`Continue at fact ${taughtFromPack + 1}`);
    await screenshot(page, 'newcomer-4-reloaded');
    await page.getByTestId('stream-start').click();
    await row(streamed + 1).waitFor({ timeout: 120_000 });
    await page.getByTestId('stream-stop').click();
    await page.getByTestId('stream-status').filter({ hasText: /^idle/ }).waitFor({ timeout: 60_000 });
    const next = pack[taughtFromPack];
    expect(await row(streamed + 1).getByTestId('fact-text').textContent()).toContain(next.subject);
    expect(await row(streamed + 1).getByTestId('fact-text').textContent()).toContain(next.object);
    // Each pack fact is listed once.
    const listed = await page.getByTestId('fact-text').allTextContents();
    expect(listed.filter((t) => t.includes(pack[0].object) && t.includes(pack[0].subject))).toHaveLength(1);
  });

  it('clears notices when the facts they describe change: undo, then Reset to base', async () => {
    const before = await rows().count();
    expect(await text('notices')).toMatch(/Restored \d+ taught facts/);
    // Undo one of the restored facts (the list is newest first; the newest was streamed after the reload).
    await rows().nth(1).getByTestId('undo-button').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="fact-row"]').length === n, before - 1, { timeout: 120_000 });
    expect(await text('notices')).not.toMatch(/Restored/);
    await page.getByTestId('reset-button').click();
    await rows().first().waitFor({ state: 'detached', timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="figure-facts"]')?.textContent === '0', undefined, { timeout: 120_000 });
    expect(await page.getByTestId('notice').count()).toBe(0);
    expect(await page.getByTestId('import-message').count()).toBe(0);
    expect(await text('stream-start')).toBe('Start');
    await screenshot(page, 'newcomer-5-reset');
    expect(errors).toEqual([]);
  });
});
