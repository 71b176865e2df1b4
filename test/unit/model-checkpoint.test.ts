/**
 * The shipped checkpoint (public/model): it loads with progress reports, answers known questions with the
 * eval-only phrasing, and a corrupted, truncated, missing or mismatched copy is refused with a clear error.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedyDecode } from '../../src/model/answers';
import { CheckpointError, loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';

const DIR = process.env.ENGRAM_MODEL_DIR ?? 'public/model';

/** Three pretrained facts in the retention probe, asked with the eval-only question (never trained on). */
const KNOWN = [
  { question: 'Q: Which city is the capital of France?\nA:', answer: 'Paris' },
  { question: 'Q: Which symbol stands for the element Iron?\nA:', answer: 'Fe' },
  { question: 'Q: Which country is the city of Mumbai in?\nA:', answer: 'India' },
];

describe('shipped checkpoint', () => {
  let ckpt: Checkpoint;
  let tmp: string;
  const progress: [number, number | undefined][] = [];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    ckpt = await loadCheckpoint(directorySource(DIR), { onProgress: (loaded, total) => progress.push([loaded, total]) });
    tmp = mkdtempSync(join(tmpdir(), 'engram-ckpt-'));
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('loads with a progress callback and background statistics', () => {
    const bytes = ckpt.manifest.files.weights.bytes;
    expect(progress.at(-1)).toEqual([bytes, bytes]);
    expect(ckpt.backgroundDf?.length).toBe(ckpt.config.nKeys ** 2);
  });

  it('answers three known questions', async () => {
    const tok = loadTokenizer(readFileSync(join(DIR, 'tokenizer.json'), 'utf8'));
    const model = EngramModel.fromCheckpoint(ckpt);
    const before = tf.memory().numTensors - model.cachedMaskCount;
    for (const { question, answer } of KNOWN) {
      const ids = await greedyDecode(model, tok.encode(question), 8, [tok.eosId]);
      expect(tok.decode(ids).trim(), question).toBe(answer);
    }
    expect(tf.memory().numTensors - model.cachedMaskCount).toBe(before); // no leaks besides the cached causal masks
    model.dispose();
  });

  function copy(): string {
    const dir = mkdtempSync(join(tmp, 'copy-'));
    for (const f of ['config.json', ckpt.manifest.files.weights.path]) copyFileSync(join(DIR, f), join(dir, f));
    return dir;
  }

  async function failure(dir: string): Promise<CheckpointError> {
    try {
      await loadCheckpoint(directorySource(dir));
    } catch (error) {
      expect(error).toBeInstanceOf(CheckpointError);
      return error as CheckpointError;
    }
    throw new Error('expected the checkpoint to be refused');
  }

  it('refuses a corrupted copy (one flipped byte) with a checksum error', async () => {
    const dir = copy();
    const file = join(dir, ckpt.manifest.files.weights.path);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    writeFileSync(file, bytes);
    const error = await failure(dir);
    expect(error.kind).toBe('checksum');
    expect(error.message).toMatch(/corrupted/);
  });

  it('refuses a truncated copy, a missing file and a config that does not match the weights', async () => {
    const cut = copy();
    const file = join(cut, ckpt.manifest.files.weights.path);
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    expect((await failure(cut)).kind).toBe('truncated');

    const missing = copy();
    rmSync(join(missing, ckpt.manifest.files.weights.path));
    const error = await failure(missing);
    expect(error.kind).toBe('missing');
    expect(error.message).toMatch(/does not exist/);

    const mismatch = copy();
    const manifest = JSON.parse(readFileSync(join(mismatch, 'config.json'), 'utf8'));
    manifest.model.value_dim = 2 * manifest.model.value_dim;
    writeFileSync(join(mismatch, 'config.json'), JSON.stringify(manifest));
    const m = await failure(mismatch);
    expect(m.kind).toBe('mismatch');
    expect(m.message).toMatch(/mem_values/);
  });
});
