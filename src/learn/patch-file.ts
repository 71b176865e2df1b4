/**
 * The sparse patch file a person exports and imports (to share or back up what was taught): the taught facts and the
 * memory value rows they changed, for one exact checkpoint. Binary, little-endian, versioned, checksummed:
 *
 *   offset  size            field
 *   0       11              magic "ENGRAMPATCH" (ASCII)
 *   11      1               format version (u8): 1, or 2 when a fact's rows were overwritten by a later fact's
 *   12      4               N, memory slots of the model (u32)
 *   16      4               Dv, value width (u32)
 *   20      32              sha256 of the checkpoint weights (public/model/config.json files.weights.sha256)
 *   52      4               count, rows in the patch (u32, <= N)
 *   56      4               J, bytes of the facts JSON (u32)
 *   60      4               version 2 only: E, earlier rows (u32); the header is 60 bytes in version 1, 64 in 2
 *   H       J               facts JSON, UTF-8: {"facts":[{"subject","relation","object","slots":[ids]}]}
 *   H+J     4 * count       slot ids (u32), strictly increasing, each < N
 *   ...     4 * count * Dv  values of those rows after every fact (f32) [count, Dv], row-major in slot order
 *   ...     4 * E * Dv      version 2 only: earlier rows (f32) [E, Dv]: for each fact in order, for each of its
 *                           slots in ascending order that a later fact of the patch also lists, the row this
 *                           fact's own step left there (the rows above hold the later fact's)
 *   end-32  32              SHA-256 of every byte before it
 *
 * Each fact's own rows are in the file, so an import can record exactly what each fact's step left and a later
 * undo of one of them is exact. A patch whose facts share no slot is written as version 1, which earlier
 * versions of Engram read too; a version 1 file whose facts share slots (written before version 2) gives the
 * earlier facts the later fact's rows there, and decodePatch counts those rows (`inexactRows`).
 *
 * decodePatch checks everything (sizes, checksum, model identity, ids, finiteness, facts) before it returns a
 * patch, so a caller that applies only `ok` results never applies part of a bad file. It never throws.
 */
import type { Fact } from '../facts/fact';
import { validateFact } from '../facts/parse-fact';

export const PATCH_MAGIC = 'ENGRAMPATCH';
/** The newest format version written (version 1 when no fact's rows were overwritten by a later fact's). */
export const PATCH_VERSION = 2;
/** Largest file accepted: 64 MiB, the fp32 rows of about 130,000 slots at Dv 128 (a fact writes about t of them a step), plus ids and facts. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;
/** Largest facts JSON accepted. */
export const MAX_FACTS_JSON_BYTES = 16 * 1024 * 1024;

const HEADER_BYTES = 60;
const HEADER_BYTES_V2 = 64;
const CHECKSUM_BYTES = 32;

/** The model a patch belongs to: rows only mean something for the exact table they were trained against. */
export interface PatchModel {
  /** N, memory slots. */
  readonly slots: number;
  /** Dv, value width. */
  readonly valueDim: number;
  /** Lower-case hex sha256 of the checkpoint weights, as in public/model/config.json. */
  readonly checkpointSha256: string;
}

export interface PatchFact extends Fact {
  /** Slot ids this fact's step changed, ascending; each is one of the patch's slots. */
  readonly slots: readonly number[];
}

export interface Patch {
  readonly model: PatchModel;
  readonly facts: readonly PatchFact[];
  /** Slot ids, strictly increasing, each < N. */
  readonly slots: Uint32Array; // [count]
  /** New values of those rows (after every fact). */
  readonly values: Float32Array; // [count, Dv]
  /** Each fact's own rows, [fact.slots.length, Dv] in the order of its slots: what its step left. */
  readonly factRows: readonly Float32Array[];
  /**
   * Version 1 files only: how many of those rows are a later fact's, because the file did not carry the earlier
   * fact's own row there (0 when exact).
   */
  readonly inexactRows: number;
}

export type DecodeResult = { ok: true; patch: Patch } | { ok: false; message: string };

