/**
 * The main curve's points, kept in this browser (localStorage) beside the taught facts (IndexedDB), so a reload
 * shows the charts' history instead of one point. The page records every point and every reset of the curve
 * (undo, Reset to base: the engine sends the curve as it now is); the engine takes the stored points back only
 * when taught facts were restored, and only those measured before the restored count (the count itself is
 * measured again). Small: about 100 bytes a point, at most MAX_POINTS kept.
 */
import { isPoint } from '../worker/metrics-history';
import type { EngineEvent, MetricsPoint } from '../worker/protocol';

const KEY = 'engram.chart-history';
export const MAX_POINTS = 2000;

export type HistoryStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function storage(): HistoryStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage blocked: the charts simply start afresh after a reload
  }
}

export function loadChartHistory(store: HistoryStorage | null = storage()): MetricsPoint[] {
  try {
    const parsed = JSON.parse(store?.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter(isPoint).slice(-MAX_POINTS) : [];
  } catch {
    return [];
  }
}

function save(points: readonly MetricsPoint[], store: HistoryStorage | null): void {
  try {
    if (points.length === 0) store?.removeItem(KEY);
    else store?.setItem(KEY, JSON.stringify(points.slice(-MAX_POINTS)));
  } catch {
    // Quota: the history is a convenience; the facts themselves are kept elsewhere.
  }
}

/** Keeps the stored history in step with the engine's main curve. */
export function recordChartEvent(event: EngineEvent, store: HistoryStorage | null = storage()): void {
  if (event.type === 'metrics' && event.point.run === 'main') save([...loadChartHistory(store), event.point], store);
  else if (event.type === 'metrics-reset' && event.run === 'main') save(event.points, store);
}
