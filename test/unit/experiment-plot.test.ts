/**
 * The experiment's Pareto SVG (scripts/experiment-plot.ts): one point per run, each method's runs joined into a
 * curve in order of forgetting, labels escaped.
 */
import { describe, expect, it } from 'vitest';
import { paretoSvg } from '../../scripts/experiment-plot';

describe('paretoSvg', () => {
  it('draws a point per run and one curve per method with two runs or more, ordered by retention drop', () => {
    const svg = paretoSvg(
      [
        { method: 'sparse', label: 'sparse t=1000', recall: 0.6, retention_drop: 0.06 },
        { method: 'sparse', label: 'sparse t=100', recall: 0.4, retention_drop: 0.01 },
        { method: 'sparse', label: 'sparse t=500', recall: 0.55, retention_drop: 0.03 },
        { method: 'full', label: 'full lr=3e-4 <&>', recall: 0.2, retention_drop: 0.9 },
      ],
      '100 facts',
    );
    expect(svg.match(/<circle /g)).toHaveLength(4 + 2); // four runs, two legend dots
    const curves = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
    expect(curves).toHaveLength(1); // full has a single run: no curve
    const xs = curves[0].map(([x]) => x);
    expect(xs).toHaveLength(3);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs); // left to right: t=100, t=500, t=1000
    const ys = curves[0].map(([, y]) => y);
    expect(ys[0]).toBeGreaterThan(ys[2]); // more recall is higher up (smaller y)
    expect(svg).toContain('full lr=3e-4 &#60;&#38;&#62;');
    expect(svg).not.toContain('<&>');
  });
});
