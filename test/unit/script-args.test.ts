import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usageOf } from '../../scripts/script-args';

/** A script as a person runs it: node with tsx, from the repository root. */
function script(file: string, ...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, out: run.stdout, err: run.stderr };
}

describe('the scripts\' command-line options', () => {
  it('takes a script\'s usage from the doc comment at the top of its file', () => {
    const source = '/**\n * Does a thing.\n *\n *   npx tsx x.ts [--n 3]\n */\nimport "y";\n/** not this one */\n';
    expect(usageOf(source)).toBe('Does a thing.\n\n  npx tsx x.ts [--n 3]');
    expect(usageOf('const x = 1;')).toBe('');
  });

  it('prints the usage for --help and exits 0, writing nothing else', () => {
    const run = script('scripts/make-stream.ts', '--help');
    expect(run.status, run.err).toBe(0);
    expect(run.out).toContain('--counterfactual');
    expect(run.out).not.toContain('/**');
    expect(run.err).toBe('');
  }, 120_000);

  it('names an unknown option or a missing value and shows the usage, with no stack trace, exit 2', () => {
    for (const [file, args, says] of [
      ['scripts/experiment.ts', ['--bogus'], "experiment: Unknown option '--bogus'"],
      ['scripts/single-fact.ts', ['--fact'], "single-fact: Option '--fact <value>' argument missing"],
      ['scripts/make-stream.ts', ['stray'], 'make-stream: Unexpected argument'],
    ] as const) {
      const run = script(file, ...args);
      expect(run.status, file).toBe(2);
      expect(run.err.startsWith(says), run.err).toBe(true);
      expect(run.err).toContain(usageOf(readFileSync(file, 'utf8')));
      expect(run.err).not.toMatch(/\n\s+at /);
      expect(run.out).toBe('');
    }
  }, 120_000);
});