/** Thrown by encodePatch when the caller hands it an inconsistent patch (a programming error, not user input). */
export class PatchEncodeError extends Error {
  override name = 'PatchEncodeError';
}

/**
 * Serialise a patch. Rows may come in any order (the learner lists them best first); they are sorted by slot id,
 * values moving with their ids, and each fact's slot list is sorted.
 */
export async function encodePatch(patch: {
  model: PatchModel;
  facts: readonly PatchFact[];
  slots: ArrayLike<number>;
  values: Float32Array; // [count, Dv]
  /**
   * Each fact's own rows, [fact.slots.length, Dv] in the order of its `slots`, where they may differ from the
   * rows above (a later fact wrote the same slot); without them a fact's rows are taken to be the rows above.
   */
  factRows?: readonly Float32Array[];
}): Promise<Uint8Array> {
  const { model, facts } = patch;
  const count = patch.slots.length;
  const problem = modelProblem(model) ?? (count > model.slots ? `${count} rows for a model of ${model.slots} slots` : null);
  if (problem) throw new PatchEncodeError(`encodePatch: ${problem}`);
  if (patch.values.length !== count * model.valueDim) {
    throw new PatchEncodeError(`encodePatch: values must be [count, Dv] = [${count}, ${model.valueDim}], got ${patch.values.length} floats`);
  }
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => patch.slots[a] - patch.slots[b]);
  const sortedIds = order.map((i) => patch.slots[i]);
  const idProblem = slotsProblem(sortedIds, model.slots);
  if (idProblem) throw new PatchEncodeError(`encodePatch: ${idProblem}`);
  const slots = Uint32Array.from(sortedIds);
  const values = new Float32Array(count * model.valueDim);
  order.forEach((from, to) => values.set(patch.values.subarray(from * model.valueDim, (from + 1) * model.valueDim), to * model.valueDim));
  const canonical = facts.map((f) => ({ subject: f.subject, relation: f.relation, object: f.object, slots: [...f.slots].sort((a, b) => a - b) }));
  const bodyProblem = valuesProblem(values, model.valueDim) ?? factsProblem(canonical, slots);
  if (bodyProblem) throw new PatchEncodeError(`encodePatch: ${bodyProblem}`);
  const earlier = earlierRows(facts, canonical, slots, values, model.valueDim, patch.factRows);
  const earlierProblem = valuesProblem(earlier, model.valueDim);
  if (earlierProblem) throw new PatchEncodeError(`encodePatch: a fact's own rows: ${earlierProblem}`);
  const json = new TextEncoder().encode(JSON.stringify({ facts: canonical }));
  if (json.length > MAX_FACTS_JSON_BYTES) throw new PatchEncodeError(`encodePatch: facts JSON is ${json.length} bytes, the limit is ${MAX_FACTS_JSON_BYTES}`);

  const version = earlier.length > 0 ? 2 : 1;
  const header = version === 1 ? HEADER_BYTES : HEADER_BYTES_V2;
  const total = header + json.length + 4 * count + 4 * values.length + 4 * earlier.length + CHECKSUM_BYTES;
  if (total > MAX_PATCH_BYTES) throw new PatchEncodeError(`encodePatch: the file would be ${total} bytes, the limit is ${MAX_PATCH_BYTES}`);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(PATCH_MAGIC), 0);
  view.setUint8(11, version);
  view.setUint32(12, model.slots, true);
  view.setUint32(16, model.valueDim, true);
  bytes.set(hexToBytes(model.checkpointSha256), 20);
  view.setUint32(52, count, true);
  view.setUint32(56, json.length, true);
  if (version === 2) view.setUint32(60, earlier.length / model.valueDim, true);
  bytes.set(json, header);
  let at = header + json.length;
  for (const id of slots) (view.setUint32(at, id, true), (at += 4));
  for (const v of values) (view.setFloat32(at, v, true), (at += 4));
  for (const v of earlier) (view.setFloat32(at, v, true), (at += 4));
  bytes.set(await sha256(bytes.subarray(0, at)), at);
  return bytes;
}

