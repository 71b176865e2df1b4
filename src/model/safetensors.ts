/**
 * A small safetensors reader: 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the raw little-endian data.
 * (https://github.com/huggingface/safetensors#format). There is no maintained npm safetensors reader for the
 * browser, and the format is 40 lines, so we read it ourselves. F16 is widened to F32 on load because tfjs
 * computes in float32.
 */

export type SafetensorsDtype = 'F32' | 'F16' | 'I32' | 'U16' | 'U32';

export interface RawTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** F32 / F16 tensors come back as Float32Array, integer tensors in their own width. */
  readonly data: Float32Array | Int32Array | Uint16Array | Uint32Array;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, RawTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

export class SafetensorsFormatError extends Error {
  override name = 'SafetensorsFormatError';
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, I32: 4, U16: 2, U32: 4 };

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) throw new SafetensorsFormatError(`file is ${bytes.byteLength} bytes, too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) {
    throw new SafetensorsFormatError(`header says ${headerLen} bytes but only ${bytes.byteLength - 8} follow (truncated file?)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (error) {
    throw new SafetensorsFormatError(`header is not valid JSON: ${String(error)}`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new SafetensorsFormatError(`tensor "${name}" has unsupported dtype ${String(dtype)}`);
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      throw new SafetensorsFormatError(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype}`);
    }
    if (end > dataLen) throw new SafetensorsFormatError(`tensor "${name}" ends at byte ${end} of ${dataLen} (truncated file?)`);
    tensors.set(name, { dtype, shape, data: decode(bytes, dataStart + begin, count, dtype) });
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, at: number, count: number, dtype: SafetensorsDtype): RawTensor['data'] {
  // Copy so the result is aligned whatever the offset (typed arrays need aligned starts).
  const slice = bytes.slice(at, at + count * BYTES[dtype]).buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(slice);
    case 'F16':
      return halfToFloat(new Uint16Array(slice));
    case 'I32':
      return new Int32Array(slice);
    case 'U16':
      return new Uint16Array(slice);
    case 'U32':
      return new Uint32Array(slice);
  }
}

/** IEEE 754 binary16 -> binary32, exact (every half is representable as a float). */
export function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
