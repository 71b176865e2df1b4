/**
 * The live curves against facts taught: recall of the taught facts, retention on the probe subset, held-out
 * NLL. The main model's curve, and the method race's curves overlaid when a race has run.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis, type AxisDomain } from 'recharts';
import type { MethodName } from '../learn/learner';
import type { MetricsPoint } from '../worker/protocol';
import type { EngineState } from './engine-state';
import { useStaggered } from './use-staggered';

const METHOD_COLORS: Readonly<Record<MethodName, string>> = { sparse: '#1b7f4b', full: '#c0392b', lora: '#2e5fb8' };
const METHOD_LABELS: Readonly<Record<MethodName, string>> = { sparse: 'sparse memory', full: 'full finetuning', lora: 'LoRA' };

/**
 * Memoised on its own data: the engine state changes several times per fact (busy, facts), the curves once.
 * `factsTaught` and `latestStepMs` count at once, before the next evaluation point: the figures never say "0
 * facts taught" above a list of three.
 */
export const MetricsCharts = memo(function MetricsCharts({
  points,
  racePoints,
  evalSetup,
  factsTaught,
  latestStepMs,
  evalEvery,
}: Pick<EngineState, 'points' | 'racePoints' | 'evalSetup'> & { factsTaught: number; latestStepMs?: number; evalEvery: number }) {
  const last = points[points.length - 1];
  const lastStepMs = latestStepMs ?? [...points].reverse().find((p) => p.msPerStep !== null)?.msPerStep;
  const lagging = last !== undefined && last.facts !== factsTaught;
  const mainSeries = useMemo<Series[]>(
    () => [
      { name: 'recall', key: 'recall', color: '#1b7f4b', points },
      { name: 'retention', key: 'retention', color: '#7a4fb5', points },
    ],
    [points],
  );
  const nllSeries = useMemo<Series[]>(() => [{ name: 'NLL', key: 'nll', color: '#a86b00', points }], [points]);
  return (
    <section className="panel charts" data-testid="charts">
      <h2>Learning without forgetting</h2>
      <p className="muted">
        Recall: the taught facts asked with a question never used in teaching. Retention: {evalSetup ? `${evalSetup.retentionFacts} of the ${evalSetup.retentionTotal}` : 'a subset of the'}{' '}
        retention-probe facts the model knew before (a subset, so each evaluation stays quick on a software GPU). NLL: held-out text
        {evalSetup ? `, ${evalSetup.nllTokens} tokens` : ''}. A fact you teach is measured at once; a stream{' '}
        {evalEvery > 1 ? `every ${evalEvery} facts` : 'after every fact'}.
      </p>
      <p className="figures" data-testid="figures" data-measured-facts={last?.facts}>
        {last ? (
          <>
            <Figure label="facts taught" value={String(factsTaught)} testId="figure-facts" />
            <Figure label={lagging ? `recall (measured at ${last.facts} facts)` : 'recall'} value={last.recall === null ? '—' : pct(last.recall)} testId="figure-recall" />
            <Figure label="retention" value={pct(last.retention)} testId="figure-retention" />
            <Figure label="held-out NLL" value={last.nll.toFixed(3)} testId="figure-nll" />
            <Figure label="ms per learning step" value={lastStepMs ? String(Math.round(lastStepMs)) : '—'} testId="figure-ms" />
            <Figure label="ms per evaluation" value={String(Math.round(last.evalMs))} testId="figure-eval-ms" />
          </>
        ) : (
          <span className="muted">Measuring the pretrained model…</span>
        )}
      </p>
      <div className="chart-grid">
        <Chart title="Recall and retention (main model)" series={mainSeries} percent hops={0} />
        <Chart title="Held-out NLL, nats/token" series={nllSeries} hops={1} />
      </div>
      {racePoints.length > 0 && <RaceCharts points={racePoints} />}
    </section>
  );
});

function RaceCharts({ points }: { points: MetricsPoint[] }) {
  const byMethod = useMemo(() => {
    const methods = [...new Set(points.map((p) => p.method))];
    return methods.map((m) => ({ name: METHOD_LABELS[m], color: METHOD_COLORS[m], points: points.filter((p) => p.method === m) }));
  }, [points]);
  const recall = useMemo(() => byMethod.map((m) => ({ ...m, key: 'recall' as const })), [byMethod]);
  const retention = useMemo(() => byMethod.map((m) => ({ ...m, key: 'retention' as const })), [byMethod]);
  const nll = useMemo(() => byMethod.map((m) => ({ ...m, key: 'nll' as const })), [byMethod]);
  return (
    <div className="chart-grid" data-testid="race-charts">
      <Chart title="Race: recall" series={recall} percent hops={0} />
      <Chart title="Race: retention" series={retention} percent hops={1} />
      <Chart title="Race: held-out NLL" series={nll} hops={2} />
    </div>
  );
}

interface Series {
  name: string;
  key: 'recall' | 'retention' | 'nll';
  color: string;
  points: MetricsPoint[];
}

// Props recharts stores per chart are module constants: a fresh object or function on every render would make
// each chart re-register its axes and legend in its store, one more re-render round per evaluation point.
const MARGIN = { top: 6, right: 12, bottom: 4, left: 0 };
const TICK = { fontSize: 11 };
const X_LABEL = { value: 'facts taught', position: 'insideBottomRight', offset: -2, fontSize: 11 } as const;
const X_DOMAIN: AxisDomain = [0, 'dataMax'];
const PERCENT_DOMAIN: AxisDomain = [0, 1];
const PADDED_DOMAIN: AxisDomain = [(min: number) => min - 0.01, (max: number) => max + 0.01];
const percentTick = (v: number) => `${Math.round(v * 100)}%`;
const nllTick = (v: number) => v.toFixed(3);
const percentValue = (v: unknown) => (typeof v === 'number' ? pct(v) : String(v));
const nllValue = (v: unknown) => (typeof v === 'number' ? v.toFixed(3) : String(v));
const factsLabel = (v: unknown) => `${v} facts`;
const LEGEND_STYLE = { fontSize: 12 };
const DOT = { r: 2 };

/**
 * Memoised so a chart re-renders only when its own series change; `hops` delays its data (use-staggered.ts)
 * so charts updated together re-render in separate tasks.
 */
const Chart = memo(function Chart({ title, series: latest, percent = false, hops }: { title: string; series: Series[]; percent?: boolean; hops: number }) {
  const series = useStaggered(latest, hops);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart margin={MARGIN}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ee" />
          <XAxis type="number" dataKey="facts" allowDecimals={false} domain={X_DOMAIN} tick={TICK} label={X_LABEL} />
          <YAxis domain={percent ? PERCENT_DOMAIN : PADDED_DOMAIN} tickFormatter={percent ? percentTick : nllTick} tick={TICK} width={44} />
          <Tooltip formatter={percent ? percentValue : nllValue} labelFormatter={factsLabel} />
          <Legend wrapperStyle={LEGEND_STYLE} />
          {series.map((s) => (
            <Line key={s.name} name={s.name} data={s.points} dataKey={s.key} stroke={s.color} dot={DOT} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
});

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <span className="figure">
      <strong data-testid={testId}>{value}</strong> <span className="muted">{label}</span>
    </span>
  );
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
