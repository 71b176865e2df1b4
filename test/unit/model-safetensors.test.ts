/** The safetensors reader and the model config parser, on hand-built inputs. */
import { describe, expect, it } from 'vitest';
import { halfToFloat, parseSafetensors, SafetensorsFormatError } from '../../src/model/safetensors';
import { DEFAULT_MODEL_CONFIG, ModelConfigError, parseModelConfig } from '../../src/model/config';

function file(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('parseSafetensors', () => {
  it('reads F32, F16 (widened) and U16 tensors and the metadata', () => {
    const f32 = new Float32Array([1.5, -2, 3.25]);
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555]); // 1, -2, 0.333251953125
    const u16 = new Uint16Array([7, 65535]);
    const data = new Uint8Array(12 + 6 + 4);
    data.set(new Uint8Array(f32.buffer), 0);
    data.set(new Uint8Array(f16.buffer), 12);
    data.set(new Uint8Array(u16.buffer), 18);
    const bytes = file(
      {
        a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
        b: { dtype: 'F16', shape: [1, 3], data_offsets: [12, 18] },
        c: { dtype: 'U16', shape: [2], data_offsets: [18, 22] },
        __metadata__: { format: 'test' },
      },
      data,
    );
    const st = parseSafetensors(bytes);
    expect(Array.from(st.tensors.get('a')!.data)).toEqual([1.5, -2, 3.25]);
    expect(st.tensors.get('b')!.shape).toEqual([1, 3]);
    expect(Array.from(st.tensors.get('b')!.data)).toEqual([1, -2, 0.333251953125]);
    expect(Array.from(st.tensors.get('c')!.data)).toEqual([7, 65535]);
    expect(st.metadata.format).toBe('test');
  });

  it('rejects truncated files with a message that says so', () => {
    const bytes = file({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16));
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
    expect(() => parseSafetensors(bytes.subarray(0, 10))).toThrow(SafetensorsFormatError);
    expect(() => parseSafetensors(new Uint8Array(3))).toThrow(/too short/);
  });

  it('converts halves exactly, including subnormals and infinities', () => {
    expect(Array.from(halfToFloat(Uint16Array.from([0x0001, 0x7bff, 0x7c00, 0x8000])))).toEqual([2 ** -24, 65504, Infinity, -0]);
  });
});

describe('parseModelConfig', () => {
  const snake = {
    vocab_size: 4096, d_model: 256, n_layers: 4, n_heads: 4, context: 128, ffn_hidden: 512, ffn_layers: [0, 1, 3],
    memory_layers: [2], n_keys: 256, mem_heads: 4, topk: 32, key_dim: 128, value_dim: 128, norm_eps: 1e-5, pad_id: 0,
  };
  it('reads the trainer snake_case fields', () => {
    expect(parseModelConfig(snake)).toEqual(DEFAULT_MODEL_CONFIG);
  });
  it('names the missing or inconsistent field', () => {
    expect(() => parseModelConfig({ ...snake, key_dim: undefined })).toThrow(/key_dim/);
    expect(() => parseModelConfig({ ...snake, ffn_layers: [2] })).toThrow(ModelConfigError);
    expect(() => parseModelConfig({ ...snake, d_model: 250 })).toThrow(/divisible/);
  });
});
