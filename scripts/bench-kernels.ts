/**
 * npm run bench [-- --full] [-- --teach] [-- --json FILE] [-- --reps R] [-- --tokens T] [-- --dv D] [-- --facts F]
 *
 * The custom memory kernels against the tfjs-op path (matMul + topk + gather, and gather's dense gradient) for
 * one fact's sparse-memory-finetuning step, side by side in one run: lookup, read, read backward (the row
 * gradients of the top-t slots), update (SGD on those t rows), plus the TF-IDF top-t selection. By default at
 * the shipped N = 65,536 only (1-2 minutes on SwiftShader); --full sweeps N in {16k, 65k, 262k, 1M}.
 * --teach (part of --full) adds whole teach() calls on the shipped model: the sparse learner on the kernels
 * against the same learner on its reference path (tf ops, host SGD, a table copy per write), both on webgpu,
 * F facts each after a warm-up fact (minutes on SwiftShader: the rest of the model dominates there). Prints medians and ratios and names the adapter; on a CPU emulator (SwiftShader,
 * lavapipe) only the ratios and the scaling with N mean anything (docs/testing-webgpu.md, pitfall 5). Both paths run
 * on the same tfjs webgpu backend and device; every timing waits until the GPU queue is idle. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs'; // core only; the webgpu backend is imported once navigator.gpu exists

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
// Dawn loads the Vulkan loader at start-up, so its environment must be set before this process starts:
// re-run ourselves with it when missing.
if (!process.env.VK_ICD_FILENAMES) {
  const env = {
    ...process.env,
    VK_ICD_FILENAMES: SWIFTSHADER_ICD,
    LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  };
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  process.exit(child.status ?? 1);
}

interface Options {
  full: boolean;
  teach: boolean;
  facts: number;
  json?: string;
  reps: number;
  tokens: number;
  dv: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { full: false, teach: false, facts: 2, reps: 2, tokens: 16 * 32, dv: 128 };
  let reps: number | undefined;
  let facts: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--full') options.full = options.teach = true;
    else if (arg === '--teach') options.teach = true;
    else if (arg === '--quick') options.full = false; // the default since the teach rows were added; kept for old scripts
    else if (arg === '--json') options.json = argv[++i];
    else if (arg === '--reps') reps = Number(argv[++i]);
    else if (arg === '--facts') facts = Number(argv[++i]);
    else if (arg === '--tokens') options.tokens = Number(argv[++i]);
    else if (arg === '--dv') options.dv = Number(argv[++i]);
    else throw new Error(`bench: unknown argument ${arg} (use --full, --teach, --json FILE, --reps R, --tokens T, --dv D, --facts F)`);
  }
  options.reps = reps ?? (options.full ? 3 : 2);
  options.facts = facts ?? (options.full ? 4 : 2);
  for (const [name, value] of [['--reps', options.reps], ['--facts', options.facts], ['--tokens', options.tokens], ['--dv', options.dv]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`bench: ${name} must be a positive integer, got ${value}`);
  }
  return options;
}

interface Row {
  op: string;
  N: number;
  tokens: number;
  custom_ms: number | null; // null: this path failed (see the printed reason)
  tfjs_ms: number | null;
  ratio: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  // WebGPU must exist on navigator before tfjs-backend-webgpu is imported (docs/testing-webgpu.md §2).
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]) as unknown as GPU;
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });

  await import('@tensorflow/tfjs-backend-webgpu');
  const { initBackend } = await import('../src/gpu/tf-backend');
  const { flushTfjs } = await import('../src/gpu/tf-interop');
  const { createTfMemoryKernels, tfValueTable } = await import('../src/kernels/memory-kernels-tf');
  const { lookupOps, valueReadOps, readBackwardOps, sparseUpdateOps } = await import('../src/kernels/memory-ops-tf');
  const { tfidfTopT } = await import('../src/kernels/select-top-t');

  const gpuErrors: string[] = [];
  const info = await initBackend({ preference: ['webgpu'], gpu, secureContext: true, onGpuError: (e) => gpuErrors.push(e.message) });
  if (info.name !== 'webgpu' || !info.device || !info.adapter) throw new Error(`bench: WebGPU did not start (${info.fallbackReason?.message ?? info.name})`);
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const device = info.device;
  const kernels = (await createTfMemoryKernels())!;
  const backend = kernels.backend;

  const H = 4, K = 32, DK = 128, DV = options.dv, T = options.tokens, TOP_T = 500, LR = 2, BACKGROUND = 1000;
  const sizes = options.full ? [16_384, 65_536, 262_144, 1_048_576] : [65_536];
  const adapter = `${info.adapter.name} (${info.adapter.description || info.adapter.device || 'no description'}), Node + Dawn (webgpu npm), VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`;
  console.log(`adapter: ${adapter}`);
  console.log(`shapes: ${T} tokens (one fact: 16 sequences x 32), H=${H}, K=${K}, Dk=${DK} (${DK / 2} per half), Dv=${DV}, top-t=${TOP_T}; medians of up to ${options.reps} runs (fewer once an op has taken 5 s)`);
  console.log('custom = shaders/*.wgsl via src/kernels/memory-kernels-tf.ts; tfjs = src/kernels/memory-ops-tf.ts (matMul + topk + gather, dense gather gradient, dense update)\n');

  /**
   * Wall time of `run` until the GPU queue is idle: the median of up to `reps` samples. Sampling stops early
   * once an op has used SAMPLE_BUDGET_MS, so one very slow emulated run does not stretch the bench past
   * minutes. A path that throws is reported as failed (NaN), not skipped silently.
   */
  const SAMPLE_BUDGET_MS = 5000;
  const failures: string[] = [];
  async function time(what: string, run: () => Promise<unknown> | unknown, reps = options.reps): Promise<number> {
    const samples: number[] = [];
    let spent = 0;
    try {
      while (samples.length < reps && (samples.length === 0 || spent < SAMPLE_BUDGET_MS)) {
        flushTfjs(backend);
        await device.queue.onSubmittedWorkDone(); // start from an idle queue
        const start = performance.now();
        const out = await run();
        flushTfjs(backend);
        await device.queue.onSubmittedWorkDone();
        const ms = performance.now() - start;
        tf.dispose(out as tf.TensorContainer);
        samples.push(ms);
        spent += ms;
      }
    } catch (error) {
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      return NaN;
    }
    return median(samples);
  }

  /** Times every op of one fact's step at N slots and `tokens` tokens; custom and tfjs read the same slots. */
  async function measure(N: number, tokens: number, reps: number): Promise<Record<string, [number, number]>> {
    const nKeys = Math.sqrt(N);
    const queries = tf.tidy(() => {
      const q = tf.randomNormal([tokens, H, 2, DK / 2]);
      return tf.div(q, tf.norm(q, 'euclidean', -1, true)).reshape([tokens, H, DK]) as tf.Tensor3D; // normalised halves
    });
    const subKeys = tf.randomUniform([H, 2, nKeys, DK / 2], -1 / Math.sqrt(DK), 1 / Math.sqrt(DK)) as tf.Tensor4D;
    const init = tf.randomNormal([N, DV], 0, 1 / Math.sqrt(DV)) as tf.Tensor2D;
    const values = tf.variable(init, false) as tf.Variable<tf.Rank.R2>;
    init.dispose(); // the variable must own its buffer for the in-place update
    const dY = tf.randomNormal([tokens, DV]) as tf.Tensor2D;
    const tokenMask = new Uint8Array(tokens).fill(1);
    const df = Uint32Array.from({ length: N }, (_, i) => (i * 2654435761) % (BACKGROUND + 1));
    const { slotIds, scores, weights } = kernels.lookup(queries, subKeys, K);
    const ids = (await slotIds.data()) as Int32Array;
    const chosen = tfidfTopT({ slotIds: ids, tokenMask, numSlots: N, df, numBackgroundBatches: BACKGROUND, t: TOP_T }).slots;
    const rowGrads = tf.randomNormal([chosen.length, DV]) as tf.Tensor2D;
    const table = () => tfValueTable(values); // re-read each time: the tfjs update replaces the variable's buffer
    const at = `N=${N}`;
    // All custom ops first, then all tfjs ops: a failing tfjs op (it can leave tensors behind) cannot disturb
    // the custom path's in-place update, which needs the only reference to the table's buffer.
    const selectIds = async () => tfidfTopT({ slotIds: (await slotIds.data()) as Int32Array, tokenMask, numSlots: N, df, numBackgroundBatches: BACKGROUND, t: TOP_T });
    const custom = {
      lookup: await time(`custom lookup ${at}`, () => Object.values(kernels.lookup(queries, subKeys, K)), reps),
      read: await time(`custom read ${at}`, () => kernels.valueRead(table(), slotIds, weights), reps),
      backward: await time(`custom backward ${at}`, () => Object.values(kernels.readBackward(dY, slotIds, weights, chosen, table())), reps),
      update: await time(`custom update ${at}`, () => kernels.sparseUpdate(table(), chosen, rowGrads, LR), reps),
      select: await time(`custom select ${at}`, selectIds, reps),
    };
    const tfjs = {
      lookup: await time(`tfjs lookup ${at}`, () => Object.values(lookupOps(queries, subKeys, K)), reps),
      read: await time(`tfjs read ${at}`, () => valueReadOps(values, slotIds, weights), reps),
      backward: await time(`tfjs backward ${at}`, () => Object.values(readBackwardOps(values, dY, slotIds, weights, chosen)), reps),
      update: await time(`tfjs update ${at}`, () => sparseUpdateOps(values, chosen, rowGrads, LR), reps),
      select: await time(`tfjs select ${at}`, async () => {
        const idf = tf.tensor1d(Float32Array.from(df, (d) => Math.log(BACKGROUND + 1) - Math.log(d + 1)));
        const top = tf.tidy(() => {
          const counts = tf.unsortedSegmentSum(tf.onesLike(slotIds).reshape([-1]).toFloat(), slotIds.reshape([-1]) as tf.Tensor1D, N);
          return tf.topk(tf.mul(tf.div(counts, tf.sum(counts)), idf), TOP_T);
        });
        await top.indices.data();
        tf.dispose([idf, top.values, top.indices]);
      }, reps),
    };
    const result: Record<string, [number, number]> = {};
    for (const op of Object.keys(custom) as Array<keyof typeof custom>) result[op] = [custom[op], tfjs[op]];
    tf.dispose([queries, subKeys, values, dY, slotIds, scores, weights, rowGrads]);
    return result;
  }

  // Warm-up at a small size compiles every pipeline of both paths (tfjs keys programs by shader, not shape).
  const warmStart = performance.now();
  await measure(4096, 32, 1);
  failures.length = 0;
  console.log(`warm-up (N=4096, 32 tokens, every op of both paths once): ${((performance.now() - warmStart) / 1000).toFixed(1)} s\n`);

  const rows: Row[] = [];
  const header = `${'op'.padEnd(10)}${'N'.padStart(10)}${'tokens'.padStart(8)}${'custom ms'.padStart(12)}${'tfjs ms'.padStart(12)}${'tfjs/custom'.padStart(13)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(2) : 'failed');
  const report = (op: string, N: number, custom: number, tfjs: number, tokens = T) => {
    const ok = Number.isFinite(custom) && Number.isFinite(tfjs);
    const row = { op, N, tokens, custom_ms: Number.isFinite(custom) ? +custom.toFixed(3) : null, tfjs_ms: Number.isFinite(tfjs) ? +tfjs.toFixed(3) : null, ratio: ok ? +(tfjs / custom).toFixed(2) : null };
    rows.push(row);
    console.log(`${op.padEnd(10)}${String(N).padStart(10)}${String(tokens).padStart(8)}${fmt(custom).padStart(12)}${fmt(tfjs).padStart(12)}${(ok ? row.ratio!.toFixed(2) + 'x' : 'n/a').padStart(13)}`);
  };

  for (const N of sizes) {
    const r = await measure(N, T, options.reps);
    for (const op of ['lookup', 'read', 'backward', 'update', 'select']) report(op, N, r[op][0], r[op][1]);
    const stepOps = ['lookup', 'read', 'backward', 'update'];
    report('step', N, stepOps.reduce((a, op) => a + r[op][0], 0), stepOps.reduce((a, op) => a + r[op][1], 0));
  }

  // Whole teach() calls on the shipped model: the learner's kernel path against its reference path.
  let teachNote = '';
  const teachStart = performance.now();
  if (options.teach) {
    try {
      const { benchTeach } = await import('./bench-teach');
      const teach = await benchTeach(kernels, options.facts);
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      report('teach', teach.N, mean(teach.custom), mean(teach.reference), teach.tokens);
      const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      const { t, lr, steps } = teach.settings;
      teachNote =
        `teach = one SparseMemoryLearner.teach() on the shipped model (t=${t}, lr=${lr}, steps=${steps}, 8 paraphrases), mean of ${options.facts} invented facts after a warm-up fact, ` +
        `${((performance.now() - teachStart) / 1000).toFixed(0)} s in all: custom = kernel path (in-place sparseUpdate), tfjs = reference path (tf-op lookup and read, sparseRowGradient, host SGD, ` +
        `tensorScatterUpdate copying the table); per fact custom ${ms(teach.custom)} ms, reference ${ms(teach.reference)} ms; same rows written on ${teach.sameRows} of ${options.facts} facts.`;
    } catch (error) {
      failures.push(`teach: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  console.log('\nstep = lookup + read + backward + update (sum of medians); select (TF-IDF top-t: custom = read back ids + CPU heap, tfjs = unsortedSegmentSum + topk over N) is listed apart.');
  if (teachNote) console.log(teachNote);
  const updates = rows.filter((r) => r.op === 'update');
  const span = (xs: Array<number | null>) => {
    const ok = xs.filter((x): x is number => x !== null);
    return ok.length ? (Math.max(...ok) / Math.min(...ok)).toFixed(2) : 'n/a';
  };
  const list = (xs: Array<number | null>) => xs.map((x) => (x === null ? 'failed' : x.toFixed(2))).join(' / ');
  console.log(`update cost across N = ${updates.map((r) => r.N).join(', ')}: custom ${list(updates.map((r) => r.custom_ms))} ms (max/min ${span(updates.map((r) => r.custom_ms))}), tfjs ${list(updates.map((r) => r.tfjs_ms))} ms (max/min ${span(updates.map((r) => r.tfjs_ms))})`);
  if (failures.length) console.log(`failed (reported as 'failed' above):\n  ${failures.join('\n  ')}`);
  if (gpuErrors.length) console.log(`GPU errors during the run (results above are suspect):\n${gpuErrors.join('\n')}`);
  if (options.json) {
    writeFileSync(options.json, JSON.stringify({ adapter, rows }, null, 2) + '\n');
    console.log(`rows written to ${options.json}`);
  }
  delete (globalThis as { navigator?: unknown }).navigator; // Dawn keeps Node alive while navigator.gpu is referenced
  process.exit(gpuErrors.length ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
