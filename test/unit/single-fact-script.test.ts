import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `npm run single-fact` as a person runs it: node with tsx, from the repository root. */
function singleFact(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/single-fact.ts', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, out: run.stdout, err: run.stderr };
}

describe('npm run single-fact', () => {
  it('refuses a malformed fact with a message that says the form, and no fact at all', () => {
    const bad = singleFact('--fact', 'Veloria|capitol|Tamsin');
    expect(bad.status).toBe(2);
    expect(bad.err).toContain('"subject|relation|object"');
    expect(bad.err).toContain('capital');
    expect(singleFact().status).toBe(2);
    expect(singleFact('--fact', 'Veloria|capital|Tamsin', '--statements', '-1').err).toContain('--statements');
  });

  it('teaches one fact on a fresh model and prints every question wording of its relation with its answer', () => {
    const run = singleFact('--fact', 'Veloria|capital|Tamsin');
    expect(run.status, run.err).toBe(0);
    const lines = run.out.split('\n');
    const header = lines.find((line) => line.startsWith('Veloria / capital / Tamsin:'));
    expect(header).toMatch(/\d step\(s\), (answered|NOT answered at the cap)/);
    const rows = lines.filter((line) => /^ {2}(ok {2}|MISS) /.test(line));
    // 1 training question + 3 extra + 5 pretraining-only, the eval-only question, 2 person wordings
    expect(rows).toHaveLength(12);
    expect(rows.filter((line) => line.includes(' trained '))).toHaveLength(4);
    expect(rows.filter((line) => line.includes('capital/q-eval'))).toHaveLength(1);
    // the steps stop once every trained wording is answered: those four say the object
    if (header!.endsWith('answered')) for (const line of rows.filter((l) => l.includes(' trained '))) expect(line).toMatch(/^ {2}ok .*-> "Tamsin"$/);
  }, 240_000);
});
