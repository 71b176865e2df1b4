/**
 * The page enables Ask as soon as the model is downloaded, while the engine (src/worker/engine.ts) is still
 * fetching its data files and restoring stored facts. A question sent then must wait and be answered, not fail on
 * a half-attached model (it did: "Cannot read properties of undefined (reading 'encode')", and the answer never
 * came). When attaching fails, the waiting question fails with attach's own reason.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../../src/gpu/wasm-kernel-fixes';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/model/checkpoint';
import { directorySource } from '../../src/model/checkpoint-node';
import { loadTokenizer, type EngramTokenizer } from '../../src/model/tokenizer';
import { EngramModel } from '../../src/model/transformer';
import { Engine } from '../../src/worker/engine';
import type { EngineEvent } from '../../src/worker/protocol';
import { DEFAULT_SETTINGS } from '../../src/worker/settings';

const DATA_URL = 'http://engram.test/data/';
let ckpt: Checkpoint;
let tok: EngramTokenizer;
const models: EngramModel[] = [];

beforeAll(async () => {
  await tf.setBackend('wasm');
  ckpt = await loadCheckpoint(directorySource('public/model'));
  tok = loadTokenizer(readFileSync('public/model/tokenizer.json', 'utf8'));
}, 60_000);

afterEach(() => vi.unstubAllGlobals());
afterAll(() => models.forEach((m) => m.dispose()));

/**
 * fetch() serving public/data/, held until `release` is called (or answering 404 for every file when `missing`),
 * so a command can be sent while the engine is still attaching.
 */
function heldDataFiles(missing = false): { release: () => void; requests: string[] } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const requests: string[] = [];
  vi.stubGlobal('fetch', async (input: string | URL) => {
    const url = String(input);
    requests.push(url);
    await released;
    if (missing || !url.startsWith(DATA_URL)) return new Response('not found', { status: 404 });
    return new Response(readFileSync(join('public/data', url.slice(DATA_URL.length))));
  });
  return { release, requests };
}

function startEngine(): { engine: Engine; events: EngineEvent[]; model: EngramModel } {
  const events: EngineEvent[] = [];
  const engine = new Engine((event) => void events.push(event), DEFAULT_SETTINGS);
  const model = EngramModel.fromCheckpoint(ckpt);
  models.push(model);
  return { engine, events, model };
}

describe('a command sent while the engine is still attaching', () => {
  it('waits for the data files and stored facts, then is answered, with no error', async () => {
    const { engine, events, model } = startEngine();
    const files = heldDataFiles();
    const attaching = engine.attach({ checkpoint: ckpt, tokenizer: tok, model, dataUrl: DATA_URL }, { probeFacts: 2, nllWindows: 1 });
    const asking = engine.ask(1, 'What is the capital of France?');
    // Let the engine reach its fetches with the question already sent.
    await vi.waitFor(() => expect(files.requests.length).toBeGreaterThanOrEqual(3));
    expect(events.filter((e) => e.type === 'answer' || e.type === 'teachable')).toEqual([]);
    files.release();
    await Promise.all([attaching, asking]);

    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    const answers = events.filter((e) => e.type === 'answer');
    expect(answers).toHaveLength(1);
    if (answers[0].type !== 'answer') throw new Error('unreachable');
    expect(answers[0].report.id).toBe(1);
    expect(answers[0].report.answer).toBe('Paris');
    // Asked before teach was open, answered after it.
    expect(events.findIndex((e) => e.type === 'teachable')).toBeLessThan(events.findIndex((e) => e.type === 'answer'));
  }, 120_000);

  it('fails with the reason attaching failed when the data files are missing', async () => {
    const { engine, model } = startEngine();
    const files = heldDataFiles(true);
    const attaching = engine.attach({ checkpoint: ckpt, tokenizer: tok, model, dataUrl: DATA_URL });
    const asking = engine.ask(1, 'What is the capital of France?');
    files.release();
    await expect(attaching).rejects.toThrow(/answered HTTP 404; the app's data files are missing/);
    await expect(asking).rejects.toThrow(/answered HTTP 404; the app's data files are missing/);
  }, 60_000);
});
