/**
 * One AdamW step for one parameter tensor as a single pass ("EngramAdamW", registered for the wasm and cpu
 * backends): reads p, m, v and the gradient once and writes p', m', v', where the tf-ops formula (adamw.ts,
 * kept for the other backends) makes ~15 passes over full-size tensors and a full-size temporary per op. For
 * the 8.4M-float value table those passes were most of a full-finetuning step's update on wasm.
 *
 * The gradient is dense (`g`, p's shape) or given by rows (`rows` [t, width] for the rows `slots` [t] of p
 * viewed as [N, width], zero elsewhere): full finetuning's value-table gradient is nonzero only on the rows the
 * batch read, so it never needs an [N, Dv] tensor. Every row still gets the whole update (weight decay, moment
 * decay and the moments' step), exactly as with the dense zero-filled gradient.
 *
 * The arithmetic is adamw.ts's formula evaluated in float64 and rounded to float32 once per stored value (the
 * tf ops round after every op), so results agree with the tf-ops path to float32 rounding
 * (test/unit/adamw.test.ts). The fourth output is 1 when every element of p' is finite, so the learner's
 * non-finite guard needs no extra pass over the parameters.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { registerKernel, getKernel, util } from '@tensorflow/tfjs';

export const ADAMW_KERNEL = 'EngramAdamW';

export interface AdamWKernelAttrs {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Bias corrections 1 - beta^step. */
  c1: number;
  c2: number;
  eps: number;
  /** 1 on a parameter's first step: m and v are not passed and start at zero. */
  fresh: number;
}

export interface AdamWArrays {
  p: Float32Array;
  /** Absent on the first step (zero). */
  m?: Float32Array;
  v?: Float32Array;
  /** Dense gradient, or `rows` for `slots` (rows of p viewed as [p.length / width, width]). */
  g?: Float32Array;
  rows?: Float32Array;
  slots?: Int32Array;
  width: number;
  pOut: Float32Array;
  mOut: Float32Array;
  vOut: Float32Array;
}

/** Constants of one step, precomputed. */
interface StepConstants {
  readonly b1: number;
  readonly b2: number;
  readonly g1: number;
  readonly g2: number;
  /** 1 - lr wd */
  readonly keep: number;
  /** lr / c1 */
  readonly step: number;
  readonly c2: number;
  readonly eps: number;
}

// Four monomorphic loops (moments or a first step, gradient or a zero gradient): V8 compiles each tightly, where
// one loop with optional arrays ran ~4x slower. Each returns 0 when every p' written is finite, else NaN.

function withMoments(k: StepConstants, p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, gAt: number, pO: Float32Array, mO: Float32Array, vO: Float32Array, start: number, end: number): number {
  let bad = 0;
  for (let i = start, j = gAt; i < end; i++, j++) {
    const gi = g[j];
    const mi = Math.fround(k.b1 * m[i] + k.g1 * gi);
    const vi = Math.fround(k.b2 * v[i] + k.g2 * gi * gi);
    const x = Math.fround(p[i] * k.keep - (k.step * mi) / (Math.sqrt(vi / k.c2) + k.eps));
    mO[i] = mi;
    vO[i] = vi;
    pO[i] = x;
    bad += x - x;
  }
  return bad;
}

function withMomentsNoGradient(k: StepConstants, p: Float32Array, m: Float32Array, v: Float32Array, pO: Float32Array, mO: Float32Array, vO: Float32Array, start: number, end: number): number {
  let bad = 0;
  for (let i = start; i < end; i++) {
    const mi = Math.fround(k.b1 * m[i]);
    const vi = Math.fround(k.b2 * v[i]);
    const x = Math.fround(p[i] * k.keep - (k.step * mi) / (Math.sqrt(vi / k.c2) + k.eps));
    mO[i] = mi;
    vO[i] = vi;
    pO[i] = x;
    bad += x - x;
  }
  return bad;
}

