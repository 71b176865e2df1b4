/**
 * The live curves against facts taught: recall of the taught facts, retention on the probe subset, held-out
 * NLL. The main model's curve, and the method race's curves overlaid when a race has run.
 */
import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MethodName } from '../learn/learner';
import type { MetricsPoint } from '../worker/protocol';
import type { EngineState } from './engine-state';

const METHOD_COLORS: Readonly<Record<MethodName, string>> = { sparse: '#1b7f4b', full: '#c0392b', lora: '#2e5fb8' };
const METHOD_LABELS: Readonly<Record<MethodName, string>> = { sparse: 'sparse memory', full: 'full finetuning', lora: 'LoRA' };

/** Memoised on its own data: the engine state changes several times per fact (busy, facts), the curves once. */
export const MetricsCharts = memo(function MetricsCharts({ points, racePoints, evalSetup }: Pick<EngineState, 'points' | 'racePoints' | 'evalSetup'>) {
  const last = points[points.length - 1];
  const lastStepMs = [...points].reverse().find((p) => p.msPerStep !== null)?.msPerStep;
  return (
    <section className="panel charts" data-testid="charts">
      <h2>Learning without forgetting</h2>
      <p className="muted">
        Recall: the taught facts asked with a question never used in teaching. Retention: {evalSetup ? `${evalSetup.retentionFacts} of the ${evalSetup.retentionTotal}` : 'a subset of the'}{' '}
        retention-probe facts the model knew before (a subset, so each evaluation stays quick on a software GPU). NLL: held-out text
        {evalSetup ? `, ${evalSetup.nllTokens} tokens` : ''}.
      </p>
      <p className="figures" data-testid="figures">
        {last ? (
          <>
            <Figure label="facts taught" value={String(last.facts)} testId="figure-facts" />
            <Figure label="recall" value={last.recall === null ? '—' : pct(last.recall)} testId="figure-recall" />
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
        <Chart title="Recall and retention (main model)" series={[{ name: 'recall', key: 'recall', color: '#1b7f4b', points }, { name: 'retention', key: 'retention', color: '#7a4fb5', points }]} percent />
        <Chart title="Held-out NLL, nats/token" series={[{ name: 'NLL', key: 'nll', color: '#a86b00', points }]} />
      </div>
      {racePoints.length > 0 && <RaceCharts points={racePoints} />}
    </section>
  );
});

function RaceCharts({ points }: { points: MetricsPoint[] }) {
  const methods = [...new Set(points.map((p) => p.method))];
  const byMethod = (m: MethodName) => points.filter((p) => p.method === m);
  return (
    <div className="chart-grid" data-testid="race-charts">
      <Chart title="Race: recall" series={methods.map((m) => ({ name: METHOD_LABELS[m], key: 'recall' as const, color: METHOD_COLORS[m], points: byMethod(m) }))} percent />
      <Chart title="Race: retention" series={methods.map((m) => ({ name: METHOD_LABELS[m], key: 'retention' as const, color: METHOD_COLORS[m], points: byMethod(m) }))} percent />
      <Chart title="Race: held-out NLL" series={methods.map((m) => ({ name: METHOD_LABELS[m], key: 'nll' as const, color: METHOD_COLORS[m], points: byMethod(m) }))} />
    </div>
  );
}

interface Series {
  name: string;
  key: 'recall' | 'retention' | 'nll';
  color: string;
  points: MetricsPoint[];
}

function Chart({ title, series, percent = false }: { title: string; series: Series[]; percent?: boolean }) {
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart margin={{ top: 6, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ee" />
          <XAxis type="number" dataKey="facts" allowDecimals={false} domain={[0, 'dataMax']} tick={{ fontSize: 11 }} label={{ value: 'facts taught', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />
          <YAxis domain={percent ? [0, 1] : [(min: number) => min - 0.01, (max: number) => max + 0.01]} tickFormatter={percent ? (v: number) => `${Math.round(v * 100)}%` : (v: number) => v.toFixed(3)} tick={{ fontSize: 11 }} width={44} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? (percent ? pct(v) : v.toFixed(3)) : String(v))} labelFormatter={(v) => `${v} facts`} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s) => (
            <Line key={s.name} name={s.name} data={s.points} dataKey={s.key} stroke={s.color} dot={{ r: 2 }} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

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
