import { describe, expect, it } from 'vitest';
import { evalSizeFromUrl, readSharedState, writeSharedState } from '../../src/app/url-state';
import { DEFAULT_SETTINGS, settingsProblems } from '../../src/worker/settings';

describe('shareable state in the URL', () => {
  it('round-trips settings, pack and rate, and leaves defaults out', () => {
    const state = { settings: { ...DEFAULT_SETTINGS, t: 200, lr: 2.5, paraphrases: 4 }, pack: 'counterfactual' as const, rate: 20 };
    const search = writeSharedState('?backend=wasm', state);
    expect(search).toContain('backend=wasm');
    expect(search).not.toContain('steps='); // default
    expect(readSharedState(search)).toEqual(state);
    expect(writeSharedState('', readSharedState(''))).toBe('');
  });

  it('ignores values that do not parse or are out of range, keeping the defaults', () => {
    const state = readSharedState('?t=-3&lr=abc&batch=2.5&steps=3&pack=<script>&rate=1e9');
    expect(state.settings).toEqual({ ...DEFAULT_SETTINGS, steps: 3 });
    expect(state.pack).toBe('invented');
    expect(state.rate).toBe(0);
  });

  it('reads the evaluation size only when given and sane', () => {
    expect(evalSizeFromUrl('')).toBeUndefined();
    expect(evalSizeFromUrl('?probe=24')).toEqual({ probeFacts: 24, nllWindows: 8 });
    expect(evalSizeFromUrl('?probe=0&nll=2')).toEqual({ probeFacts: 96, nllWindows: 2 });
  });

  it('explains every bad setting in words', () => {
    expect(settingsProblems(DEFAULT_SETTINGS)).toEqual([]);
    const problems = settingsProblems({ ...DEFAULT_SETTINGS, t: 0, lr: Number.NaN, paraphrases: 1.5 });
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).toMatch(/rows per fact \(t\) must be between 1 and 65536/);
    expect(problems.join(' ')).toMatch(/sparse learning rate must be a number/);
    expect(problems.join(' ')).toMatch(/batch size \(paraphrases\) must be a whole number/);
  });
});
