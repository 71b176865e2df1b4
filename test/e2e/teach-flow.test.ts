/**
 * The teaching story on one page (one model load shared by the steps): teach a typed fact, see it answered,
 * retention held and a written slot explained; export it; reload and find it kept; undo it and get the old
 * answer back; stream a pack with pause and single steps; race the three methods; then a fresh browser
 * profile imports the export and answers again. Screenshots of each stage go to test-artifacts/.
 *
 * Runs on the wasm backend (?backend=wasm): the learning code is the same as on WebGPU (app-loads.test.ts
 * teaches a fact on WebGPU), but SwiftShader takes ~20 s a step and ~2 min per evaluation on this 2-core
 * machine, against ~0.7 s and ~5 s on wasm, and the whole story must fit in a few minutes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import { ARTIFACTS_DIR, MEMORY_SIDE, openApp, screenshot, startAppServer, type OpenedPage } from './app-harness';
import { ask, percent, teachSentence, waitReady, writtenCells } from './page-helpers';

let server: ViteDevServer;
let url: string;
let opened: OpenedPage;

const QUESTION = 'Which city is the capital of Veloria?'; // the relation's eval-only question: never taught
const ANSWER = 'Tamsin';
const APP = '?backend=wasm&eval_every=1&probe=48';

beforeAll(async () => {
  ({ server, url } = await startAppServer());
  opened = await openApp(url + APP);
  // Main-thread tasks longer than 50 ms, recorded by the page itself and logged: on the dev server's React development
  // build they say little; stream-responsive.test.ts asserts that none is over 100 ms on the production build.
  await opened.page.addInitScript(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  opened.page.on('dialog', (dialog) => void dialog.accept());
}, 180_000);
afterAll(async () => {
  await opened?.browser.close();
  await server?.close();
});

describe('teaching, undo, reload, stream, race, export and import (wasm backend)', () => {
  let baseAnswer = '';
  let patchPath = '';

  it('teaches a typed fact: understood before teaching, then answerable, with retention held', async () => {
    const { page } = opened;
    await page.reload(); // so the long-task observer is installed from the start
    await waitReady(page);
    const retentionBefore = await percent(page, 'figure-retention');
    baseAnswer = (await ask(page, QUESTION)).now;
    expect(baseAnswer).not.toBe(ANSWER);
    await page.getByTestId('fact-input').fill('the capital of Veloria is Tamsin');
    expect(await page.getByTestId('understood-subject').textContent()).toBe('Veloria');
    expect(await page.getByTestId('understood-relation').textContent()).toBe('capital');
    expect(await page.getByTestId('understood-object').textContent()).toBe('Tamsin');
    await page.getByTestId('fact-input').fill('What is the capital of Veloria?');
    expect(await page.getByTestId('fact-problem').textContent()).toMatch(/question/);
    expect(await page.getByTestId('teach-button').isDisabled()).toBe(true);
    await screenshot(page, 'flow-1-validation');

    await teachSentence(page, 'The capital of Veloria is Tamsin.');
    expect(await page.getByTestId('fact-recall').textContent()).toBe('recalled');
    expect(await writtenCells(page)).toBeGreaterThan(400);
    const after = await ask(page, QUESTION);
    expect(after.now).toBe(ANSWER);
    expect(after.base).toBe(baseAnswer);
    // One sparse step may cost at most a couple of the 48 probe facts the model knew.
    expect(retentionBefore).toBeGreaterThanOrEqual(0.95);
    expect(await percent(page, 'figure-retention')).toBeGreaterThanOrEqual(retentionBefore - 0.05);
    console.log(`wasm: ${await page.getByTestId('step-ms').textContent()} ms for one learning step, ${await page.getByTestId('figure-eval-ms').textContent()} ms per evaluation`);
    // The backend's memory in use is shown after every step: tensors and MiB (the model alone is ~41 MiB).
    const memory = (await page.getByTestId('memory-in-use').textContent())!;
    const [, tensors, mib] = /^([\d,]+) tensors, ([\d.]+) MiB$/.exec(memory.trim())!;
    expect(Number(tensors.replace(/,/g, ''))).toBeGreaterThan(20);
    expect(Number(mib)).toBeGreaterThan(40);
    await screenshot(page, 'flow-2-taught');
  });

  it('explains a written slot: the fact that changed it, its idf, the tokens that read it', async () => {
    const { page } = opened;
    const slot = Number(await page.getByTestId('slot-panel').getAttribute('data-top-slot'));
    const box = (await page.getByTestId('slot-map').boundingBox())!;
    await page.mouse.click(box.x + ((slot % MEMORY_SIDE) + 0.5) * (box.width / MEMORY_SIDE), box.y + (Math.floor(slot / MEMORY_SIDE) + 0.5) * (box.height / MEMORY_SIDE));
    await page.getByTestId('slot-facts').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('slot-info').locator('h3').textContent()).toContain(`Slot ${slot}`);
    expect(await page.getByTestId('slot-facts').textContent()).toContain('Veloria');
    expect(Number(await page.getByTestId('slot-idf').textContent())).toBeGreaterThan(0);
    await screenshot(page, 'flow-3-slot');
  });

  it('exports the fact as a patch file', async () => {
    const { page } = opened;
    await page.getByRole('checkbox', { name: 'Select fact 1' }).check();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-button').click()]);
    patchPath = join(ARTIFACTS_DIR, 'veloria.engram');
    await download.saveAs(patchPath);
    expect(readFileSync(patchPath).subarray(0, 11).toString('latin1')).toBe('ENGRAMPATCH');
  });

  it('keeps the taught fact across a reload', async () => {
    const { page } = opened;
    await page.reload();
    await waitReady(page);
    expect(await page.getByTestId('fact-text').textContent()).toContain('Veloria');
    // The chart's saved history shows before the first evaluation after the reload has measured the fact.
    await page.getByTestId('fact-recall').filter({ hasText: /^recalled$/ }).waitFor({ timeout: 120_000 });
    expect((await ask(page, QUESTION)).now).toBe(ANSWER);
    await screenshot(page, 'flow-4-reloaded');
  });

  it('undo restores the old answer', async () => {
    const { page } = opened;
    await page.getByTestId('undo-button').click();
    await page.getByTestId('fact-row').waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.getByTestId('changed-count').textContent()).toBe('0');
    expect((await ask(page, QUESTION)).now).toBe(baseAnswer);
    await screenshot(page, 'flow-5-undone');
  });

  // Main-thread long tasks are only logged here (dev server); stream-responsive.test.ts asserts on them.
  it('streams a pack: pack choice in the URL, pause, exactly one step while paused, resume, stop, chart points', { timeout: 600_000 }, async () => {
    const { page } = opened;
    await page.getByTestId('pack-select').selectOption('invented');
    expect(new URL(page.url()).searchParams.get('pack')).toBeNull(); // invented is the default: not in the URL
    await page.getByTestId('pack-select').selectOption('counterfactual');
    expect(new URL(page.url()).searchParams.get('pack')).toBe('counterfactual');
    await page.getByTestId('pack-select').selectOption('invented');
    await page.evaluate(() => ((window as unknown as { longTasks: number[] }).longTasks = []));
    await page.getByTestId('stream-start').click();
    await page.locator('[data-testid="fact-row"]').nth(1).waitFor({ timeout: 120_000 });
    await page.getByTestId('stream-pause').click();
    await page.getByTestId('stream-status').filter({ hasText: /^paused/ }).waitFor({ timeout: 60_000 });
    const paused = await page.getByTestId('fact-row').count();
    await page.waitForTimeout(1500);
    await page.getByTestId('stream-step').click();
    await page.locator('[data-testid="fact-row"]').nth(paused).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('fact-row').count()).toBe(paused + 1); // exactly one more while paused
    await page.getByTestId('stream-resume').click();
    // Each streamed fact is evaluated here (eval_every=1): on a loaded 2-core machine two facts take minutes.
    await page.locator('[data-testid="fact-row"]').nth(paused + 2).waitFor({ timeout: 300_000 });
    await page.getByTestId('stream-stop').click();
    const points = await page.locator('.recharts-line-dots').first().locator('circle').count();
    expect(points).toBeGreaterThan(2);
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    console.log(`dev server: main-thread tasks over 50 ms while streaming: ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms`);
    await screenshot(page, 'flow-6-streamed');
  });

  it('races sparse memory finetuning, full finetuning and LoRA on the same facts', { timeout: 300_000 }, async () => {
    const { page } = opened;
    await page.getByTestId('race-count').fill('2');
    await page.getByTestId('race-start').click();
    await page.getByTestId('race-status').filter({ hasText: /^done/ }).waitFor({ timeout: 280_000 });
    const legend = await page.getByTestId('race-charts').textContent();
    for (const name of ['sparse memory', 'full finetuning', 'LoRA']) expect(legend).toContain(name);
    await screenshot(page, 'flow-7-race');
  });

  it('imports the patch in a fresh browser profile and answers again', async () => {
    const context = await opened.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(url + APP);
      await waitReady(page);
      expect(await page.getByTestId('fact-row').count()).toBe(0);
      await page.getByTestId('import-input').setInputFiles({ name: 'broken.engram', mimeType: 'application/octet-stream', buffer: Buffer.from('not a patch') });
      await page.getByTestId('import-message').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('import-message').textContent()).toMatch(/not an Engram patch/);
      expect(await page.getByTestId('fact-row').count()).toBe(0);
      await page.getByTestId('import-input').setInputFiles(patchPath);
      await page.getByTestId('fact-row').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('import-message').textContent()).toMatch(/Imported/);
      expect((await ask(page, QUESTION)).now).toBe(ANSWER);
      await screenshot(page, 'flow-8-imported');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('logged no errors on the main page', () => {
    expect(opened.errors).toEqual([]);
  });
});
