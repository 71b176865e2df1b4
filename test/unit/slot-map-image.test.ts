import { describe, expect, it } from 'vitest';
import {
  backingSize,
  rampColor,
  rampTableColor,
  SLOT_MAP_COLORS,
  slotAtPoint,
  slotMapPixels,
  slotPosition,
  stepSlot,
  type Rgb,
  type SlotMapData,
} from '../../src/app/slot-map-image';
import { randomInt, seededRandom } from '../seeded-random';

const SIDE = 256;
const pixel = (px: Uint8ClampedArray, slot: number): number[] => Array.from(px.subarray(slot * 4, slot * 4 + 4));
const rgba = (c: Rgb) => [...c, 255];

describe('slot map pixels', () => {
  const data: SlotMapData = {
    side: SIDE,
    reads: { slots: [10, 20, 30, 40], values: [1, 1000, 5, 3] },
    tfidf: { slots: [10, 20, 30], values: [0.5, 0.1, 4] },
    selected: [30, 10],
    updateNorms: [2, 1],
    changed: [10, 50, 60],
  };

  it('lays slot ids out row-major on the product-key grid: row = first-half key, column = second-half key', () => {
    expect(slotPosition(0, SIDE)).toEqual({ row: 0, col: 0 });
    expect(slotPosition(257, SIDE)).toEqual({ row: 1, col: 1 });
    expect(slotPosition(65_535, SIDE)).toEqual({ row: 255, col: 255 });
    const px = slotMapPixels({ side: SIDE, selected: [3 * SIDE + 7] }, 'reads', false);
    expect(px.length).toBe(SIDE * SIDE * 4);
    // Pixel (x = 7, y = 3) in the row-major ImageData.
    expect(Array.from(px.subarray((3 * SIDE + 7) * 4, (3 * SIDE + 7) * 4 + 4))).toEqual(rgba(SLOT_MAP_COLORS.selected));
  });

  it('reads mode: a log ramp of counts, the top-t on top in orange, the changed layer underneath', () => {
    const px = slotMapPixels(data, 'reads', true);
    expect(pixel(px, 20)).toEqual(rgba(SLOT_MAP_COLORS.reads[1])); // the most-read slot is the dark end
    const low = pixel(px, 40);
    const mid = pixel(px, 20);
    expect(low[2]).toBeGreaterThan(mid[2]); // fewer reads: lighter (blue channel falls along the ramp)
    expect(pixel(px, 30)).toEqual(rgba(SLOT_MAP_COLORS.selected));
    expect(pixel(px, 10)).toEqual(rgba(SLOT_MAP_COLORS.selected)); // selected wins over read and changed
    expect(pixel(px, 50)).toEqual(rgba(SLOT_MAP_COLORS.changed));
    expect(pixel(px, 0)).toEqual(rgba(SLOT_MAP_COLORS.empty));
    // Log scale: 3 reads against a maximum of 1000 sits a fifth of the way along, not at the light end.
    const k = Math.log1p(3) / Math.log1p(1000);
    expect(pixel(px, 40)).toEqual(rgba(rampTableColor(SLOT_MAP_COLORS.reads, k)));
  });

  it('can hide the changed layer', () => {
    const px = slotMapPixels(data, 'reads', false);
    expect(pixel(px, 50)).toEqual(rgba(SLOT_MAP_COLORS.empty));
  });

  it('tfidf mode ramps scores; update mode colours the top-t by the size of its change', () => {
    const tfidf = slotMapPixels({ ...data, selected: [] }, 'tfidf', false);
    expect(pixel(tfidf, 30)).toEqual(rgba(SLOT_MAP_COLORS.tfidf[1]));
    expect(pixel(tfidf, 20)).toEqual(rgba(rampTableColor(SLOT_MAP_COLORS.tfidf, 0.1 / 4)));
    expect(pixel(tfidf, 40)).toEqual(rgba(SLOT_MAP_COLORS.empty)); // read, but no score given

    const update = slotMapPixels(data, 'update', false);
    expect(pixel(update, 30)).toEqual(rgba(SLOT_MAP_COLORS.update[1])); // largest norm
    expect(pixel(update, 10)).toEqual(rgba(rampTableColor(SLOT_MAP_COLORS.update, 0.5)));
    expect(pixel(update, 20)).toEqual(rgba(SLOT_MAP_COLORS.readMuted));
  });

  it('changed mode shows every changed slot, the latest top-t in orange', () => {
    const px = slotMapPixels(data, 'changed', false);
    expect(pixel(px, 60)).toEqual(rgba(SLOT_MAP_COLORS.changed));
    expect(pixel(px, 10)).toEqual(rgba(SLOT_MAP_COLORS.selected));
    expect(pixel(px, 20)).toEqual(rgba(SLOT_MAP_COLORS.empty)); // read only: not part of this view
  });

  it('skips ids outside the grid and non-finite values instead of drawing them elsewhere', () => {
    const px = slotMapPixels(
      { side: 4, reads: { slots: [-1, 16, 2.5, NaN, 3], values: [1, 1, 1, 1, NaN] }, selected: [99], updateNorms: [Infinity], changed: [1e9] },
      'update',
      true,
    );
    const untouched = Array.from({ length: 16 }, (_, s) => s).filter((s) => s !== 3);
    for (const s of untouched) expect(pixel(px, s)).toEqual(rgba(SLOT_MAP_COLORS.empty));
    expect(pixel(px, 3)).toEqual(rgba(SLOT_MAP_COLORS.readMuted));
  });

  it('reuses the buffer it is given and fully repaints it', () => {
    const first = slotMapPixels(data, 'reads', true);
    const second = slotMapPixels({ side: SIDE }, 'reads', true, first);
    expect(second).toBe(first);
    for (const s of [10, 20, 30, 50]) expect(pixel(second, s)).toEqual(rgba(SLOT_MAP_COLORS.empty));
    expect(slotMapPixels({ side: 4 }, 'reads', true, first)).not.toBe(first);
  });

  it('clamps ramps', () => {
    expect(rampColor(SLOT_MAP_COLORS.reads, -3)).toEqual(SLOT_MAP_COLORS.reads[0]);
    expect(rampColor(SLOT_MAP_COLORS.reads, 7)).toEqual(SLOT_MAP_COLORS.reads[1]);
    expect(rampColor(SLOT_MAP_COLORS.reads, NaN)).toEqual(SLOT_MAP_COLORS.reads[0]);
  });
});

