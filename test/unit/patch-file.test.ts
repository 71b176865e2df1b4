import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodePatch,
  encodePatch,
  MAX_PATCH_BYTES,
  PATCH_MAGIC,
  PATCH_VERSION,
  PatchEncodeError,
  type PatchFact,
  type PatchModel,
} from '../../src/learn/patch-file';
import { randomInt, seededRandom } from '../seeded-random';
import { buildRawPatch } from './patch-file-raw';

const config = JSON.parse(readFileSync(new URL('../../public/model/config.json', import.meta.url), 'utf8'));
const MODEL: PatchModel = { slots: 256 * 256, valueDim: config.model.value_dim, checkpointSha256: config.files.weights.sha256 };

function randomRows(seed: number, count: number, n = MODEL.slots): { slots: number[]; values: Float32Array } {
  const rand = seededRandom(seed);
  const ids = new Set<number>();
  while (ids.size < count) ids.add(randomInt(rand, 0, n));
  const values = new Float32Array(count * MODEL.valueDim);
  const bits = new Uint32Array(values.buffer);
  // Arbitrary bit patterns (denormals, -0, huge), minus the non-finite ones, so the round trip is tested bit for bit.
  for (let i = 0; i < bits.length; i++) {
    do bits[i] = Math.floor(rand() * 2 ** 32);
    while (!Number.isFinite(values[i]));
  }
  return { slots: [...ids], values };
}