/** Read and check a patch file for `expected`; nothing is returned from a file that fails any check. */
export async function decodePatch(input: unknown, expected: PatchModel): Promise<DecodeResult> {
  try {
    return await decode(input, expected);
  } catch (error) {
    // Every check above returns a message; this is the net for a bug in them, so import still fails safe.
    return refuse(`The patch file could not be read (${error instanceof Error ? error.message : String(error)}); nothing was applied.`);
  }
}

async function decode(input: unknown, expected: PatchModel): Promise<DecodeResult> {
  const bytes = input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : null;
  if (!bytes) return refuse('The patch must be the bytes of a file.');
  if (bytes.length > MAX_PATCH_BYTES) {
    return refuse(`The file is ${bytes.length.toLocaleString('en-US')} bytes; an Engram patch is at most ${MAX_PATCH_BYTES.toLocaleString('en-US')} bytes (${mb(MAX_PATCH_BYTES)}).`);
  }
  if (bytes.length < PATCH_MAGIC.length || new TextDecoder().decode(bytes.subarray(0, PATCH_MAGIC.length)) !== PATCH_MAGIC) {
    return refuse('This is not an Engram patch file (it does not start with "ENGRAMPATCH").');
  }
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) return refuse(`The patch file is truncated: ${bytes.length} bytes, shorter than its header.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(11);
  if (version !== 1 && version !== 2) {
    return refuse(`The patch file has format version ${version}; this version of Engram reads versions 1 and ${PATCH_VERSION}. Export it again from this version.`);
  }
  const header = version === 1 ? HEADER_BYTES : HEADER_BYTES_V2;
  if (bytes.length < header + CHECKSUM_BYTES) return refuse(`The patch file is truncated: ${bytes.length} bytes, shorter than its header.`);
  const slotCount = view.getUint32(12, true);
  const valueDim = view.getUint32(16, true);
  const count = view.getUint32(52, true);
  const jsonBytes = view.getUint32(56, true);
  const earlierCount = version === 2 ? view.getUint32(60, true) : 0;
  const declared = header + jsonBytes + 4 * count + 4 * count * valueDim + 4 * earlierCount * valueDim + CHECKSUM_BYTES;
  if (declared !== bytes.length) {
    const how = bytes.length < declared ? 'truncated or damaged' : 'damaged (extra bytes at the end)';
    return refuse(`The patch file is ${how}: its header describes ${declared.toLocaleString('en-US')} bytes, the file has ${bytes.length.toLocaleString('en-US')}.`);
  }
  const bodyEnd = bytes.length - CHECKSUM_BYTES;
  const digest = await sha256(bytes.subarray(0, bodyEnd));
  if (!digest.every((b, i) => b === bytes[bodyEnd + i])) {
    return refuse('The patch file is damaged: its SHA-256 checksum does not match its contents. Export it again.');
  }

  const model: PatchModel = { slots: slotCount, valueDim, checkpointSha256: bytesToHex(bytes.subarray(20, 52)) };
  const mismatch = modelMismatch(model, expected);
  if (mismatch) return refuse(mismatch);
  if (count > slotCount) return refuse(`The patch lists ${count} rows, more than the model's ${slotCount} slots.`);

  const slotsAt = header + jsonBytes;
  const slots = new Uint32Array(count);
  for (let i = 0; i < count; i++) slots[i] = view.getUint32(slotsAt + 4 * i, true);
  const badSlots = slotsProblem(slots, slotCount);
  if (badSlots) return refuse(`The patch's slot ids are invalid: ${badSlots}.`);

  const valuesAt = slotsAt + 4 * count;
  const values = readFloats(bytes, valuesAt, count * valueDim);
  const badValues = valuesProblem(values, valueDim);
  if (badValues) return refuse(`The patch's values are invalid: ${badValues}.`);
  const earlier = readFloats(bytes, valuesAt + 4 * count * valueDim, earlierCount * valueDim);
  const badEarlier = valuesProblem(earlier, valueDim);
  if (badEarlier) return refuse(`The patch's earlier rows are invalid: ${badEarlier}.`);

  const facts = parseFacts(bytes.subarray(header, slotsAt), slots);
  if (!facts.ok) return refuse(facts.message);
  const shadowed = shadowedSlots(facts.facts);
  const overwritten = shadowed.reduce((n, set) => n + set.size, 0);
  if (version === 2 && overwritten !== earlierCount) {
    return refuse(`The patch holds ${earlierCount} earlier rows, but its facts share ${overwritten} rows with later facts.`);
  }
  let taken = 0; // earlier rows used so far, in file order
  const factRows = facts.facts.map((fact, i) => {
    const rows = new Float32Array(fact.slots.length * valueDim);
    fact.slots.forEach((slot, u) => {
      const from = version === 2 && shadowed[i].has(slot) ? earlier.subarray(taken * valueDim, ++taken * valueDim) : rowOf(values, binarySearch(slots, slot), valueDim);
      rows.set(from, u * valueDim);
    });
    return rows;
  });
  return { ok: true, patch: { model, facts: facts.facts, slots, values, factRows, inexactRows: version === 1 ? overwritten : 0 } };
}

