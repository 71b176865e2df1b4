/**
 * Preflight for `npm test`: the browser, e2e and Node GPU tests need Debian's Chromium and the SwiftShader Vulkan
 * driver it ships (/usr/lib/chromium/vk_swiftshader_icd.json). Without them the run used to fail deep inside the
 * browser tests; this checks first, before any test starts:
 *  - all present: says nothing and exits 0;
 *  - missing, running as root with apt-get: installs Debian's chromium package, printing what it runs;
 *  - otherwise: stops at once (exit 1) with the one command to run.
 * `decide` is the whole decision, with the file system, user id and PATH lookups injected, so it is unit-tested
 * (test/unit/check-test-prerequisites.test.ts) without touching the machine.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
export const APT_PACKAGE = 'chromium';

export interface Probe {
  /** Does this file exist? */
  exists(path: string): boolean;
  /** The process runs as root (uid 0). */
  isRoot: boolean;
  /** The full path of a command on PATH, or null. */
  which(command: string): string | null;
  env: { CHROMIUM_PATH?: string; VK_ICD_FILENAMES?: string };
}

export type Decision =
  | { kind: 'ok' }
  /** Run these commands (argv lists), then check again. */
  | { kind: 'install'; missing: string[]; commands: string[][] }
  /** Nothing is run: `message` says what is missing and the one command that fixes it. */
  | { kind: 'stop'; missing: string[]; message: string };

export function decide(probe: Probe): Decision {
  const missing: string[] = [];
  /** Missing things Debian's chromium package provides (it is not the answer for a custom path). */
  let aptFixes = true;
  const chromium = probe.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (!probe.exists(chromium)) {
    missing.push(`Chromium at ${chromium}${probe.env.CHROMIUM_PATH ? ' (CHROMIUM_PATH)' : ''}`);
    if (probe.env.CHROMIUM_PATH && probe.env.CHROMIUM_PATH !== DEFAULT_CHROMIUM) aptFixes = false;
  }
  // A driver chosen with VK_ICD_FILENAMES (e.g. Mesa's lavapipe for the Node GPU tests) must exist; otherwise the
  // tests use the SwiftShader ICD inside Debian's chromium package.
  const icds = probe.env.VK_ICD_FILENAMES ? probe.env.VK_ICD_FILENAMES.split(':').filter(Boolean) : [SWIFTSHADER_ICD];
  for (const icd of icds) {
    if (probe.exists(icd)) continue;
    missing.push(`the Vulkan driver ${icd}${probe.env.VK_ICD_FILENAMES ? ' (VK_ICD_FILENAMES)' : ' (SwiftShader, shipped with Debian\'s chromium)'}`);
    if (icd !== SWIFTSHADER_ICD) aptFixes = false;
  }
  if (missing.length === 0) return { kind: 'ok' };

  if (!aptFixes) {
    return {
      kind: 'stop',
      missing,
      message: `The tests need ${missing.join(' and ')}, which does not exist. Point the variable at a file that exists, or unset it and use Debian's Chromium:\n\n    ${installCommand(probe)}\n`,
    };
  }
  if (probe.isRoot && probe.which('apt-get')) {
    return {
      kind: 'install',
      missing,
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', APT_PACKAGE],
      ],
    };
  }
  return { kind: 'stop', missing, message: `The tests need ${missing.join(' and ')}. Install it with:\n\n    ${installCommand(probe)}\n\nthen run npm test again.` };
}

function installCommand(probe: Probe): string {
  if (probe.which('apt-get')) return `${probe.isRoot ? '' : 'sudo '}apt-get install -y --no-install-recommends ${APT_PACKAGE}`;
  return `install Chromium (Debian: apt-get install ${APT_PACKAGE}) and set CHROMIUM_PATH to its binary`;
}

export function systemProbe(): Probe {
  return {
    exists: existsSync,
    isRoot: process.getuid?.() === 0,
    which(command) {
      for (const dir of (process.env.PATH ?? '').split(delimiter)) {
        const path = join(dir, command);
        try {
          accessSync(path, constants.X_OK);
          return path;
        } catch {
          // not here
        }
      }
      return null;
    },
    env: { CHROMIUM_PATH: process.env.CHROMIUM_PATH, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES },
  };
}

/** Runs the preflight; returns the process exit code. */
export function main(probe: Probe = systemProbe(), run = runCommand): number {
  const decision = decide(probe);
  if (decision.kind === 'ok') return 0;
  if (decision.kind === 'stop') {
    console.error(`npm test: prerequisites missing; no test was started.\n${decision.message}`);
    return 1;
  }
  console.log(`npm test: missing ${decision.missing.join(' and ')}; installing Debian's ${APT_PACKAGE} package (running as root):`);
  for (const command of decision.commands) {
    console.log(`  $ ${command.join(' ')}`);
    if (run(command) !== 0) {
      console.error(`npm test: "${command.join(' ')}" failed; install ${APT_PACKAGE} yourself and run npm test again.`);
      return 1;
    }
  }
  const after = decide(probe);
  if (after.kind !== 'ok') {
    console.error(`npm test: still missing after installing ${APT_PACKAGE}: ${after.missing.join(' and ')}.`);
    return 1;
  }
  console.log(`npm test: ${APT_PACKAGE} installed.`);
  return 0;
}

function runCommand(argv: string[]): number {
  const result = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(main());