function firstStep(k: StepConstants, p: Float32Array, g: Float32Array, gAt: number, pO: Float32Array, mO: Float32Array, vO: Float32Array, start: number, end: number): number {
  let bad = 0;
  for (let i = start, j = gAt; i < end; i++, j++) {
    const gi = g[j];
    const mi = Math.fround(k.g1 * gi);
    const vi = Math.fround(k.g2 * gi * gi);
    const x = Math.fround(p[i] * k.keep - (k.step * mi) / (Math.sqrt(vi / k.c2) + k.eps));
    mO[i] = mi;
    vO[i] = vi;
    pO[i] = x;
    bad += x - x;
  }
  return bad;
}

/** First step with a zero gradient: the moments stay zero, p' = p (1 - lr wd) exactly as the formula gives. */
function firstStepNoGradient(k: StepConstants, p: Float32Array, pO: Float32Array, mO: Float32Array, vO: Float32Array, start: number, end: number): number {
  let bad = 0;
  for (let i = start; i < end; i++) {
    const x = Math.fround(p[i] * k.keep - (k.step * 0) / (Math.sqrt(0 / k.c2) + k.eps));
    mO[i] = 0;
    vO[i] = 0;
    pO[i] = x;
    bad += x - x;
  }
  return bad;
}

/** The update on host arrays; true when every element of pOut is finite. Exported for tests. */
export function adamwUpdate(a: AdamWArrays, s: AdamWKernelAttrs): boolean {
  const { p, m, v, pOut, mOut, vOut, width } = a;
  const fresh = s.fresh === 1 || !m || !v;
  const k: StepConstants = { b1: s.beta1, b2: s.beta2, g1: 1 - s.beta1, g2: 1 - s.beta2, keep: 1 - s.lr * s.weightDecay, step: s.lr / s.c1, c2: s.c2, eps: s.eps };
  const run = (start: number, end: number, g: Float32Array | null, gAt: number): number => {
    if (start >= end) return 0;
    if (fresh) return g ? firstStep(k, p, g, gAt, pOut, mOut, vOut, start, end) : firstStepNoGradient(k, p, pOut, mOut, vOut, start, end);
    return g ? withMoments(k, p, m!, v!, g, gAt, pOut, mOut, vOut, start, end) : withMomentsNoGradient(k, p, m!, v!, pOut, mOut, vOut, start, end);
  };
  let bad = 0;
  if (a.g) bad += run(0, p.length, a.g, 0);
  else if (a.rows && a.slots) {
    const n = p.length / width;
    const rowOf = new Int32Array(n).fill(-1);
    a.slots.forEach((slot, u) => {
      if (!(slot >= 0 && slot < n)) throw new RangeError(`${ADAMW_KERNEL}: row ${slot} is not in [0, ${n})`);
      if (rowOf[slot] !== -1) throw new Error(`${ADAMW_KERNEL}: row ${slot} is listed twice`);
      rowOf[slot] = u;
    });
    // Stretches of rows without a gradient run as one zero-gradient range.
    let from = 0;
    for (let r = 0; r < n; r++) {
      const u = rowOf[r];
      if (u < 0) continue;
      bad += run(from * width, r * width, null, 0);
      bad += run(r * width, (r + 1) * width, a.rows, u * width);
      from = r + 1;
    }
    bad += run(from * width, n * width, null, 0);
  } else bad += run(0, p.length, null, 0);
  return bad === 0;
}

/** What the kernel uses of tfjs-backend-wasm's BackendWasm or tfjs's cpu backend. */
interface BackendLike {
  typedArrayFromHeap?(t: TensorInfo): Float32Array | Int32Array;
  makeOutput?(shape: number[], dtype: string): TensorInfo;
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo?(shape: number[], dtype: string, values: Float32Array | Int32Array): TensorInfo;
}

interface Inputs {
  p: TensorInfo;
  m?: TensorInfo;
  v?: TensorInfo;
  g?: TensorInfo;
  rows?: TensorInfo;
  slots?: TensorInfo;
}

