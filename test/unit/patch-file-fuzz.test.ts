/**
 * Seeded malformed patch files: truncations, byte flips, and every field corrupted on purpose (then re-signed, so
 * the check behind the checksum is the one that has to catch it). Each must be refused with the message for
 * its own problem; none may throw or return a patch.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePatch, encodePatch, MAX_PATCH_BYTES, type PatchFact, type PatchModel } from '../../src/learn/patch-file';
import { randomInt, seededRandom } from '../seeded-random';
import { buildRawPatch, resign, type RawPatch } from './patch-file-raw';

const config = JSON.parse(readFileSync(new URL('../../public/model/config.json', import.meta.url), 'utf8'));
const MODEL: PatchModel = { slots: config.model.n_keys ** 2, valueDim: 128, checkpointSha256: config.files.weights.sha256 };
const OTHER_SHA = 'f'.repeat(64);
const SLOTS = MODEL.slots.toLocaleString('en-US');

interface Case {
  readonly kind: string;
  readonly bytes: unknown;
  readonly message: RegExp;
  readonly model?: PatchModel;
}

const rand = seededRandom(7_2025);

function validParts(): RawPatch {
  const count = randomInt(rand, 2, 24);
  const ids = new Set<number>();
  while (ids.size < count) ids.add(randomInt(rand, 0, MODEL.slots));
  const slots = [...ids].sort((a, b) => a - b);
  const values = Float32Array.from({ length: count * 128 }, () => rand() * 2 - 1);
  const facts: PatchFact[] = [{ subject: 'Veloria', relation: 'capital', object: 'Tamsin', slots: slots.slice(0, 2) }];
  return { n: MODEL.slots, valueDim: 128, sha256: MODEL.checkpointSha256, json: JSON.stringify({ facts }), slots, values };
}

/** Where each header field lives, and what a flip there must produce (see the layout in patch-file.ts). */
function flipMessage(offset: number, fileLength: number): RegExp {
  if (offset < 11) return /not an Engram patch file/;
  if (offset === 11) return /format version \d+; this version of Engram reads versions 1 and 2|truncated or damaged|extra bytes/; // version 2's header is longer
  if (offset >= 16 && offset < 20) return /truncated or damaged|extra bytes/; // Dv changes the described size
  if (offset >= 52 && offset < 60) return /truncated or damaged|extra bytes/; // count, JSON length
  if (offset >= fileLength) throw new Error('offset past the end');
  return /checksum does not match/; // N, checkpoint sha, JSON, ids, values, the checksum itself
}

