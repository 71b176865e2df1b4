/**
 * The slot map's pixels, computed without a DOM so Node tests can check them: one RGBA pixel per memory slot on
 * the sqrt(N) x sqrt(N) product-key grid. Slot id = row * side + col, where row is the first-half sub-key index
 * and col the second-half one (docs/method.md §1; src/kernels/memory-lookup-reference.ts builds ids the same way), so a
 * row of the picture is every slot that shares a first-half key.
 */

export type SlotMapMode = 'reads' | 'tfidf' | 'update' | 'changed';

export const SLOT_MAP_MODES: readonly { readonly mode: SlotMapMode; readonly label: string; readonly help: string }[] = [
  { mode: 'reads', label: 'Reads', help: 'How often the latest fact\'s batch read each slot (log scale); the top-t it wrote in orange.' },
  { mode: 'tfidf', label: 'TF-IDF', help: 'Reads weighted by rarity in ordinary text; the top-t it wrote in orange.' },
  { mode: 'update', label: 'Update size', help: 'The rows the latest fact wrote, by the size of their change (yellow small, dark red large).' },
  { mode: 'changed', label: 'All changes', help: 'Every slot changed by any taught fact so far (teal), the latest fact\'s in orange.' },
];

/** Sparse per-slot values: `slots[i]` has `values[i]`. Ids outside 0..N-1 are skipped, never drawn elsewhere. */
export interface SparseSlots {
  readonly slots: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export interface SlotMapData {
  /** sqrt(N): the grid is side x side and N = side * side. */
  readonly side: number;
  /** Slots the latest fact's batch read, with read counts (the TF counts). */
  readonly reads?: SparseSlots;
  /** TF-IDF scores of the latest fact's slots (any subset; at least the selected ones). */
  readonly tfidf?: SparseSlots;
  /** The top-t rows the latest fact wrote, best first. */
  readonly selected?: ArrayLike<number>;
  /** L2 norm of each written row's change, aligned with `selected`. */
  readonly updateNorms?: ArrayLike<number>;
  /** Every slot changed by any taught fact so far. */
  readonly changed?: ArrayLike<number>;
}

export type Rgb = readonly [number, number, number];

export const SLOT_MAP_COLORS = {
  empty: [238, 240, 245] as Rgb,
  /** The "changed so far" layer. */
  changed: [64, 170, 160] as Rgb,
  /** The latest fact's top-t, in every mode but "update", which colours them by size. */
  selected: [255, 110, 0] as Rgb,
  /** Read but not written, in "update" and "changed" modes: context without competing with the highlight. */
  readMuted: [200, 204, 214] as Rgb,
  /** Ramps from low to high. */
  reads: [[205, 222, 245], [20, 60, 160]] as readonly [Rgb, Rgb],
  tfidf: [[225, 210, 240], [90, 20, 140]] as readonly [Rgb, Rgb],
  update: [[255, 214, 80], [150, 0, 20]] as readonly [Rgb, Rgb],
} as const;

/** Linear blend along a two-colour ramp; t is clamped to 0..1. */
export function rampColor(ramp: readonly [Rgb, Rgb], t: number): Rgb {
  const k = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const [a, b] = ramp;
  return [Math.round(a[0] + (b[0] - a[0]) * k), Math.round(a[1] + (b[1] - a[1]) * k), Math.round(a[2] + (b[2] - a[2]) * k)];
}

/**
 * RGBA pixels [side, side, 4] for `mode`. Reuses `out` when it has the right length (the map redraws on every
 * fact; 256 KiB need not be reallocated). `showChanged` paints the changed-so-far layer under the other modes.
 * Writes whole pixels through a Uint32 view and ramps through 256-entry tables: a fact reads ~10k slots and the
 * map must redraw well inside a frame.
 */
export function slotMapPixels(data: SlotMapData, mode: SlotMapMode, showChanged: boolean, out?: Uint8ClampedArray): Uint8ClampedArray {
  const n = data.side * data.side;
  const px = out?.length === n * 4 ? out : new Uint8ClampedArray(n * 4);
  const words = new Uint32Array(px.buffer, px.byteOffset, n);
  words.fill(packed(SLOT_MAP_COLORS.empty));
  const paint = (slot: number, word: number) => {
    // Also false for negatives, fractions and NaN: `>>> 0` changes all of those.
    if (slot >>> 0 === slot && slot < n) words[slot] = word;
  };
  const selected = data.selected ?? [];
  const changed = data.changed ?? [];

  if (showChanged || mode === 'changed') {
    const word = packed(SLOT_MAP_COLORS.changed);
    for (let i = 0; i < changed.length; i++) paint(changed[i], word);
  }
  if (mode === 'reads') {
    // Counts run from 1 to thousands (a padded batch reads a few slots very often); log keeps the tail visible.
    paintRamp(data.reads, rampTable(SLOT_MAP_COLORS.reads), (c) => Math.log1p(Math.max(0, c)), paint);
  } else if (mode === 'tfidf') {
    paintRamp(data.tfidf, rampTable(SLOT_MAP_COLORS.tfidf), (v) => Math.max(0, v), paint);
  } else if (mode === 'update' && data.reads) {
    const word = packed(SLOT_MAP_COLORS.readMuted);
    for (let i = 0; i < data.reads.slots.length; i++) paint(data.reads.slots[i], word);
  }

  if (mode === 'update') {
    const norms = data.updateNorms ?? [];
    const table = rampTable(SLOT_MAP_COLORS.update);
    const count = Math.min(norms.length, selected.length);
    let max = 0;
    for (let i = 0; i < count; i++) if (Number.isFinite(norms[i])) max = Math.max(max, norms[i]);
    for (let i = 0; i < selected.length; i++) paint(selected[i], table[i < count && max > 0 ? rampIndex(norms[i] / max) : 255]);
  } else {
    const word = packed(SLOT_MAP_COLORS.selected);
    for (let i = 0; i < selected.length; i++) paint(selected[i], word);
  }
  return px;
}

function paintRamp(sparse: SparseSlots | undefined, table: Uint32Array, scale: (v: number) => number, paint: (slot: number, word: number) => void) {
  if (!sparse) return;
  const count = Math.min(sparse.slots.length, sparse.values.length);
  const scaled = new Float64Array(count);
  let max = 0;
  for (let i = 0; i < count; i++) {
    const v = scale(sparse.values[i]);
    scaled[i] = v;
    if (v > max) max = v;
  }
  const k = max > 0 ? 255 / max : 0;
  for (let i = 0; i < count; i++) {
    const v = scaled[i] * k;
    paint(sparse.slots[i], table[v >= 0 && v <= 255 ? Math.round(v) : 0]);
  }
}

function rampIndex(t: number): number {
  return Number.isFinite(t) ? Math.round(Math.min(1, Math.max(0, t)) * 255) : 0;
}

/** The ramp colour at entry i of a 256-entry table, i.e. rampColor(ramp, i / 255). */
export function rampTableColor(ramp: readonly [Rgb, Rgb], t: number): Rgb {
  return rampColor(ramp, rampIndex(t) / 255);
}

const tables = new Map<readonly [Rgb, Rgb], Uint32Array>();

function rampTable(ramp: readonly [Rgb, Rgb]): Uint32Array {
  let table = tables.get(ramp);
  if (!table) {
    table = Uint32Array.from({ length: 256 }, (_, i) => packed(rampColor(ramp, i / 255)));
    tables.set(ramp, table);
  }
  return table;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One opaque RGBA pixel as the Uint32 that has those bytes in memory order. */
function packed([r, g, b]: Rgb): number {
  return LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

/** Grid position of a slot: row = first-half key index, col = second-half key index. */
export function slotPosition(slot: number, side: number): { row: number; col: number } {
  return { row: Math.floor(slot / side), col: slot % side };
}

/**
 * The slot under a point given in CSS pixels relative to the map's top-left corner, for a map drawn
 * `width` x `height` CSS pixels; null outside it.
 */
export function slotAtPoint(x: number, y: number, width: number, height: number, side: number): number | null {
  if (!(width > 0 && height > 0) || !(x >= 0 && y >= 0 && x < width && y < height)) return null;
  const col = Math.min(side - 1, Math.floor((x / width) * side));
  const row = Math.min(side - 1, Math.floor((y / height) * side));
  return row * side + col;
}

/** Keyboard navigation: the slot one step away on the grid, clamped at the edges. */
export function stepSlot(slot: number, side: number, key: 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight'): number {
  const { row, col } = slotPosition(slot, side);
  const r = Math.min(side - 1, Math.max(0, row + (key === 'ArrowDown' ? 1 : key === 'ArrowUp' ? -1 : 0)));
  const c = Math.min(side - 1, Math.max(0, col + (key === 'ArrowRight' ? 1 : key === 'ArrowLeft' ? -1 : 0)));
  return r * side + c;
}

/** The backing-store size for a map shown at `cssSize` pixels: whole device pixels, at least one per slot. */
export function backingSize(cssSize: number, devicePixelRatio: number, side: number): number {
  const dpr = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? devicePixelRatio : 1;
  return Math.max(side, Math.round(cssSize * dpr));
}

/** The zoom window: a `size` x `size` block of the grid around `slot`, clamped inside it (top-left row and column). */
export function zoomOrigin(slot: number, side: number, size: number): { row: number; col: number } {
  const { row, col } = slotPosition(slot, side);
  const clamp = (v: number) => Math.max(0, Math.min(side - size, v - Math.floor(size / 2)));
  return { row: clamp(row), col: clamp(col) };
}

/** What one slot shows in `mode`, in words, for the hover readout. */
export function describeSlotValue(data: SlotMapData, mode: SlotMapMode, slot: number): string {
  const find = (sparse?: SparseSlots) => {
    if (!sparse) return undefined;
    for (let i = 0; i < sparse.slots.length; i++) if (sparse.slots[i] === slot) return sparse.values[i];
    return undefined;
  };
  const indexOf = (list?: ArrayLike<number>) => {
    if (!list) return -1;
    for (let i = 0; i < list.length; i++) if (list[i] === slot) return i;
    return -1;
  };
  const written = indexOf(data.selected);
  const changed = indexOf(data.changed) >= 0;
  const parts: string[] = [];
  if (mode === 'reads' || mode === 'tfidf') {
    const reads = find(data.reads);
    parts.push(reads === undefined ? 'not read by the latest fact' : `read ${reads} time${reads === 1 ? '' : 's'} by the latest fact`);
    const score = find(data.tfidf);
    if (mode === 'tfidf' && score !== undefined) parts.push(`TF-IDF ${score.toFixed(3)}`);
  }
  if (written >= 0) {
    const norm = data.updateNorms?.[written];
    parts.push(`written by the latest fact (rank ${written + 1}${norm !== undefined ? `, update size ${norm.toFixed(4)}` : ''})`);
  } else if (mode === 'update') parts.push('not written by the latest fact');
  parts.push(changed ? 'changed by a taught fact' : 'unchanged since pretraining');
  return parts.join('; ');
}