function check(inputs: Inputs): number {
  const { p, m, v, g, rows, slots } = inputs;
  for (const [name, t] of Object.entries({ p, m, v, g, rows })) {
    if (t && t.dtype !== 'float32') throw new Error(`${ADAMW_KERNEL}: ${name} must be float32, got ${t.dtype}`);
  }
  for (const [name, t] of Object.entries({ m, v, g })) {
    if (t && !util.arraysEqual(t.shape, p.shape)) throw new Error(`${ADAMW_KERNEL}: ${name} is [${t.shape}], p is [${p.shape}]`);
  }
  if (Boolean(m) !== Boolean(v)) throw new Error(`${ADAMW_KERNEL}: m and v come together`);
  if (g && (rows || slots)) throw new Error(`${ADAMW_KERNEL}: a dense gradient or rows, not both`);
  if (Boolean(rows) !== Boolean(slots)) throw new Error(`${ADAMW_KERNEL}: rows and slots come together`);
  const width = p.shape.length > 1 ? p.shape[p.shape.length - 1] : 1;
  if (rows && slots) {
    if (slots.dtype !== 'int32' || slots.shape.length !== 1) throw new Error(`${ADAMW_KERNEL}: slots must be int32 [t]`);
    if (rows.shape.length !== 2 || rows.shape[0] !== slots.shape[0] || rows.shape[1] !== width || p.shape.length !== 2) {
      throw new Error(`${ADAMW_KERNEL}: rows [${rows.shape}] must be [${slots.shape[0]}, ${width}] for a 2-D p [${p.shape}]`);
    }
  }
  return width;
}

const adamwKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as Inputs;
  const width = check(ins);
  const s = attrs as unknown as AdamWKernelAttrs;
  const b = backend as unknown as BackendLike;
  const shape = ins.p.shape;
  const size = util.sizeFromShape(shape);
  if (b.typedArrayFromHeap && b.makeOutput) {
    // wasm: outputs first (an allocation may grow the heap and detach earlier views), then views of everything.
    const outs = [b.makeOutput(shape, 'float32'), b.makeOutput(shape, 'float32'), b.makeOutput(shape, 'float32'), b.makeOutput([1], 'int32')];
    const view = (t: TensorInfo | undefined) => (t ? b.typedArrayFromHeap!(t) : undefined);
    const ok = adamwUpdate(
      {
        p: view(ins.p) as Float32Array,
        m: view(ins.m) as Float32Array | undefined,
        v: view(ins.v) as Float32Array | undefined,
        g: view(ins.g) as Float32Array | undefined,
        rows: view(ins.rows) as Float32Array | undefined,
        slots: view(ins.slots) as Int32Array | undefined,
        width,
        pOut: view(outs[0]) as Float32Array,
        mOut: view(outs[1]) as Float32Array,
        vOut: view(outs[2]) as Float32Array,
      },
      s,
    );
    (view(outs[3]) as Int32Array)[0] = ok ? 1 : 0;
    return outs;
  }
  // cpu
  const read = (t: TensorInfo | undefined) => (t ? (b.readSync(t.dataId) as Float32Array | Int32Array) : undefined);
  const pOut = new Float32Array(size);
  const mOut = new Float32Array(size);
  const vOut = new Float32Array(size);
  const ok = adamwUpdate(
    {
      p: read(ins.p) as Float32Array,
      m: read(ins.m) as Float32Array | undefined,
      v: read(ins.v) as Float32Array | undefined,
      g: read(ins.g) as Float32Array | undefined,
      rows: read(ins.rows) as Float32Array | undefined,
      slots: read(ins.slots) as Int32Array | undefined,
      width,
      pOut,
      mOut,
      vOut,
    },
    s,
  );
  return [b.makeTensorInfo!(shape, 'float32', pOut), b.makeTensorInfo!(shape, 'float32', mOut), b.makeTensorInfo!(shape, 'float32', vOut), b.makeTensorInfo!([1], 'int32', Int32Array.of(ok ? 1 : 0))];
};

/** The backends the fused kernel runs on (both keep tensors in host-addressable memory). */
export const ADAMW_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

for (const backendName of ADAMW_KERNEL_BACKENDS) {
  if (!getKernel(ADAMW_KERNEL, backendName)) registerKernel({ kernelName: ADAMW_KERNEL, backendName, kernelFunc: adamwKernel } satisfies KernelConfig);
}
