/**
 * npm run bench [-- --full] [-- --teach] [-- --json FILE] [-- --reps R] [-- --tokens T] [-- --dv D] [-- --facts F]
 *
 * One fact's sparse-memory-finetuning step, op by op (lookup, read, read backward = the row gradients of the
 * top-t slots, update = SGD on those t rows, plus the TF-IDF top-t selection), on three paths side by side in
 * one run, all on the same tfjs webgpu backend and device:
 *   custom      the WGSL kernels (shaders/*.wgsl via src/kernels/memory-kernels-tf.ts), what the sparse
 *               learner runs on webgpu;
 *   plain tfjs  what a person would write with tfjs autodiff: the model's tf-op lookup and read, then gather's
 *               dense [N, Dv] gradient of the read and a dense update that rewrites the whole table;
 *   tf-op path  the project's best tf-op path, what the sparse learner runs without kernels
 *               (src/learn/sparse-learner.ts `step`): the same lookup and read, the rows' gradients from the
 *               dL/dy tap with sparseRowGradient (src/model/memory-layer.ts) and host SGD + writeRows
 *               (tensorScatterUpdate, one copy of the table).
 * Lookup and read are one tf-op implementation (productKeyLookup, valueReadTf), timed once and shown in both
 * tf columns. By default at the shipped N (n_keys^2 in public/model/config.json, 262,144) only; --full sweeps N in
 * {16k, 65k, 262k, 1M}. --teach (part of --full) adds whole teach() calls on the shipped model: the sparse
 * learner on the kernels against the same learner on its tf-op path, F facts each after a warm-up fact
 * (minutes on SwiftShader: the rest of the model dominates there). Prints medians and ratios and names the
 * adapter; on a CPU emulator (SwiftShader, lavapipe) only the ratios and the scaling with N mean anything
 * (docs/testing-webgpu.md, pitfall 5). Every timing waits until the GPU queue is idle. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs'; // core only; the webgpu backend is imported once navigator.gpu exists
import type { EngramModel } from '../src/model/transformer';

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

/** The shipped memory's N (n_keys squared), from the model's own config. */
function shippedSlots(): number {
  const config = JSON.parse(readFileSync('public/model/config.json', 'utf8')) as { model: { n_keys: number } };
  return config.model.n_keys ** 2;
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
  custom_ms: number | null; // null: this path failed (see the printed reason) or does not apply
  plain_tfjs_ms: number | null;
  tf_op_ms: number | null;
  plain_over_custom: number | null;
  tf_op_over_custom: number | null;
}