function cases(good: Uint8Array): Case[] {
  const out: Case[] = [];
  const raw = (kind: string, change: Partial<RawPatch>, message: RegExp) => out.push({ kind, bytes: buildRawPatch({ ...validParts(), ...change }), message });

  for (let i = 0; i < 30; i++) {
    const at = i === 0 ? 0 : i === 1 ? good.length - 1 : randomInt(rand, 0, good.length);
    const message = at < 11 ? /not an Engram patch file/ : at < 92 ? /truncated: \d+ bytes, shorter than its header/ : /truncated or damaged: its header describes/;
    out.push({ kind: 'truncated', bytes: good.slice(0, at), message });
  }
  for (let i = 0; i < 40; i++) {
    // The first few flips hit each header field on purpose; the rest land anywhere.
    const at = i < 8 ? [0, 10, 11, 14, 17, 30, 53, 58][i] : randomInt(rand, 0, good.length);
    const bytes = good.slice();
    bytes[at] ^= randomInt(rand, 1, 256);
    out.push({ kind: 'flipped byte', bytes, message: flipMessage(at, good.length) });
  }
  for (const version of [0, 3, 9, 255]) raw('version', { version }, new RegExp(`format version ${version};`));
  raw('magic', { magic: 'ENGRAMPATCX' }, /not an Engram patch file/);
  raw('magic', { magic: 'engrampatch' }, /not an Engram patch file/);
  out.push({ kind: 'extra bytes', bytes: new Uint8Array([...good, 0]), message: /extra bytes at the end/ });
  out.push({ kind: 'bad checksum', bytes: buildRawPatch({ ...validParts(), checksum: new Uint8Array(32) }), message: /checksum does not match/ });

  raw('other N', { n: 16_384 }, new RegExp(`memory of 16,384 slots x 128 values; this model has ${SLOTS} x 128`));
  raw('other Dv', { valueDim: 64, values: new Float32Array(0), slots: [] }, new RegExp(`memory of ${SLOTS} slots x 64 values`));
  raw('other checkpoint', { sha256: OTHER_SHA }, new RegExp(`made for another checkpoint \\(sha256 ffffffffffff\\.\\.\\., this page runs ${MODEL.checkpointSha256.slice(0, 12)}\\.\\.\\.\\)`));
  out.push({ kind: 'more rows than slots', bytes: buildRawPatch({ ...validParts(), n: 4, json: '{"facts":[]}', slots: [0, 1, 2, 3, 3], values: new Float32Array(5 * 128) }), model: { ...MODEL, slots: 4 }, message: /lists 5 rows, more than the model's 4 slots/ });

  for (let i = 0; i < 8; i++) {
    const parts = validParts();
    const slots = [...parts.slots];
    const at = randomInt(rand, 0, slots.length);
    slots[at] = MODEL.slots + randomInt(rand, 0, 2 ** 31);
    raw('slot out of range', { ...parts, json: '{"facts":[]}', slots }, new RegExp(`slot ids are invalid: slot \\d+ at position \\d+ is outside 0\\.\\.${MODEL.slots - 1}`));
  }
  for (let i = 0; i < 6; i++) {
    const parts = validParts();
    const slots = [...parts.slots];
    const at = randomInt(rand, 1, slots.length);
    slots[at] = slots[at - 1];
    raw('duplicate slot', { ...parts, json: '{"facts":[]}', slots }, new RegExp(`slot ${slots[at]} appears twice`));
  }
  for (let i = 0; i < 6; i++) {
    const parts = validParts();
    const slots = [...parts.slots].reverse();
    raw('unsorted slots', { ...parts, json: '{"facts":[]}', slots }, /\(ids must be sorted\)/);
  }
  for (let i = 0; i < 12; i++) {
    const parts = validParts();
    const values = parts.values.slice();
    const at = randomInt(rand, 0, values.length);
    const bad = [NaN, Infinity, -Infinity][i % 3];
    values[at] = bad;
    raw('non-finite value', { ...parts, values }, new RegExp(`values are invalid: row ${Math.floor(at / 128)}, column ${at % 128} is ${bad}`));
  }

  const jsonCase = (kind: string, json: string | Uint8Array, message: RegExp) => raw(kind, { json }, message);
  jsonCase('facts not JSON', '{"facts":[', /fact list is not valid JSON/);
  jsonCase('facts not JSON', '', /fact list is not valid JSON/);
  jsonCase('facts not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /fact list is not valid JSON/);
  jsonCase('facts not an object', 'null', /must be an object with a "facts" array/);
  jsonCase('facts not an object', '[]', /must be an object with a "facts" array/);
  jsonCase('facts not an array', '{"facts":{}}', /must be an object with a "facts" array/);
  jsonCase('fact not an object', '{"facts":[7]}', /fact 1 is not an object/);
  jsonCase('unknown relation', '{"facts":[{"subject":"A","relation":"mayor","object":"B","slots":[]}]}', /fact 1: Choose a relation: got "mayor"/);
  jsonCase('missing relation', '{"facts":[{"subject":"A","object":"B","slots":[]}]}', /fact 1: Choose a relation: got no relation/);
  jsonCase('empty subject', '{"facts":[{"subject":"","relation":"capital","object":"B","slots":[]}]}', /fact 1: The subject is empty/);
  jsonCase('markup subject', '{"facts":[{"subject":"<img src=x onerror=alert(1)>","relation":"capital","object":"B","slots":[]}]}', /contains "<" or ">"/);
  jsonCase('control character', '{"facts":[{"subject":"A\\u001b[31m","relation":"capital","object":"B","slots":[]}]}', /control character \(U\+001B\)/);
  jsonCase('not canonical', '{"facts":[{"subject":" A  B","relation":"capital","object":"C","slots":[]}]}', /not in canonical form/);
  jsonCase('numeric subject', '{"facts":[{"subject":5,"relation":"capital","object":"C","slots":[]}]}', /subject must be text/);
  jsonCase('year not digits', '{"facts":[{"subject":"A","relation":"birth_year","object":"soon","slots":[]}]}', /year of birth must be a year/);
  jsonCase('no slots list', '{"facts":[{"subject":"A","relation":"capital","object":"B"}]}', /fact 1 has no "slots" list/);
  jsonCase('second fact bad', '{"facts":[{"subject":"A","relation":"capital","object":"B","slots":[]},{"subject":"A","relation":"language","object":"a","slots":[]}]}', /fact 2: The subject and the object are both/);
  for (let i = 0; i < 6; i++) {
    const parts = validParts();
    const notRow = [-1, 1.5, '3', null, MODEL.slots, 2 ** 40][i];
    const json = JSON.stringify({ facts: [{ subject: 'A', relation: 'capital', object: 'B', slots: [notRow] }] });
    raw('fact slot not a row', { ...parts, json }, /fact 1 lists slot .+, which is not one of the patch's rows/);
  }
  {
    const parts = validParts();
    const json = JSON.stringify({ facts: [{ subject: 'A', relation: 'capital', object: 'B', slots: [parts.slots[1], parts.slots[0]] }] });
    raw('fact slots unsorted', { ...parts, json }, /fact 1 lists its slots out of order or twice/);
  }

  for (const bytes of [null, undefined, 'ENGRAMPATCH', 42, {}, [1, 2, 3], new Uint16Array(4)]) {
    out.push({ kind: 'not bytes', bytes, message: /^The patch must be the bytes of a file\.$/ });
  }
  out.push({ kind: 'empty', bytes: new Uint8Array(0), message: /not an Engram patch file/ });
  // Edited by hand and re-signed: a valid checksum does not make a wrong body acceptable.
  const renamed = good.slice();
  renamed[12] ^= 1;
  out.push({ kind: 're-signed N edit', bytes: resign(renamed), message: new RegExp(`memory of ${(MODEL.slots + 1).toLocaleString('en-US')} slots`) });
  return out;
}

describe('decodePatch on malformed files', () => {
  let good: Uint8Array;
  let all: Case[];

  beforeAll(async () => {
    const parts = validParts();
    const facts: PatchFact[] = [{ subject: 'Veloria', relation: 'capital', object: 'Tamsin', slots: parts.slots.slice(0, 3) }];
    good = await encodePatch({ model: MODEL, facts, slots: parts.slots, values: parts.values });
    all = cases(good);
  });

  it('reads the unmodified file the cases start from', async () => {
    expect((await decodePatch(good, MODEL)).ok).toBe(true);
    expect(all.length).toBeGreaterThanOrEqual(100);
  });

  it('refuses every case with its own message, never throwing', async () => {
    for (const [i, c] of all.entries()) {
      const label = `case ${i} (${c.kind})`;
      const result = await decodePatch(c.bytes, c.model ?? MODEL);
      expect(result.ok, label).toBe(false);
      if (!result.ok) expect(result.message, label).toMatch(c.message);
    }
  });

  it('refuses an oversized file before reading it', async () => {
    const result = await decodePatch(new Uint8Array(MAX_PATCH_BYTES + 1), MODEL);
    expect(result).toEqual({ ok: false, message: 'The file is 67,108,865 bytes; an Engram patch is at most 67,108,864 bytes (64.0 MiB).' });
  });
});
