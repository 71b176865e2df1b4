/**
 * An independent writer of the patch layout documented in src/learn/patch-file.ts, with no checks at all, so
 * tests can build exactly the malformed files a real encoder refuses to write (and pin the layout).
 */
import { createHash } from 'node:crypto';

export interface RawPatch {
  magic?: string;
  version?: number;
  n: number;
  valueDim: number;
  /** Hex; written as 32 raw bytes. */
  sha256: string;
  /** Defaults to slots.length. */
  count?: number;
  json: string | Uint8Array;
  slots: readonly number[];
  values: Float32Array;
  /** Version 2 only: the earlier rows after the values (E = their rows, written at offset 60). */
  earlier?: Float32Array;
  /** Defaults to a correct SHA-256 of everything before it. */
  checksum?: Uint8Array;
}

export function buildRawPatch(p: RawPatch): Uint8Array {
  const json = typeof p.json === 'string' ? new TextEncoder().encode(p.json) : p.json;
  const magic = new TextEncoder().encode(p.magic ?? 'ENGRAMPATCH');
  const version = p.version ?? 1;
  const earlier = p.earlier ?? new Float32Array(0);
  const head = (version === 2 ? 64 : 60) - 11 + magic.length;
  const body = new Uint8Array(head + json.length + 4 * p.slots.length + 4 * p.values.length + 4 * earlier.length);
  const view = new DataView(body.buffer);
  body.set(magic, 0);
  let at = magic.length;
  view.setUint8(at, version);
  view.setUint32(at + 1, p.n, true);
  view.setUint32(at + 5, p.valueDim, true);
  body.set(Buffer.from(p.sha256.padEnd(64, '0').slice(0, 64), 'hex'), at + 9);
  view.setUint32(at + 41, p.count ?? p.slots.length, true);
  view.setUint32(at + 45, json.length, true);
  if (version === 2) view.setUint32(at + 49, earlier.length / p.valueDim, true);
  body.set(json, head);
  at = head + json.length;
  for (const id of p.slots) (view.setUint32(at, id >>> 0, true), (at += 4));
  for (const v of p.values) (view.setFloat32(at, v, true), (at += 4));
  for (const v of earlier) (view.setFloat32(at, v, true), (at += 4));
  const checksum = p.checksum ?? createHash('sha256').update(body).digest();
  const out = new Uint8Array(body.length + checksum.length);
  out.set(body, 0);
  out.set(checksum, body.length);
  return out;
}

/** Replace the trailing checksum with a correct one, after a test edited the body on purpose. */
export function resign(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set(createHash('sha256').update(out.subarray(0, out.length - 32)).digest(), out.length - 32);
  return out;
}
