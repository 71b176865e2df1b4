/**
 * The paper's Pareto figure as a standalone SVG: learning (new-fact recall, up) against forgetting (retention
 * relative drop, right), one point per method and setting, each method's points joined into its curve. Written by hand: a scatter with axes and a legend
 * is ~60 lines of SVG, and a plotting dependency would need a DOM in Node.
 */
interface Point {
  method: string;
  label: string;
  recall: number;
  retention_drop: number;
}

const COLORS: Record<string, string> = {
  sparse: '#1f77b4',
  'sparse-tf': '#17becf',
  'sparse-all': '#9467bd',
  'sparse-stream': '#8c564b',
  'sparse-adamw': '#7f7f7f',
  full: '#d62728',
  'full (SGD)': '#e377c2',
  lora: '#ff7f0e',
  'lora (SGD)': '#bcbd22',
  'lora (SGD, value rank 8)': '#ff7f0e',
  'lora (SGD, value rank 32)': '#2ca02c',
};

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function paretoSvg(points: readonly Point[], title: string): string {
  const W = 640;
  const H = 420;
  const left = 60;
  const right = 220;
  const top = 40;
  const bottom = 50;
  // Round the axis up to a multiple of 10% so the five ticks land on round percentages.
  const maxDrop = Math.max(0.1, Math.ceil(Math.max(...points.map((p) => p.retention_drop)) * 10) / 10);
  const x = (drop: number) => left + (Math.max(0, drop) / maxDrop) * (W - left - right);
  const y = (recall: number) => top + (1 - recall) * (H - top - bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${left}" y="22" font-size="14" font-weight="bold">Learning vs forgetting (${escapeXml(title)})</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${(v * 100).toFixed(0)}%</text>`);
    const d = (maxDrop * i) / 5;
    parts.push(`<line x1="${x(d)}" x2="${x(d)}" y1="${top}" y2="${H - bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x(d)}" y="${H - bottom + 16}" text-anchor="middle">${(d * 100).toFixed(0)}%</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 12}" text-anchor="middle">retention drop on the probe (relative; left is better)</text>`);
  parts.push(`<text transform="translate(16 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle">new-fact recall (exact match; up is better)</text>`);
  // One curve per method, as in the paper's figure: its settings joined in order of forgetting.
  for (const method of new Set(points.map((p) => p.method))) {
    const own = points.filter((p) => p.method === method).sort((a, b) => a.retention_drop - b.retention_drop);
    if (own.length < 2) continue;
    const path = own.map((p) => `${x(p.retention_drop).toFixed(1)},${y(p.recall).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${COLORS[method] ?? '#000'}" stroke-width="1.5" stroke-opacity="0.6"/>`);
  }
  for (const p of points) {
    const color = COLORS[p.method] ?? '#000';
    parts.push(`<circle cx="${x(p.retention_drop).toFixed(1)}" cy="${y(p.recall).toFixed(1)}" r="5" fill="${color}" fill-opacity="0.8"><title>${escapeXml(p.label)}: recall ${(p.recall * 100).toFixed(1)}%, drop ${(p.retention_drop * 100).toFixed(1)}%</title></circle>`);
  }
  const methods = [...new Set(points.map((p) => p.method))];
  methods.forEach((m, i) => {
    const ly = top + 10 + i * 20;
    parts.push(`<circle cx="${W - right + 20}" cy="${ly}" r="5" fill="${COLORS[m] ?? '#000'}"/>`);
    parts.push(`<text x="${W - right + 32}" y="${ly + 4}">${escapeXml(m)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
