/**
 * The page-side pieces of a newcomer's first minutes, without a browser: the reducer keeps Teach disabled while
 * a typed fact is taught, drops notices about the taught facts once one of those facts is gone, words an import
 * that skipped already-taught facts; Ask's suggestions lead with the question recall uses; the stream position
 * is kept and read back, and garbage in storage means "from the start".
 */
import { describe, expect, it } from 'vitest';
import { askSuggestions, recallQuestion } from '../../src/app/ask-suggestions';
import { INITIAL_STATE, reduce, type EngineState } from '../../src/app/engine-state';
import { clearStreamPositions, loadStreamPositions, saveStreamPosition, type PositionStorage } from '../../src/app/stream-position';
import type { EngineEvent, TaughtFactSummary } from '../../src/worker/protocol';

const summary = (id: number, origin: TaughtFactSummary['origin'] = 'typed'): TaughtFactSummary => ({
  id,
  fact: { subject: `S${id}`, relation: 'capital', object: `O${id}` },
  origin,
  rows: 500,
  ms: 400,
});
const facts = (...ids: number[]): EngineEvent => ({ type: 'facts', facts: ids.map((id) => summary(id)), changedSlots: new Int32Array(0) });
const run = (events: (EngineEvent | Parameters<typeof reduce>[1])[], from: EngineState = INITIAL_STATE) => events.reduce(reduce, from);

describe('engine state for a newcomer', () => {
  it('Teach waits for the typed fact: set when sent, cleared when it is taught, refused or failed, not by a streamed fact', () => {
    const taught = (origin: TaughtFactSummary['origin']): EngineEvent => ({
      type: 'taught',
      fact: summary(1, origin),
      step: { method: 'sparse', loss: 1, ms: 1, paramsTouched: 1 },
      slots: { factId: 1, readSlots: new Int32Array(0), readCounts: new Uint32Array(0), selected: new Int32Array(0), scores: new Float32Array(0), updateNorms: new Float32Array(0) },
      memory: { tensors: 1, bytes: 1, cachedMasks: 0 },
    });
    const sent = reduce(INITIAL_STATE, { type: 'page-teaching' });
    expect(sent.teaching).toBe(true);
    expect(reduce(sent, taught('invented')).teaching).toBe(true);
    expect(reduce(sent, taught('typed')).teaching).toBe(false);
    expect(reduce(sent, { type: 'teach-refused', message: 'already taught' }).teaching).toBe(false);
    expect(reduce(sent, { type: 'error', failure: { kind: 'internal', message: 'x', remedy: 'y' } }).teaching).toBe(false);
  });

  it('drops "Restored N taught facts" once a fact is undone, keeps it while facts are only added', () => {
    const restored = run([facts(1, 2, 3), { type: 'notice', about: 'taught-facts', message: 'Restored 3 taught facts from this browser\'s storage.' }, { type: 'notice', message: 'Settings not applied: x' }]);
    expect(restored.notices).toHaveLength(2);
    const more = run([facts(1, 2, 3, 4)], restored);
    expect(more.notices).toHaveLength(2);
    const undone = run([facts(1, 3, 4)], more);
    expect(undone.notices).toEqual(['Settings not applied: x']);
    expect(undone.factNotices).toEqual([]);
  });

  it('Reset to base clears the facts notices and the import message', () => {
    const imported = run([facts(1), { type: 'notice', about: 'taught-facts', message: 'Restored 1 taught fact' }, { type: 'imported', facts: 2, rows: 900, fileName: 'p.engram', skipped: 0 }, facts(1, 2, 3)]);
    expect(imported.importMessage?.text).toBe('Imported p.engram: 2 facts, 900 rows.');
    const reset = run([facts()], imported);
    expect(reset.notices).toEqual([]);
    expect(reset.importMessage).toBeUndefined();
  });

  it('says how many facts of an import were already taught', () => {
    const text = (facts: number, skipped: number) => reduce(INITIAL_STATE, { type: 'imported', facts, rows: facts * 500, fileName: 'p.engram', skipped }).importMessage?.text;
    expect(text(0, 23)).toBe('p.engram: nothing imported; all 23 of its facts are already taught.');
    expect(text(0, 1)).toBe('p.engram: nothing imported; its fact is already taught.');
    expect(text(2, 1)).toBe('Imported p.engram: 2 facts, 1000 rows. 1 fact was already taught and skipped.');
  });
});

describe('Ask suggestions', () => {
  it('lead with the eval-only question recall uses, then the taught question, without repeats', () => {
    const fact = { subject: 'Veloria', relation: 'capital', object: 'Tamsin' } as const;
    expect(recallQuestion(fact)).toBe('Which city is the capital of Veloria?');
    const suggestions = askSuggestions(fact);
    expect(suggestions[0]).toMatchObject({ question: 'Which city is the capital of Veloria?', recall: true });
    expect(suggestions[1].question).toBe('What is the capital of Veloria?');
    expect(suggestions.length).toBeGreaterThanOrEqual(3);
    expect(new Set(suggestions.map((s) => s.question)).size).toBe(suggestions.length);
    for (const s of suggestions) expect(s.question).toMatch(/Veloria.*\?$/);
  });
});

describe('stream positions', () => {
  const memory = (): PositionStorage & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
  };

  it('keeps each pack\'s position, and clears them all', () => {
    const store = memory();
    saveStreamPosition('invented', { index: 12, total: 200 }, store);
    saveStreamPosition('counterfactual', { index: 3, total: 150 }, store);
    expect(loadStreamPositions(store)).toEqual({ invented: { index: 12, total: 200 }, counterfactual: { index: 3, total: 150 } });
    clearStreamPositions(store);
    expect(loadStreamPositions(store)).toEqual({});
  });

  it('reads damaged or foreign data as "from the start"', () => {
    const store = memory();
    store.setItem('engram.stream-positions', '{not json');
    expect(loadStreamPositions(store)).toEqual({});
    store.setItem('engram.stream-positions', JSON.stringify({ invented: { index: -1, total: 5 }, 'real-unseen': { index: 9, total: 5 }, other: { index: 1, total: 2 } }));
    expect(loadStreamPositions(store)).toEqual({});
    expect(loadStreamPositions(null)).toEqual({});
  });
});