describe('slot map geometry', () => {
  it('maps a click anywhere inside a cell to that cell, at any display size', () => {
    const rand = seededRandom(99);
    for (let i = 0; i < 500; i++) {
      const size = randomInt(rand, 100, 1200) + rand();
      const slot = randomInt(rand, 0, SIDE * SIDE);
      const { row, col } = slotPosition(slot, SIDE);
      const cell = size / SIDE;
      // A point strictly inside the cell (away from the shared edges, where float rounding decides).
      const x = (col + 0.05 + 0.9 * rand()) * cell;
      const y = (row + 0.05 + 0.9 * rand()) * cell;
      expect(slotAtPoint(x, y, size, size, SIDE)).toBe(slot);
    }
    expect(slotAtPoint(0, 0, 512, 512, SIDE)).toBe(0);
    expect(slotAtPoint(511.999, 511.999, 512, 512, SIDE)).toBe(SIDE * SIDE - 1);
    expect(slotAtPoint(3, 511.5, 512, 512, SIDE)).toBe(255 * SIDE + 1);
  });

  it('says null outside the map', () => {
    for (const [x, y] of [[-1, 5], [5, -0.01], [512, 5], [5, 512], [NaN, 1]]) expect(slotAtPoint(x, y, 512, 512, SIDE)).toBeNull();
    expect(slotAtPoint(1, 1, 0, 0, SIDE)).toBeNull();
  });

  it('moves the selection with arrow keys, clamped at the edges', () => {
    expect(stepSlot(0, SIDE, 'ArrowRight')).toBe(1);
    expect(stepSlot(0, SIDE, 'ArrowDown')).toBe(SIDE);
    expect(stepSlot(0, SIDE, 'ArrowUp')).toBe(0);
    expect(stepSlot(0, SIDE, 'ArrowLeft')).toBe(0);
    expect(stepSlot(SIDE - 1, SIDE, 'ArrowRight')).toBe(SIDE - 1); // does not wrap into the next row
    expect(stepSlot(SIDE * SIDE - 1, SIDE, 'ArrowDown')).toBe(SIDE * SIDE - 1);
  });

  it('sizes the backing store in whole device pixels, never below one pixel per slot', () => {
    expect(backingSize(512, 2, SIDE)).toBe(1024);
    expect(backingSize(333.3, 1.5, SIDE)).toBe(500);
    expect(backingSize(100, 1, SIDE)).toBe(SIDE);
    expect(backingSize(512, NaN, SIDE)).toBe(512);
  });
});
