/** The chart history kept in localStorage: recorded from the engine's events, taken back only with restored facts. */
import { describe, expect, it } from 'vitest';
import { loadChartHistory, recordChartEvent, type HistoryStorage } from '../../src/app/chart-history';
import { historyToKeep } from '../../src/worker/metrics-history';
import type { MetricsPoint } from '../../src/worker/protocol';

const point = (facts: number): MetricsPoint => ({ run: 'main', method: 'sparse', facts, recall: facts ? 1 : null, retention: 1, nll: 4.2, msPerStep: null, evalMs: 5 });

function memoryStorage(): HistoryStorage {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

describe('chart history', () => {
  it('records main points and resets, ignores the race', () => {
    const store = memoryStorage();
    recordChartEvent({ type: 'metrics', point: point(0) }, store);
    recordChartEvent({ type: 'metrics', point: point(1) }, store);
    recordChartEvent({ type: 'metrics', point: { ...point(1), run: 'race' } }, store);
    expect(loadChartHistory(store).map((p) => p.facts)).toEqual([0, 1]);
    recordChartEvent({ type: 'metrics-reset', run: 'main', points: [] }, store);
    expect(loadChartHistory(store)).toEqual([]);
    store.setItem('engram.chart-history', '{not json');
    expect(loadChartHistory(store)).toEqual([]);
  });

  it('keeps the points measured before the restored fact count, none without restored facts', () => {
    const points = [point(0), point(1), point(2), point(3)];
    expect(historyToKeep(points, 3).map((p) => p.facts)).toEqual([0, 1, 2]);
    expect(historyToKeep(points, 0)).toEqual([]);
    expect(historyToKeep([{ run: 'main', facts: 'x' }, point(0)], 2).map((p) => p.facts)).toEqual([0]);
  });
});
