import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** scripts/answer-reads.ts as a person runs it: node with tsx, from the repository root. */
function answerReads(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/answer-reads.ts', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, out: run.stdout, err: run.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'answer-reads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/answer-reads.ts', () => {
  it('refuses a missing file, an unknown relation and a bad count with a message, exit 2', () => {
    const missing = answerReads('--facts', join(dir, 'none.jsonl'));
    expect(missing.status).toBe(2);
    expect(missing.err).toContain('make a stream first');
    const facts = join(dir, 'one.jsonl');
    writeFileSync(facts, `${JSON.stringify({ subject: 'Veloria', relation: 'capital', object: 'Tamsin' })}\n`);
    const relation = answerReads('--facts', facts, '--relations', 'capitol');
    expect(relation.status).toBe(2);
    expect(relation.err).toContain('unknown relation(s) capitol');
    expect(answerReads('--facts', facts, '--per', '0').err).toContain('--per');
  });

  it("prints, per relation, how many of its own and the other relations' sample facts read the slots its answers are read from", () => {
    const facts = join(dir, 'two.jsonl');
    const rows = [
      { subject: 'Veloria', relation: 'capital', object: 'Tamsin' },
      { subject: 'Hainosvulium', relation: 'atomic_number', object: '182' },
    ];
    writeFileSync(facts, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const run = answerReads('--facts', facts, '--per', '1', '--relations', 'capital,atomic_number,currency');
    expect(run.status, run.err).toBe(0);
    const line = (relation: string) => run.out.split('\n').find((l) => l.startsWith(`${relation} `));
    // currency has no fact in the file: no line for it
    expect(line('currency')).toBeUndefined();
    for (const relation of ['capital', 'atomic_number']) {
      const match = line(relation)?.match(/^\S+\s+(\d+)%\s+(\d+)%\s+(\d+\.\d) of 12$/);
      expect(match, run.out).toBeTruthy();
      const [own, others, relationsReading] = match!.slice(1).map(Number);
      expect(own).toBeLessThanOrEqual(100);
      // a relation's own sample facts read the rows its answers come from more than the other relations' do
      expect(own).toBeGreaterThan(others);
      expect(relationsReading).toBeLessThanOrEqual(12);
    }
  }, 240_000);
});
