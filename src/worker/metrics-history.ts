/**
 * Which stored chart points the engine takes back after a reload (the page keeps them: src/app/chart-history.ts):
 * only when taught facts were restored, and only those measured before the restored count (the restored count
 * itself is measured again by the first evaluation). Anything malformed is dropped.
 */
import type { MetricsPoint } from './protocol';

export function isPoint(value: unknown): value is MetricsPoint {
  const p = value as MetricsPoint;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (
    typeof p === 'object' && p !== null && p.run === 'main' && Number.isInteger(p.facts) && p.facts >= 0 && (p.recall === null || num(p.recall)) && num(p.retention) && typeof p.nll === 'number'
  );
}

export function historyToKeep(points: readonly unknown[] | undefined, restoredFacts: number): MetricsPoint[] {
  if (!points || restoredFacts === 0) return [];
  return points.filter((p): p is MetricsPoint => isPoint(p) && p.facts < restoredFacts);
}