/** For each fact (slots ascending), the slots a later fact of the list also lists. */
function shadowedSlots(facts: readonly { readonly slots: readonly number[] }[]): Set<number>[] {
  const later = new Set<number>();
  const out: Set<number>[] = new Array(facts.length);
  for (let i = facts.length - 1; i >= 0; i--) {
    out[i] = new Set(facts[i].slots.filter((slot) => later.has(slot)));
    for (const slot of facts[i].slots) later.add(slot);
  }
  return out;
}

/**
 * The version 2 earlier rows: for each fact in order, for each of its slots ascending that a later fact also
 * lists, the fact's own row there (from `factRows`, given in the order of the fact's `slots`), else the final row.
 */
function earlierRows(
  facts: readonly PatchFact[],
  canonical: readonly PatchFact[],
  slots: Uint32Array,
  values: Float32Array,
  Dv: number,
  factRows: readonly Float32Array[] | undefined,
): Float32Array {
  if (factRows && factRows.length !== facts.length) throw new PatchEncodeError(`encodePatch: ${factRows.length} factRows for ${facts.length} facts`);
  const shadowed = shadowedSlots(canonical);
  const out = new Float32Array(shadowed.reduce((n, set) => n + set.size, 0) * Dv);
  let next = 0;
  canonical.forEach((fact, i) => {
    const own = factRows?.[i];
    if (own && own.length !== facts[i].slots.length * Dv) {
      throw new PatchEncodeError(`encodePatch: fact ${i + 1}'s rows must be [${facts[i].slots.length}, ${Dv}], got ${own.length} floats`);
    }
    for (const slot of fact.slots) {
      if (!shadowed[i].has(slot)) continue;
      const at = own ? facts[i].slots.indexOf(slot) : -1;
      const row = at >= 0 ? rowOf(own!, at, Dv) : rowOf(values, binarySearch(slots, slot), Dv);
      out.set(row, next++ * Dv);
    }
  });
  return out;
}

function parseFacts(jsonBytes: Uint8Array, slots: Uint32Array): { ok: true; facts: PatchFact[] } | { ok: false; message: string } {
  if (jsonBytes.length > MAX_FACTS_JSON_BYTES) return refuse(`The patch's facts take ${mb(jsonBytes.length)}; the limit is ${mb(MAX_FACTS_JSON_BYTES)}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
  } catch (error) {
    return refuse(`The patch's fact list is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  const list = (parsed as { facts?: unknown } | null)?.facts;
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(list)) return refuse('The patch\'s fact list must be an object with a "facts" array.');
  const problem = factsProblem(list, slots);
  if (problem) return refuse(`The patch's fact list is invalid: ${problem}.`);
  return { ok: true, facts: (list as PatchFact[]).map(({ subject, relation, object, slots: ids }) => ({ subject, relation, object, slots: ids })) };
}

