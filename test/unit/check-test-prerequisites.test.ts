/**
 * The `npm test` preflight's decision (scripts/check-test-prerequisites.ts), with the file system, user id and
 * PATH lookup injected: nothing here touches the machine or runs apt-get.
 */
import { describe, expect, it } from 'vitest';
import { decide, DEFAULT_CHROMIUM, main, SWIFTSHADER_ICD, type Probe } from '../../scripts/check-test-prerequisites';

function probe(files: string[], opts: { root?: boolean; apt?: boolean; env?: Probe['env'] } = {}): Probe {
  return {
    exists: (path) => files.includes(path), // read at call time: an install may add files
    isRoot: opts.root ?? false,
    which: (command) => (command === 'apt-get' && (opts.apt ?? true) ? '/usr/bin/apt-get' : null),
    env: opts.env ?? {},
  };
}

describe('test prerequisites preflight', () => {
  it('passes when Chromium and its SwiftShader ICD are there', () => {
    expect(decide(probe([DEFAULT_CHROMIUM, SWIFTSHADER_ICD]))).toEqual({ kind: 'ok' });
  });

  it('installs Debian chromium through apt-get when running as root with apt-get', () => {
    const d = decide(probe([], { root: true }));
    expect(d.kind).toBe('install');
    if (d.kind !== 'install') return;
    expect(d.missing).toHaveLength(2);
    expect(d.commands.at(-1)).toEqual(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  });

  it('a missing ICD alone (Chromium from elsewhere on the default path) is also fixed by the package', () => {
    const d = decide(probe([DEFAULT_CHROMIUM], { root: true }));
    expect(d.kind).toBe('install');
    expect(d.kind === 'install' && d.missing).toEqual([expect.stringContaining(SWIFTSHADER_ICD)]);
  });

  it('stops with the one command to run when not root', () => {
    const d = decide(probe([SWIFTSHADER_ICD]));
    expect(d.kind).toBe('stop');
    expect(d.kind === 'stop' && d.message).toContain('sudo apt-get install -y --no-install-recommends chromium');
  });

  it('stops when there is no apt-get, saying what to install', () => {
    const d = decide(probe([], { root: true, apt: false }));
    expect(d.kind).toBe('stop');
    expect(d.kind === 'stop' && d.message).toMatch(/install Chromium .* CHROMIUM_PATH/);
  });

  it('honours CHROMIUM_PATH, and does not apt-install for a custom path that is missing', () => {
    expect(decide(probe(['/opt/chrome/chrome', SWIFTSHADER_ICD], { env: { CHROMIUM_PATH: '/opt/chrome/chrome' } }))).toEqual({ kind: 'ok' });
    const d = decide(probe([SWIFTSHADER_ICD], { root: true, env: { CHROMIUM_PATH: '/opt/chrome/chrome' } }));
    expect(d.kind).toBe('stop');
    expect(d.kind === 'stop' && d.message).toContain('/opt/chrome/chrome (CHROMIUM_PATH)');
  });

  it('checks the driver named by VK_ICD_FILENAMES instead of SwiftShader', () => {
    const lavapipe = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
    expect(decide(probe([DEFAULT_CHROMIUM, lavapipe], { env: { VK_ICD_FILENAMES: lavapipe } }))).toEqual({ kind: 'ok' });
    expect(decide(probe([DEFAULT_CHROMIUM, SWIFTSHADER_ICD], { root: true, env: { VK_ICD_FILENAMES: lavapipe } })).kind).toBe('stop');
  });

  it('main runs the install commands, checks again, and fails when a command fails', () => {
    const files: string[] = [];
    const p = probe(files, { root: true });
    const ran: string[][] = [];
    const quiet = { log: console.log, error: console.error };
    console.log = console.error = () => undefined;
    try {
      expect(
        main(p, (argv) => {
          ran.push(argv);
          if (argv[1] === 'install') files.push(DEFAULT_CHROMIUM, SWIFTSHADER_ICD);
          return 0;
        }),
      ).toBe(0);
      expect(ran.map((a) => a[1])).toEqual(['update', 'install']);
      expect(main(probe([], { root: true }), () => 100)).toBe(1);
      expect(main(probe([]), () => 0)).toBe(1); // not root: stops, runs nothing
    } finally {
      Object.assign(console, quiet);
    }
  });
});
