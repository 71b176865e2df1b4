/**
 * Damaged storage in the real app: a taught fact whose stored record was damaged is not replayed. The page
 * names it and the way forward, the facts taught before it are restored, and the damaged record is gone from
 * storage so the next reload is clean. Wasm backend and a small evaluation, as in teach-flow.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import { openApp, screenshot, startAppServer, type OpenedPage } from './app-harness';
import { teachSentence, waitReady } from './page-helpers';

let server: ViteDevServer;
let opened: OpenedPage;

beforeAll(async () => {
  let url: string;
  ({ server, url } = await startAppServer());
  opened = await openApp(url + '?backend=wasm&eval_every=1&probe=6&nll=1');
}, 180_000);
afterAll(async () => {
  await opened?.browser.close();
  await server?.close();
});

/** Puts a NaN into a stored fact's rows, as a damaged disk could; the worker's database, opened by the page. */
function damageStoredFact(page: OpenedPage['page'], id: number): Promise<void> {
  return page.evaluate(
    (id) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('engram');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('facts', 'readwrite');
          const facts = tx.objectStore('facts');
          const get = facts.get(id);
          get.onsuccess = () => {
            const record = get.result as { after: { rows: Float32Array } };
            record.after.rows[0] = NaN;
            facts.put(record);
          };
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    id,
  );
}

describe('stored taught facts (wasm backend)', () => {
  it('restores the facts before a damaged one, says what was lost and what to do, and reloads clean after', { timeout: 420_000 }, async () => {
    const { page, errors } = opened;
    await waitReady(page);
    await teachSentence(page, 'The capital of Veloria is Tamsin.');
    await teachSentence(page, 'The currency of Veloria is the Tamsin crown.');
    await page.reload();
    await waitReady(page);
    expect(await page.getByTestId('fact-row').count()).toBe(2);
    expect(await page.getByTestId('failures').count()).toBe(0);

    await damageStoredFact(page, 2);
    await page.reload();
    await waitReady(page);
    const failure = (await page.getByTestId('failures').textContent()) ?? '';
    expect(failure).toMatch(/1 stored taught fact was damaged and not restored \(fact #2: after value 0 is NaN\)/);
    expect(failure).toContain('Restored the 1 fact taught before the first damaged one.');
    expect(failure).toMatch(/Not restored: "Veloria · currency · [^"]+"\./);
    expect(failure).toMatch(/export it as a patch file/);
    expect(await page.getByTestId('fact-row').count()).toBe(1);
    expect(await page.getByTestId('fact-text').textContent()).toContain('Tamsin');
    await screenshot(page, 'stored-facts-damaged');

    await page.reload();
    await waitReady(page);
    expect(await page.getByTestId('failures').count()).toBe(0);
    expect(await page.getByTestId('fact-row').count()).toBe(1);
    expect(errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
