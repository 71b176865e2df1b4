/**
 * Retakes the README's picture of the app (docs/screenshot-app.png): builds the production app, serves it with
 * `vite preview`, opens it in headless Chromium (the tests' flags, a fresh profile, 1280 px wide) on the wasm
 * backend and drives it through its own controls, as a person would: teach the typed fact "The capital of
 * Veloria is Tamsin.", stream six facts of the invented pack, race the three methods on two facts, select the
 * latest fact's top written slot in the zoom (the slot inspector) and leave the pointer on that slot in the slot
 * map (the hover readout, and the zoom around it). Then it saves a full-page PNG.
 *
 *   npm run screenshot -- [--out docs/screenshot-app.png]
 *
 * The address is ?backend=wasm&eval_every=1&probe=48&nll=2: every fact gets its chart point, and each
 * evaluation is sized by the address (48 retention-probe facts, 2 held-out windows) rather than by timing the
 * device, so the picture does not depend on how loaded the machine is. About 50 s on this project's 2-core
 * machine (with two other jobs running). It exits 1, after saving, if the page logged an error or showed a
 * failure.
 */
import { MEMORY_SIDE } from '../test/e2e/app-harness';
import { teachSentence, waitReady } from '../test/e2e/page-helpers';
import { newPage, startProductionApp } from '../test/e2e/production-app';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  out: { type: 'string', default: 'docs/screenshot-app.png' },
});

const ADDRESS = '?backend=wasm&eval_every=1&probe=48&nll=2';
const TYPED_FACT = 'The capital of Veloria is Tamsin.';
const STREAMED = 6;
const RACED = 2;
/** Generous: each stage took at most 20 s here, but a slower or busier machine may take many times that. */
const LONG = 1_200_000;

const started = performance.now();
const progress = (what: string) => console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s  ${what}`);

async function main() {
  progress('building the production app...');
  const app = await startProductionApp();
  const { context, page, errors } = await newPage(app.browser, { viewport: { width: 1280, height: 900 } });
  try {
    progress(`built and served at ${app.url}; loading the model (wasm)...`);
    await page.goto(app.url + ADDRESS);
    await waitReady(page, LONG);
    progress(`model loaded: ${(await page.getByTestId('backend-status').textContent())?.replace(/\s+/g, ' ').trim()}`);

    progress(`teaching "${TYPED_FACT}"...`);
    await teachSentence(page, TYPED_FACT);
    progress(`taught: ${await page.getByTestId('fact-recall').first().textContent()}`);

    progress(`streaming ${STREAMED} facts of the invented pack...`);
    await page.getByTestId('pack-select').selectOption('invented');
    await page.getByTestId('stream-start').click();
    // Stop while the last wanted fact is being taught: the stream counts that fact and starts no other.
    await page.getByTestId('stream-status').filter({ hasText: new RegExp(`^running: ${STREAMED - 1} of`) }).waitFor({ timeout: LONG });
    await page.getByTestId('stream-stop').click();
    const facts = 1 + STREAMED;
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="figures"]')?.getAttribute('data-measured-facts')) >= n, facts, { timeout: LONG });
    progress(`streamed: ${await page.getByTestId('fact-row').count()} facts listed, ${await page.getByTestId('stream-status').textContent()}`);

    progress(`racing the three methods on ${RACED} facts...`);
    await page.getByTestId('race-count').fill(String(RACED));
    await page.getByTestId('race-start').click();
    await page.getByTestId('race-status').filter({ hasText: /^done/ }).waitFor({ timeout: LONG });
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: LONG });
    progress(`race: ${(await page.getByTestId('race-status').textContent())?.trim()}`);

    // The slot inspector on the latest fact's top written slot, picked exactly in the zoom (on the 512 x 512 map a
    // slot is a CSS pixel or less), which centres on the top slot while the pointer is off the map.
    const top = Number(await page.getByTestId('slot-panel').getAttribute('data-top-slot'));
    const row = Math.floor(top / MEMORY_SIDE);
    const col = top % MEMORY_SIDE;
    progress(`inspecting the latest fact's top slot ${top} (row ${row}, column ${col})...`);
    await page.getByTestId('slot-panel').locator('h2').hover();
    const zoom = page.getByTestId('slot-zoom');
    const zoomBox = (await zoom.boundingBox())!;
    const zoomCell = zoomBox.width / 32;
    const zoomRow = Number(await zoom.getAttribute('data-row'));
    const zoomCol = Number(await zoom.getAttribute('data-col'));
    await zoom.click({ position: { x: (col - zoomCol + 0.5) * zoomCell, y: (row - zoomRow + 0.5) * zoomCell } });
    await page.getByTestId('slot-info').locator('h3').filter({ hasText: `Slot ${top} ` }).waitFor({ timeout: LONG });
    await page.getByTestId('slot-facts').waitFor({ timeout: LONG });

    // The pointer on that slot in the map: the hover readout names it and the zoom follows. A cell is about a
    // pixel wide, so nudge the pointer by fractions of a cell until the readout names the top slot itself.
    const map = page.getByTestId('slot-map');
    const box = (await map.boundingBox())!;
    const cell = box.width / MEMORY_SIDE;
    const hover = page.getByTestId('slot-hover');
    const nudges = [0, -0.3, 0.3].flatMap((dy) => [0, -0.3, 0.3].map((dx) => ({ dx, dy })));
    let hovered = NaN;
    for (const { dx, dy } of nudges) {
      await map.hover({ position: { x: (col + 0.5 + dx) * cell, y: (row + 0.5 + dy) * cell } });
      await page.waitForTimeout(200);
      hovered = Number(await hover.getAttribute('data-slot'));
      if (hovered === top) break;
    }
    progress(`pointer on slot ${hovered}${hovered === top ? ' (the top slot)' : ` (next to the top slot ${top})`}: ${(await hover.textContent())?.trim()}`);
    await page.waitForTimeout(1000); // the charts and the zoom draw a frame or two after their data

    await page.screenshot({ path: args.out!, fullPage: true });
    const size = await page.evaluate(() => ({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight }));
    progress(`saved ${args.out} (${size.width} x ${size.height})`);

    const failures = await page.getByTestId('failures').count();
    if (failures > 0) errors.push(`failure panel: ${await page.getByTestId('failures').textContent()}`);
    for (const error of errors) console.error(`  error: ${error}`);
    if (errors.length > 0) process.exitCode = 1;
  } finally {
    await context.close();
    await app.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