type Times = { custom: number; plain: number; tfop: number };

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
  const { productKeyLookup, sparseRowGradient, valueReadTf } = await import('../src/model/memory-layer');
  const { writeRows } = await import('../src/learn/sparse-learner');
  const { tfidfTopT } = await import('../src/kernels/select-top-t');

  const gpuErrors: string[] = [];
  const info = await initBackend({ preference: ['webgpu'], gpu, secureContext: true, onGpuError: (e) => gpuErrors.push(e.message) });
  if (info.name !== 'webgpu' || !info.device || !info.adapter) throw new Error(`bench: WebGPU did not start (${info.fallbackReason?.message ?? info.name})`);
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const device = info.device;
  const kernels = (await createTfMemoryKernels())!;
  const backend = kernels.backend;

  const H = 4, K = 32, DK = 128, DV = options.dv, T = options.tokens, TOP_T = 500, LR = 2, BACKGROUND = 1000;
  const sizes = options.full ? [16_384, 65_536, 262_144, 1_048_576] : [shippedSlots()];
  const adapter = `${info.adapter.name} (${info.adapter.description || info.adapter.device || 'no description'}), Node + Dawn (webgpu npm), VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`;
  console.log(`adapter: ${adapter}`);
  console.log(`shapes: ${T} tokens (one fact: 16 sequences x 32), H=${H}, K=${K}, Dk=${DK} (${DK / 2} per half), Dv=${DV}, top-t=${TOP_T}; medians of up to ${options.reps} runs (fewer once an op has taken 5 s)`);
  console.log('custom     = the WGSL kernels (shaders/*.wgsl via src/kernels/memory-kernels-tf.ts): the sparse learner on webgpu');
  console.log("plain tfjs = tf ops as one would write them: the model's lookup and read, gather's dense [N, Dv] gradient, a dense update of the whole table");
  console.log("tf-op path = the sparse learner without kernels: the model's lookup and read, sparseRowGradient from the dL/dy tap (host ids and weights), host SGD + writeRows (tensorScatterUpdate)");
  console.log('lookup and read are the same tf-op code in both tf columns (src/model/memory-layer.ts), timed once\n');

  /** Plain tfjs with autodiff: the read's dense [N, Dv] gradient (gather's), then the chosen rows of it. */
  const denseRowGradient = (values: tf.Tensor2D, dY: tf.Tensor2D, slotIds: tf.Tensor3D, weights: tf.Tensor3D, slots: Int32Array): tf.Tensor2D =>
    tf.tidy(() => {
      const dense = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(valueReadTf(v as tf.Tensor2D, slotIds, weights), dY)))(values); // [N, Dv]
      return tf.gather(dense, tf.tensor1d(slots, 'int32')) as tf.Tensor2D;
    });
  /** Plain tfjs: values -= lr * scatter(rowGrads at slots), a dense rewrite of the whole [N, Dv] table. */
  const denseUpdate = (values: tf.Variable<tf.Rank.R2>, slots: Int32Array, rowGrads: tf.Tensor2D, lr: number): void =>
    tf.tidy(() => {
      const delta = tf.scatterND(tf.tensor2d(slots, [slots.length, 1], 'int32'), tf.mul(rowGrads, lr), values.shape);
      values.assign(tf.sub(values, delta));
    });

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

  /** Times every op of one fact's step at N slots and `tokens` tokens on the three paths; all read the same slots. */
  async function measure(N: number, tokens: number, reps: number): Promise<Record<string, Times>> {
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
    const ids = (await slotIds.data()) as Int32Array; // the host ids both learner paths read back for the selection
    const chosen = tfidfTopT({ slotIds: ids, tokenMask, numSlots: N, df, numBackgroundBatches: BACKGROUND, t: TOP_T }).slots;
    const rowGrads = tf.randomNormal([chosen.length, DV]) as tf.Tensor2D;
    const table = () => tfValueTable(values); // re-read each time: the plain update replaces the variable's buffer
    const at = `N=${N}`;
    // All custom ops first, then the tf-op path, then plain tfjs: a failing op (it can leave tensors behind)
    // cannot disturb the custom path's in-place update, which needs the only reference to the table's buffer.
    const selectIds = async () => tfidfTopT({ slotIds: (await slotIds.data()) as Int32Array, tokenMask, numSlots: N, df, numBackgroundBatches: BACKGROUND, t: TOP_T });
    const custom = {
      lookup: await time(`custom lookup ${at}`, () => Object.values(kernels.lookup(queries, subKeys, K)), reps),
      read: await time(`custom read ${at}`, () => kernels.valueRead(table(), slotIds, weights), reps),
      backward: await time(`custom backward ${at}`, () => Object.values(kernels.readBackward(dY, slotIds, weights, chosen, table())), reps),
      update: await time(`custom update ${at}`, () => kernels.sparseUpdate(table(), chosen, rowGrads, LR), reps),
      select: await time(`custom select ${at}`, selectIds, reps),
    };

    // The learner's tf-op step writes host rows (old - lr * g): both learner paths download g and the old rows
    // (finite checks, undo snapshot), so those downloads are left out of both update timings.
    const [g, old] = (await Promise.all([rowGrads.data(), tf.tidy(() => tf.gather(values, tf.tensor1d(chosen, 'int32'))).data()])) as [Float32Array, Float32Array];
    const holder = { values: tf.clone(values) as tf.Tensor2D, cfg: { valueDim: DV } } as unknown as EngramModel; // writeRows reads only these
    const tfop = {
      lookup: await time(`tf-op lookup ${at}`, () => Object.values(productKeyLookup(queries, subKeys, K)), reps),
      read: await time(`tf-op read ${at}`, () => valueReadTf(values, slotIds, weights), reps),
      backward: await time(`tf-op backward ${at}`, async () => {
        const fresh = tf.mul(weights, 1); // the learner reads back weights a forward just wrote: never tfjs's CPU cache
        const hostWeights = (await fresh.data()) as Float32Array;
        fresh.dispose();
        return sparseRowGradient(ids, hostWeights, H * K, dY, chosen);
      }, reps),
      update: await time(`tf-op update ${at}`, () => {
        const next = new Float32Array(old.length);
        for (let i = 0; i < old.length; i++) next[i] = old[i] - LR * g[i];
        writeRows(holder, chosen, next);
      }, reps),
      select: custom.select, // the learner's selection is the same CPU code on every backend
    };
    holder.values!.dispose();

    const plain = {
      lookup: tfop.lookup,
      read: tfop.read,
      backward: await time(`plain tfjs backward ${at}`, () => denseRowGradient(values, dY, slotIds, weights, chosen), reps),
      update: await time(`plain tfjs update ${at}`, () => denseUpdate(values, chosen, rowGrads, LR), reps),
      select: await time(`plain tfjs select ${at}`, async () => {
        const idf = tf.tensor1d(Float32Array.from(df, (d) => Math.log(BACKGROUND + 1) - Math.log(d + 1)));
        const top = tf.tidy(() => {
          const counts = tf.unsortedSegmentSum(tf.onesLike(slotIds).reshape([-1]).toFloat(), slotIds.reshape([-1]) as tf.Tensor1D, N);
          return tf.topk(tf.mul(tf.div(counts, tf.sum(counts)), idf), TOP_T);
        });
        await top.indices.data();
        tf.dispose([idf, top.values, top.indices]);
      }, reps),
    };
    const result: Record<string, Times> = {};
    for (const op of Object.keys(custom) as Array<keyof typeof custom>) result[op] = { custom: custom[op], plain: plain[op], tfop: tfop[op] };
    tf.dispose([queries, subKeys, values, dY, slotIds, scores, weights, rowGrads]);
    return result;
  }

  // Warm-up at a small size compiles every pipeline of every path (tfjs keys programs by shader, not shape).
  const warmStart = performance.now();
  await measure(4096, 32, 1);
  failures.length = 0;
  console.log(`warm-up (N=4096, 32 tokens, every op of every path once): ${((performance.now() - warmStart) / 1000).toFixed(1)} s\n`);

  const rows: Row[] = [];
  const header =
    `${'op'.padEnd(10)}${'N'.padStart(10)}${'tokens'.padStart(8)}${'custom ms'.padStart(12)}${'plain tfjs ms'.padStart(15)}${'tf-op path ms'.padStart(15)}` +
    `${'plain/custom'.padStart(14)}${'tf-op/custom'.padStart(14)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(2) : Number.isNaN(ms) ? 'failed' : '-');
  const ratio = (over: number, custom: number) => (Number.isFinite(over) && Number.isFinite(custom) ? +(over / custom).toFixed(2) : null);
  const keep = (ms: number) => (Number.isFinite(ms) ? +ms.toFixed(3) : null);
  /** One table row; Infinity marks a path that does not apply (printed '-'), NaN one that failed. */
  const report = (op: string, N: number, t: Times, tokens = T) => {
    const row: Row = {
      op, N, tokens,
      custom_ms: keep(t.custom), plain_tfjs_ms: keep(t.plain), tf_op_ms: keep(t.tfop),
      plain_over_custom: ratio(t.plain, t.custom), tf_op_over_custom: ratio(t.tfop, t.custom),
    };
    rows.push(row);
    const x = (r: number | null) => (r === null ? 'n/a' : r.toFixed(2) + 'x');
    console.log(
      `${op.padEnd(10)}${String(N).padStart(10)}${String(tokens).padStart(8)}${fmt(t.custom).padStart(12)}${fmt(t.plain).padStart(15)}${fmt(t.tfop).padStart(15)}` +
        `${x(row.plain_over_custom).padStart(14)}${x(row.tf_op_over_custom).padStart(14)}`,
    );
  };

  for (const N of sizes) {
    const r = await measure(N, T, options.reps);
    for (const op of ['lookup', 'read', 'backward', 'update', 'select']) report(op, N, r[op]);
    const sum = (path: keyof Times) => ['lookup', 'read', 'backward', 'update'].reduce((a, op) => a + r[op][path], 0);
    report('step', N, { custom: sum('custom'), plain: sum('plain'), tfop: sum('tfop') });
  }

  // Whole teach() calls on the shipped model: the learner's kernel path against its reference path.
  let teachNote = '';
  const teachStart = performance.now();
  if (options.teach) {
    try {
      const { benchTeach } = await import('./bench-teach');
      const teach = await benchTeach(kernels, options.facts);
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      report('teach', teach.N, { custom: mean(teach.custom), plain: Infinity, tfop: mean(teach.reference) }, teach.tokens);
      const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      const { t, lr, steps } = teach.settings;
      teachNote =
        `teach = one SparseMemoryLearner.teach() on the shipped model (t=${t}, lr=${lr}, steps=${steps}, 8 paraphrases), mean of ${options.facts} invented facts after a warm-up fact, ` +
        `${((performance.now() - teachStart) / 1000).toFixed(0)} s in all: custom = kernel path (in-place sparseUpdate), tf-op path = the learner without kernels (tf-op lookup and read, sparseRowGradient, host SGD, ` +
        `tensorScatterUpdate copying the table); per fact custom ${ms(teach.custom)} ms, reference ${ms(teach.reference)} ms; same rows written on ${teach.sameRows} of ${options.facts} facts.`;
    } catch (error) {
      failures.push(`teach: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  console.log(
    '\nstep = lookup + read + backward + update (sum of medians); select (TF-IDF top-t) is listed apart: custom and tf-op path = read back ids + ' +
      'CPU heap (the learner\'s code on every backend, timed once), plain tfjs = unsortedSegmentSum + topk over N. tf-op backward includes reading back the weights ' +
      '(the ids are read back for the selection on both learner paths).',
  );
  if (teachNote) console.log(teachNote);
  const updates = rows.filter((r) => r.op === 'update');
  const span = (xs: Array<number | null>) => {
    const ok = xs.filter((x): x is number => x !== null);
    return ok.length ? (Math.max(...ok) / Math.min(...ok)).toFixed(2) : 'n/a';
  };
  const list = (xs: Array<number | null>) => xs.map((x) => (x === null ? 'failed' : x.toFixed(2))).join(' / ');
  const across = (label: string, xs: Array<number | null>) => `${label} ${list(xs)} ms (max/min ${span(xs)})`;
  console.log(
    `update cost across N = ${updates.map((r) => r.N).join(', ')}: ${across('custom', updates.map((r) => r.custom_ms))}, ` +
      `${across('plain tfjs', updates.map((r) => r.plain_tfjs_ms))}, ${across('tf-op path', updates.map((r) => r.tf_op_ms))}`,
  );
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
