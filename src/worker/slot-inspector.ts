/**
 * Which background tokens read a slot most. Reads depend only on the layers below the memory and on the keys,
 * never on the value table, so one pass of the model over a fixed held-out text sample answers this for every
 * slot, before or after teaching. The pass runs once, the first time someone inspects a slot; the index keeps
 * (slot, token) read counts of that sample only, which the UI says.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeForward, type EngramModel } from '../model/transformer';
import type { EngramTokenizer } from '../model/tokenizer';
import type { DataFiles } from './data-files';
import { parseJsonl } from './eval-runner';
import type { MainModel } from './main-model';
import type { EngineEvent, SlotInfo } from './protocol';
import { describeFact, type TaughtFacts } from './taught-facts';

export const SAMPLE_WINDOWS = 16;
export const SAMPLE_WINDOW_TOKENS = 128;
const BATCH = 8;

export interface SlotTokenIndex {
  readonly sampleTokens: number;
  /** slot -> token id -> reads (all heads). */
  readonly reads: Map<number, Map<number, number>>;
}

/** Windows of held-out text, taken round-robin across documents so several domains are in the sample. */
export function sampleWindows(docs: readonly { text: string }[], tokenizer: EngramTokenizer): number[][] {
  const windows: number[][] = [];
  for (let i = 0; windows.length < SAMPLE_WINDOWS && i < docs.length; i += Math.max(1, Math.floor(docs.length / SAMPLE_WINDOWS))) {
    const ids = tokenizer.encode(docs[i].text);
    if (ids.length >= SAMPLE_WINDOW_TOKENS) windows.push(ids.slice(0, SAMPLE_WINDOW_TOKENS));
  }
  return windows;
}

export async function buildSlotTokenIndex(model: EngramModel, windows: readonly number[][]): Promise<SlotTokenIndex> {
  const reads = new Map<number, Map<number, number>>();
  const hk = model.cfg.memHeads * model.cfg.topk;
  let sampleTokens = 0;
  for (let start = 0; start < windows.length; start += BATCH) {
    const chunk = windows.slice(start, start + BATCH);
    const T = chunk[0].length;
    const flat = Int32Array.from(chunk.flat());
    const input = tf.tensor2d(flat, [chunk.length, T], 'int32');
    const result = model.forward(input);
    const ids = (await result.reads[0].ids.data()) as Int32Array; // [B*T, H, K]
    input.dispose();
    disposeForward(result);
    for (let m = 0; m < flat.length; m++) {
      const token = flat[m];
      for (let r = 0; r < hk; r++) {
        const slot = ids[m * hk + r];
        let perToken = reads.get(slot);
        if (!perToken) reads.set(slot, (perToken = new Map()));
        perToken.set(token, (perToken.get(token) ?? 0) + 1);
      }
    }
    sampleTokens += flat.length;
  }
  return { sampleTokens, reads };
}

export function topTokens(index: SlotTokenIndex, slot: number, tokenizer: EngramTokenizer, limit = 8): { text: string; count: number }[] {
  const perToken = index.reads.get(slot);
  if (!perToken) return [];
  return [...perToken.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, limit)
    .map(([token, count]) => ({ text: tokenizer.tokenStrings([token])[0], count }));
}

/** The slot inspector behind the page's slot map: a slot's idf, the taught facts that changed it, the tokens that read it. */
export class SlotInspector {
  private index: Promise<SlotTokenIndex> | null = null;

  constructor(
    private readonly post: (event: EngineEvent) => void,
    private readonly main: MainModel,
    private readonly taught: TaughtFacts,
    private readonly data: () => DataFiles,
  ) {}

  /** New model tensors (a lost device): the index is built again on the next inspection. */
  forget(): void {
    this.index = null;
  }

  async inspect(slot: number): Promise<void> {
    const { model, tokenizer, background } = this.main;
    const N = this.main.shape.slots;
    if (!Number.isInteger(slot) || slot < 0 || slot >= N) return this.post({ type: 'notice', message: `There is no slot ${slot}; slots run from 0 to ${N - 1}.` });
    if (!this.index) {
      this.post({ type: 'busy', busy: true, what: 'Reading a text sample to see which tokens use each slot (once)' });
      const docs = parseJsonl<{ text: string }>(await this.data().text('heldout.jsonl'));
      this.index = buildSlotTokenIndex(model, sampleWindows(docs, tokenizer));
    }
    const index = await this.index;
    const df = background.df[slot];
    const factIds = this.taught.changedSlots().get(slot) ?? [];
    const info: SlotInfo = {
      slot,
      df,
      backgroundBatches: background.numBatches,
      idf: Math.log((background.numBatches + 1) / (df + 1)),
      facts: factIds.map((id) => ({ id, text: describeFact(this.taught.find(id)!.fact) })),
      tokens: topTokens(index, slot, tokenizer),
      sampleTokens: index.sampleTokens,
    };
    this.post({ type: 'slot-info', info });
  }
}