/** The same rules as typed facts (validateFact), already in canonical form, plus slots that are the patch's rows. */
function factsProblem(facts: readonly unknown[], slots: Uint32Array): string | null {
  for (const [i, entry] of facts.entries()) {
    if (!entry || typeof entry !== 'object') return `fact ${i + 1} is not an object`;
    const fact = entry as Record<string, unknown>;
    const checked = validateFact({ subject: fact.subject, relation: fact.relation, object: fact.object });
    if (!checked.ok) return `fact ${i + 1}: ${checked.message}`;
    if (checked.fact.subject !== fact.subject || checked.fact.object !== fact.object || checked.fact.relation !== fact.relation) {
      return `fact ${i + 1} is not in canonical form (extra spaces or invisible characters)`;
    }
    if (!Array.isArray(fact.slots)) return `fact ${i + 1} has no "slots" list`;
    for (let j = 0; j < fact.slots.length; j++) {
      const id = fact.slots[j];
      if (!Number.isInteger(id) || binarySearch(slots, id) < 0) return `fact ${i + 1} lists slot ${String(id)}, which is not one of the patch's rows`;
      if (j > 0 && id <= fact.slots[j - 1]) return `fact ${i + 1} lists its slots out of order or twice (${fact.slots[j - 1]}, ${id})`;
    }
  }
  return null;
}

function slotsProblem(slots: ArrayLike<number>, n: number): string | null {
  for (let i = 0; i < slots.length; i++) {
    const id = slots[i];
    if (!Number.isInteger(id) || id < 0 || id >= n) return `slot ${id} at position ${i} is outside 0..${n - 1}`;
    if (i > 0 && id <= slots[i - 1]) return id === slots[i - 1] ? `slot ${id} appears twice` : `slot ${id} comes after ${slots[i - 1]} (ids must be sorted)`;
  }
  return null;
}

function valuesProblem(values: Float32Array, valueDim: number): string | null {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `row ${Math.floor(i / valueDim)}, column ${i % valueDim} is ${values[i]}`;
  }
  return null;
}

function modelProblem(model: PatchModel): string | null {
  if (!Number.isInteger(model.slots) || model.slots < 1 || model.slots > 0xffffffff) return `N must be a positive u32, got ${model.slots}`;
  if (!Number.isInteger(model.valueDim) || model.valueDim < 1 || model.valueDim > 0xffff) return `Dv must be in 1..65535, got ${model.valueDim}`;
  if (!/^[0-9a-f]{64}$/.test(model.checkpointSha256)) return `the checkpoint sha256 must be 64 lower-case hex digits, got "${model.checkpointSha256}"`;
  return null;
}

function modelMismatch(found: PatchModel, expected: PatchModel): string | null {
  if (found.slots !== expected.slots || found.valueDim !== expected.valueDim) {
    return `This patch is for a memory of ${found.slots.toLocaleString('en-US')} slots x ${found.valueDim} values; this model has ${expected.slots.toLocaleString('en-US')} x ${expected.valueDim}. It cannot be applied.`;
  }
  if (found.checkpointSha256 !== expected.checkpointSha256.toLowerCase()) {
    return `This patch was made for another checkpoint (sha256 ${found.checkpointSha256.slice(0, 12)}..., this page runs ${expected.checkpointSha256.slice(0, 12)}...): its rows only make sense on the model they were trained on.`;
  }
  return null;
}

function readFloats(bytes: Uint8Array, offset: number, length: number): Float32Array {
  // A copy, so the caller's buffer can go and the rows stay 4-byte aligned whatever the JSON length was.
  const copy = bytes.slice(offset, offset + 4 * length);
  if (LITTLE_ENDIAN) return new Float32Array(copy.buffer);
  const view = new DataView(copy.buffer);
  return Float32Array.from({ length }, (_, i) => view.getFloat32(4 * i, true));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rowOf(rows: Float32Array, index: number, Dv: number): Float32Array {
  return rows.subarray(index * Dv, (index + 1) * Dv);
}

function binarySearch(sorted: Uint32Array, id: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] === id) return mid;
    if (sorted[mid] < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function refuse(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
