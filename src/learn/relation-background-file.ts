/**
 * The per-relation background as a file (public/data/relation-background.bin), so the app does not count it on a
 * slow device: `npm run relation-background` counts every relation on the shipped checkpoint (the same
 * RelationBackground the app would run) and writes it; the worker and the Node scripts read it.
 *
 * Layout: the 8 bytes "ENGRAMRB", a little-endian uint32 header length, the UTF-8 JSON header
 * { checkpointSha256, slots, perRelation, relations: [{ name, numBatches }] }, then for each relation in that order
 * `slots` bytes: df per slot (at most perRelation <= 255, so one byte each).
 */
import type { BackgroundStats } from './tfidf';

const MAGIC = 'ENGRAMRB';

export class RelationBackgroundFileError extends Error {
  override name = 'RelationBackgroundFileError';
}

export interface RelationBackgroundHeader {
  readonly checkpointSha256: string;
  readonly slots: number;
  readonly perRelation: number;
  readonly relations: readonly { readonly name: string; readonly numBatches: number }[];
}

export function encodeRelationBackground(counts: ReadonlyMap<string, BackgroundStats>, checkpointSha256: string, slots: number, perRelation: number): Uint8Array {
  if (perRelation > 255) throw new RangeError(`perRelation ${perRelation} does not fit one byte per slot`);
  const relations = [...counts].map(([name, stats]) => {
    if (stats.df.length !== slots) throw new RangeError(`relation ${name}: df covers ${stats.df.length} slots, expected ${slots}`);
    return { name, numBatches: stats.numBatches };
  });
  const header = new TextEncoder().encode(JSON.stringify({ checkpointSha256, slots, perRelation, relations } satisfies RelationBackgroundHeader));
  const out = new Uint8Array(MAGIC.length + 4 + header.length + relations.length * slots);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  let at = MAGIC.length + 4 + header.length;
  for (const [, stats] of counts) {
    out.set(Uint8Array.from(stats.df), at);
    at += slots;
  }
  return out;
}

/** The header of a relation background file, or null when `bytes` is not one. */
export function readRelationBackgroundHeader(bytes: Uint8Array): RelationBackgroundHeader | null {
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) return null;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + headerLength > bytes.length) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as RelationBackgroundHeader;
  } catch {
    return null;
  }
}

/** The counts in `bytes`, checked against the checkpoint they must belong to; a clear error otherwise. */
export function decodeRelationBackground(bytes: Uint8Array, checkpointSha256: string, slots: number): Map<string, BackgroundStats> {
  const fail = (why: string) => {
    throw new RelationBackgroundFileError(`relation-background.bin ${why}; rebuild it with \`npm run relation-background\`.`);
  };
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) fail('is not a relation background file');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4 + headerLength;
  if (start > bytes.length) fail('is truncated');
  let header: RelationBackgroundHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, start))) as RelationBackgroundHeader;
  } catch {
    return fail('has a broken header');
  }
  if (header.checkpointSha256 !== checkpointSha256) fail(`belongs to checkpoint ${String(header.checkpointSha256).slice(0, 12)}, not ${checkpointSha256.slice(0, 12)}`);
  if (header.slots !== slots) fail(`covers ${header.slots} slots, the model has ${slots}`);
  if (!Array.isArray(header.relations) || bytes.length !== start + header.relations.length * slots) fail('is truncated or has extra bytes');
  const out = new Map<string, BackgroundStats>();
  header.relations.forEach(({ name, numBatches }, i) => {
    const df = Uint32Array.from(bytes.subarray(start + i * slots, start + (i + 1) * slots));
    out.set(name, { df, numBatches });
  });
  return out;
}
