/**
 * Browser soak (the app must stay flat in memory and lose no work over a long stream): streams many facts into the built app in headless Chromium through its own
 * controls (the packs one after another: 890 distinct facts, since the page skips a fact already taught), and watches for leaks and
 * lost work. Every `--every` facts it prints the backend's tensors and bytes (tf.memory() in the engine worker,
 * sent with each taught fact), the worker's JavaScript heap and array buffers (Chrome DevTools Protocol), the
 * browser's resident memory (all its processes) and the page's main-thread tasks over 50 ms; at the end the
 * least-squares slope of each, errors, recall and retention, the site's IndexedDB usage, and then it reloads the
 * page and checks that every taught fact is restored from IndexedDB and still recalled as before.
 *
 *   npm run soak:browser -- [--n 1000] [--every 100] [--backend wasm|webgpu] [--probe 96] [--t 500] [--lr 5]
 *                           [--steps 2] [--screenshot FILE]
 *
 * The production build is made in a temporary folder and served by `vite preview`, as people get it. On a
 * machine without a GPU, --backend webgpu runs on SwiftShader at ~20 s per fact (README "Using the app").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { PACK_NAMES } from '../src/facts/fact';
import type { TestHookCounters } from '../src/app/use-engine';
import { CHROMIUM_ARGS, CHROMIUM_ARGS_NO_WEBGPU, CHROMIUM_PATH } from '../test/chromium';
import { takeLongTasks, waitReady, watchPage } from '../test/e2e/page-helpers';
import { slope } from './least-squares';
import { buildProduction, servePreview } from './production-build';
import { parseScriptArgs } from './script-args';

const args = parseScriptArgs(import.meta.url, {
  n: { type: 'string', default: '1000' },
  every: { type: 'string', default: '100' },
  backend: { type: 'string', default: 'wasm' },
  probe: { type: 'string', default: '96' },
  t: { type: 'string' },
  lr: { type: 'string' },
  steps: { type: 'string' },
  screenshot: { type: 'string' },
});

const MiB = 2 ** 20;

interface Sample {
  facts: number;
  seconds: number;
  tensors: number;
  masks: number;
  backendBytes: number;
  gpuAllocated: number | null;
  workerHeap: number;
  workerBuffers: number;
  browserRss: number | null;
  longTasks: number;
  longestTask: number;
}

/** Resident memory of a process and all its descendants (Linux /proc), in bytes; null where there is no /proc. */
function treeRss(root: number): number | null {
  try {
    const parent = new Map<number, number>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // the process ended meanwhile
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
      return false;
    };
    let total = 0;
    for (const pid of parent.keys()) {
      if (!inTree(pid)) continue;
      try {
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (rss) total += Number(rss[1]) * 1024;
      } catch {
        // ended
      }
    }
    return total;
  } catch {
    return null;
  }
}

/**
 * The engine worker's V8 heap through the DevTools protocol: auto-attach to the page's dedicated worker and ask
 * it for Runtime.getHeapUsage (performance.memory does not exist in workers). backingStorageSize counts array
 * buffers, where the taught facts' rows live.
 */
async function watchWorkerHeap(cdp: CDPSession): Promise<() => Promise<{ used: number; buffers: number }>> {
  let worker: string | undefined;
  let nextId = 1;
  const pending = new Map<number, (result: { usedSize: number; backingStorageSize?: number }) => void>();
  cdp.on('Target.attachedToTarget', (event) => {
    if (event.targetInfo.type === 'worker') worker = event.sessionId;
  });
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message) as { id?: number; result?: { usedSize: number; backingStorageSize?: number } };
    if (message.id !== undefined && message.result) pending.get(message.id)?.(message.result);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return async () => {
    if (!worker) return { used: NaN, buffers: NaN };
    const id = nextId++;
    const result = await new Promise<{ usedSize: number; backingStorageSize?: number }>((resolve) => {
      pending.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId: worker!, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    });
    pending.delete(id);
    return { used: result.usedSize, buffers: result.backingStorageSize ?? NaN };
  };
}

const counters = (page: Page) => page.evaluate(() => (window as unknown as { engramTestHooks: { seen: TestHookCounters } }).engramTestHooks.seen);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