describe('patch file', () => {
  it('round-trips bit for bit, sorting rows by slot id with their values', async () => {
    const { slots, values } = randomRows(1, 500);
    const facts: PatchFact[] = [
      { subject: 'Veloria', relation: 'capital', object: 'Tamsin', slots: slots.slice(0, 300).reverse() },
      { subject: '東方国', relation: 'currency', object: '金貨 🪙', slots: slots.slice(250) },
    ];
    // The first fact's own rows: the final rows, except in the 50 slots the second also wrote (250..299, the
    // first 50 of its reversed list), where its own step left other values (+1).
    const own = rowsOf(facts[0].slots).map((v, i) => (i < 50 * 128 ? v + 1 : v));
    const bytes = await encodePatch({ model: MODEL, facts, slots, values, factRows: [own, rowsOf(facts[1].slots)] });
    const canonical = facts.map((f) => ({ ...f, slots: [...f.slots].sort((a, b) => a - b) }));
    const jsonBytes = new TextEncoder().encode(JSON.stringify({ facts: canonical })).length;
    expect(bytes[11]).toBe(2); // facts that share slots: version 2, with the 50 earlier rows
    expect(bytes.length).toBe(64 + jsonBytes + 4 * 500 + 4 * 500 * 128 + 4 * 50 * 128 + 32);
    const result = await decodePatch(bytes, MODEL);
    if (!result.ok) throw new Error(result.message);
    const { patch } = result;
    expect(patch.model).toEqual(MODEL);
    const sorted = [...slots].sort((a, b) => a - b);
    expect(Array.from(patch.slots)).toEqual(sorted);
    const got = new Uint32Array(patch.values.buffer, patch.values.byteOffset, patch.values.length);
    const want = new Uint32Array(values.buffer);
    for (const [row, id] of sorted.entries()) {
      const from = slots.indexOf(id);
      expect(got.subarray(row * 128, row * 128 + 128)).toEqual(want.subarray(from * 128, from * 128 + 128));
    }
    expect(patch.facts).toEqual(canonical);
    // Each fact's own rows come back in its (sorted) slot order: the first fact's as handed in, +1 where shared.
    const rowIn = (rows: Float32Array, order: readonly number[], slot: number) => Array.from(rows.subarray(order.indexOf(slot) * 128, order.indexOf(slot) * 128 + 128));
    canonical[0].slots.forEach((slot, u) => expect(Array.from(patch.factRows[0].subarray(u * 128, u * 128 + 128))).toEqual(rowIn(own, facts[0].slots, slot)));
    canonical[1].slots.forEach((slot, u) => expect(Array.from(patch.factRows[1].subarray(u * 128, u * 128 + 128))).toEqual(rowIn(values, slots, slot)));
    expect(patch.inexactRows).toBe(0);

    function rowsOf(order: readonly number[]): Float32Array {
      const out = new Float32Array(order.length * 128);
      order.forEach((slot, u) => out.set(values.subarray(slots.indexOf(slot) * 128, slots.indexOf(slot) * 128 + 128), u * 128));
      return out;
    }
  });

  it('reads a version 1 file whose facts share slots, counting the rows that are a later fact\'s', async () => {
    const { slots, values } = randomRows(3, 6);
    const sorted = [...slots].sort((a, b) => a - b);
    const sortedValues = new Float32Array(values.length);
    sorted.forEach((slot, to) => sortedValues.set(values.subarray(slots.indexOf(slot) * 128, slots.indexOf(slot) * 128 + 128), to * 128));
    const facts: PatchFact[] = [
      { subject: 'Veloria', relation: 'capital', object: 'Tamsin', slots: sorted.slice(0, 4) },
      { subject: 'Veloria', relation: 'currency', object: 'Tam', slots: sorted.slice(2) },
    ];
    const raw = buildRawPatch({ n: MODEL.slots, valueDim: 128, sha256: MODEL.checkpointSha256, json: JSON.stringify({ facts }), slots: sorted, values: sortedValues });
    const result = await decodePatch(raw, MODEL);
    if (!result.ok) throw new Error(result.message);
    expect(result.patch.inexactRows).toBe(2);
    expect(Array.from(result.patch.factRows[0])).toEqual(Array.from(sortedValues.subarray(0, 4 * 128)));
  });

  it('writes exactly the documented version 2 layout, and refuses a file whose earlier rows do not match its facts', async () => {
    const { slots, values } = randomRows(4, 3);
    const sorted = [...slots].sort((a, b) => a - b);
    const sortedValues = new Float32Array(values.length);
    sorted.forEach((slot, to) => sortedValues.set(values.subarray(slots.indexOf(slot) * 128, slots.indexOf(slot) * 128 + 128), to * 128));
    const facts: PatchFact[] = [
      { subject: 'Iron', relation: 'element_symbol', object: 'Fe', slots: sorted.slice(0, 2) },
      { subject: 'Gold', relation: 'element_symbol', object: 'Au', slots: sorted.slice(1) },
    ];
    // Fact 1's own rows: the final row where no later fact wrote, its own (here halved) in the shared slot.
    const own = Float32Array.from(sortedValues.subarray(0, 2 * 128), (v, i) => (i < 128 ? v : v / 2));
    const parts = { n: MODEL.slots, valueDim: 128, sha256: MODEL.checkpointSha256, json: JSON.stringify({ facts }), slots: sorted, values: sortedValues, version: 2 };
    const raw = buildRawPatch({ ...parts, earlier: own.slice(128, 256) }); // fact 1's own row in the one shared slot
    expect(await encodePatch({ model: MODEL, facts, slots, values, factRows: [own, sortedValues.slice(128)] })).toEqual(raw);
    const result = await decodePatch(raw, MODEL);
    if (!result.ok) throw new Error(result.message);
    expect(Array.from(result.patch.factRows[0])).toEqual(Array.from(own));
    expect(await decodePatch(buildRawPatch({ ...parts, earlier: new Float32Array(0) }), MODEL)).toMatchObject({ ok: false, message: expect.stringMatching(/holds 0 earlier rows, but its facts share 1 rows/) });
  });

  it('writes exactly the documented layout', async () => {
    const { slots, values } = randomRows(2, 7);
    const facts: PatchFact[] = [{ subject: 'Iron', relation: 'element_symbol', object: 'Fe', slots: [...slots].sort((a, b) => a - b) }];
    const order = slots.map((id, i) => [id, i] as const).sort((a, b) => a[0] - b[0]);
    const sortedValues = new Float32Array(values.length);
    order.forEach(([, from], to) => sortedValues.set(values.subarray(from * 128, from * 128 + 128), to * 128));
    const raw = buildRawPatch({
      n: MODEL.slots,
      valueDim: 128,
      sha256: MODEL.checkpointSha256,
      json: JSON.stringify({ facts }),
      slots: order.map(([id]) => id),
      values: sortedValues,
    });
    expect(await encodePatch({ model: MODEL, facts, slots, values })).toEqual(raw);
    expect(new TextDecoder().decode(raw.subarray(0, 11))).toBe(PATCH_MAGIC);
    expect(raw[11]).toBe(1); // no fact shares a slot with a later one: version 1, which earlier versions read
    expect(PATCH_VERSION).toBe(2);
  });

  it('round-trips an empty patch and a patch of every slot (the largest file)', async () => {
    const empty = await encodePatch({ model: MODEL, facts: [], slots: [], values: new Float32Array(0) });
    expect(await decodePatch(empty, MODEL)).toMatchObject({ ok: true, patch: { facts: [], slots: new Uint32Array(0) } });

    const all = Array.from({ length: MODEL.slots }, (_, i) => MODEL.slots - 1 - i);
    const values = new Float32Array(MODEL.slots * 128).map((_, i) => i * 1e-3);
    const bytes = await encodePatch({ model: MODEL, facts: [], slots: all, values });
    expect(bytes.length).toBeLessThan(MAX_PATCH_BYTES);
    const result = await decodePatch(bytes.buffer, MODEL);
    if (!result.ok) throw new Error(result.message);
    expect(result.patch.slots[MODEL.slots - 1]).toBe(MODEL.slots - 1);
    // Slot 0 was the last row handed in.
    expect(result.patch.values[0]).toBe(values[(MODEL.slots - 1) * 128]);
  });

  it.each([
    ['duplicate slots', { slots: [3, 5, 3] }, /slot 3 appears twice/],
    ['slot out of range', { slots: [65536] }, /outside 0\.\.65535/],
    ['negative slot', { slots: [-1] }, /outside/],
    ['NaN value', { values: new Float32Array(128).fill(NaN) }, /is NaN/],
    ['wrong values length', { values: new Float32Array(127) }, /values must be \[count, Dv\] = \[1, 128\]/],
    ['bad sha', { model: { ...MODEL, checkpointSha256: 'abc' } }, /64 lower-case hex/],
    ['fact slot not a row', { facts: [{ subject: 'A', relation: 'capital', object: 'B', slots: [9] }] }, /lists slot 9, which is not one of the patch's rows/],
    ['invalid fact', { facts: [{ subject: '', relation: 'capital', object: 'B', slots: [] }] }, /subject is empty/],
  ] as const)('refuses to encode: %s', async (_, change, message) => {
    const slots = [...('slots' in change ? change.slots : [1])];
    const patch = { model: MODEL, facts: [] as PatchFact[], values: new Float32Array(slots.length * 128), ...change, slots };
    await expect(encodePatch({ ...patch, facts: [...patch.facts] })).rejects.toThrow(PatchEncodeError);
    await expect(encodePatch({ ...patch, facts: [...patch.facts] })).rejects.toThrow(message);
  });
});