async function main() {
  const n = Number(args.n);
  const every = Number(args.every);
  const backend = args.backend!;
  if (!['wasm', 'webgpu'].includes(backend)) throw new Error(`--backend must be wasm or webgpu (got ${backend})`);
  if (!(n >= 1 && every >= 1)) throw new Error('--n and --every must be positive');

  const outDir = await mkdtemp(join(tmpdir(), 'engram-soak-'));
  console.log('building the production app...');
  await buildProduction(outDir);
  const { server, url } = await servePreview(outDir);
  const browserServer = await chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: backend === 'wasm' ? CHROMIUM_ARGS_NO_WEBGPU : CHROMIUM_ARGS });
  const browserPid = browserServer.process().pid!;
  const browser = await chromium.connect(browserServer.wsEndpoint());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors = await watchPage(page);
  const workerHeap = await watchWorkerHeap(await context.newCDPSession(page));
  const params = new URLSearchParams({ backend, test_hooks: '1', eval_every: String(Math.min(100, every)), probe: args.probe! });
  for (const key of ['t', 'lr', 'steps'] as const) if (args[key] !== undefined) params.set(key, args[key]!);
  const address = `${url}?${params}`;

  try {
    const loadStarted = performance.now();
    await page.goto(address);
    await waitReady(page, 600_000);
    console.log(`loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s on ${backend}: ${(await page.getByTestId('backend-status').textContent())?.replace(/\s+/g, ' ').slice(0, 160)}`);
    await takeLongTasks(page); // loading is not part of the soak
    const first = (await counters(page)).metrics[0];

    const samples: Sample[] = [];
    const started = performance.now();
    let nextSample = 1;
    let tasks: number[] = [];
    const sample = async (seen: TestHookCounters) => {
      const heap = await workerHeap();
      tasks = tasks.concat(await takeLongTasks(page));
      const s: Sample = {
        facts: seen.taught,
        seconds: (performance.now() - started) / 1000,
        tensors: seen.memory!.tensors,
        masks: seen.memory!.cachedMasks,
        backendBytes: seen.memory!.bytes,
        gpuAllocated: seen.memory!.gpuBytesAllocated ?? null,
        workerHeap: heap.used,
        workerBuffers: heap.buffers,
        browserRss: treeRss(browserPid),
        longTasks: tasks.filter((d) => d > 50).length,
        longestTask: Math.max(0, ...tasks),
      };
      tasks = [];
      samples.push(s);
      console.log(
        `${String(s.facts).padStart(5)} facts ${s.seconds.toFixed(0).padStart(6)} s | tensors ${s.tensors} (${s.masks} masks) | backend ${(s.backendBytes / MiB).toFixed(2)} MiB${s.gpuAllocated === null ? '' : ` (GPU buffers allocated ${(s.gpuAllocated / MiB).toFixed(0)} MiB)`} | worker heap ${(s.workerHeap / MiB).toFixed(1)} MiB + buffers ${(s.workerBuffers / MiB).toFixed(1)} MiB | browser RSS ${s.browserRss === null ? '-' : (s.browserRss / MiB).toFixed(0) + ' MiB'} | main-thread tasks > 50 ms: ${s.longTasks}, longest ${s.longestTask.toFixed(0)} ms`,
      );
    };

    // Stream the packs in turn until n facts are taught. The page never teaches a fact twice (a pack's facts already
    // taught are skipped), so the packs' distinct facts are the longest stream its own controls can give.
    for (let pass = 0; (await counters(page)).taught < n; pass++) {
      if (pass === PACK_NAMES.length) {
        console.log(`every pack streamed: ${(await counters(page)).taught} distinct facts, fewer than --n ${n} (the page skips facts already taught)`);
        break;
      }
      const pack = PACK_NAMES[pass];
      await page.getByTestId('pack-select').selectOption(pack);
      await page.getByTestId('stream-start').click({ timeout: 600_000 });
      for (;;) {
        await page.waitForTimeout(500);
        const seen = await counters(page);
        if (seen.taught >= nextSample && seen.memory) {
          await sample(seen);
          nextSample = nextSample === 1 ? every : (Math.floor(seen.taught / every) + 1) * every;
        }
        if (seen.taught >= n) {
          await page.getByTestId('stream-stop').click();
          break;
        }
        if (seen.stream?.status === 'idle' && seen.stream.index >= seen.stream.total && seen.stream.pack === pack) break;
      }
    }
    // Let the fact in flight when the stream stopped finish (and be saved) before the last figures are read.
    await page.waitForFunction(() => !document.querySelector('[data-testid="busy"]'), undefined, { timeout: 600_000 }).catch(() => undefined);
    await page.waitForTimeout(2000);
    const end = await counters(page);
    if (samples[samples.length - 1]?.facts !== end.taught) await sample(end);
    const streamSeconds = (performance.now() - started) / 1000;
    const storage = await page.evaluate(() => navigator.storage.estimate());
    const lastPoint = end.metrics[end.metrics.length - 1];

    const xs = samples.map((s) => s.facts);
    const per100 = (ys: number[]) => slope(xs, ys) * 100;
    const a = samples[0];
    const z = samples[samples.length - 1];
    console.log(`\nsoak (browser, ${backend}): ${end.taught} facts in ${streamSeconds.toFixed(0)} s (${((1000 * streamSeconds) / end.taught).toFixed(0)} ms per fact incl. evaluation every ${Math.min(100, every)}), ${end.failures.length} errors, ${end.refused} refused, ${pageErrors.length} page errors`);
    console.log(`tensors: ${a.tensors} -> ${z.tensors} (slope ${per100(samples.map((s) => s.tensors)).toFixed(3)} per 100 facts); without the cached causal masks (one per sequence length, at most the context): ${a.tensors - a.masks} -> ${z.tensors - z.masks}`);
    console.log(`backend bytes: ${(a.backendBytes / MiB).toFixed(2)} -> ${(z.backendBytes / MiB).toFixed(2)} MiB (slope ${(per100(samples.map((s) => s.backendBytes)) / 1024).toFixed(1)} KiB per 100 facts)`);
    if (a.gpuAllocated !== null && z.gpuAllocated !== null) {
      console.log(`GPU buffers allocated (in use + pooled): ${(a.gpuAllocated / MiB).toFixed(0)} -> ${(z.gpuAllocated / MiB).toFixed(0)} MiB (slope ${(per100(samples.map((s) => s.gpuAllocated!)) / MiB).toFixed(1)} MiB per 100 facts)`);
    }
    console.log(`worker heap: ${(a.workerHeap / MiB).toFixed(1)} -> ${(z.workerHeap / MiB).toFixed(1)} MiB (slope ${(per100(samples.map((s) => s.workerHeap)) / MiB).toFixed(2)} MiB per 100 facts)`);
    console.log(`worker array buffers: ${(a.workerBuffers / MiB).toFixed(1)} -> ${(z.workerBuffers / MiB).toFixed(1)} MiB (slope ${(per100(samples.map((s) => s.workerBuffers)) / MiB).toFixed(2)} MiB per 100 facts: the taught facts' rows, kept for undo and export)`);
    if (a.browserRss !== null && z.browserRss !== null) console.log(`browser RSS: ${(a.browserRss / MiB).toFixed(0)} -> ${(z.browserRss / MiB).toFixed(0)} MiB (slope ${(per100(samples.map((s) => s.browserRss!)) / MiB).toFixed(1)} MiB per 100 facts)`);
    console.log(`IndexedDB and other site storage: ${((storage.usage ?? 0) / MiB).toFixed(0)} MiB of a ${((storage.quota ?? 0) / MiB).toFixed(0)} MiB quota`);
    console.log(`retention (probe subset): ${pct(first?.retention)} before -> ${pct(lastPoint?.retention)} at ${lastPoint?.facts} facts; recall of taught facts ${pct(lastPoint?.recall)}; held-out NLL ${first?.nll.toFixed(3)} -> ${lastPoint?.nll.toFixed(3)}`);
    const steps = end.metrics.flatMap((p) => (p.msPerStep === null ? [] : [p.msPerStep]));
    if (steps.length > 0) console.log(`learning step: ${Math.min(...steps).toFixed(0)}-${Math.max(...steps).toFixed(0)} ms (mean per evaluation interval)`);
    console.log(`evaluation (recall of every taught fact, the probe subset, held-out NLL): ${end.metrics.map((p) => `${(p.evalMs / 1000).toFixed(1)} s at ${p.facts}`).join(', ')}`);
    for (const failure of [...end.failures, ...pageErrors]) console.log(`  error: ${failure}`);

    // Nothing lost: reload, the stored facts come back from IndexedDB, and the model answers as before the reload.
    const reloadStarted = performance.now();
    await page.reload();
    await waitReady(page, 1_200_000);
    // The reloaded page measures the pretrained model for the charts, then the restored one: wait for the point
    // that counts the restored facts.
    const restoredCount = Number((await page.getByTestId('figure-facts').textContent()) ?? NaN);
    const restoredOf = (c: TestHookCounters) => c.metrics.find((p) => p.facts === restoredCount && p.recall !== null);
    let reloaded = await counters(page);
    for (const until = performance.now() + 1_200_000; !restoredOf(reloaded) && performance.now() < until; ) {
      await page.waitForTimeout(1000);
      reloaded = await counters(page);
    }
    const restoredPoint = restoredOf(reloaded);
    console.log(
      `reload: ${restoredCount} of ${end.taught} facts restored from IndexedDB and measured in ${((performance.now() - reloadStarted) / 1000).toFixed(1)} s (${restoredPoint ? `at ${restoredPoint.facts} facts` : 'no measurement came'}); recall ${pct(restoredPoint?.recall)}, retention ${pct(restoredPoint?.retention)}, NLL ${restoredPoint?.nll.toFixed(3)}${reloaded.failures.length ? `; errors: ${reloaded.failures.join(' | ')}` : ''}`,
    );
    if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
    if (restoredCount !== end.taught || !restoredPoint || end.failures.length > 0 || reloaded.failures.length > 0) process.exitCode = 1;
  } finally {
    await browser.close();
    await browserServer.close();
    await server.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
