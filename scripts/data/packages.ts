/**
 * Where the pinned npm data packages live and what they are. Every source is read from node_modules, so the
 * build needs no network; versions and licences go into the manifest and public/data/ATTRIBUTION.md.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function packageDir(name: string): string {
  return join(REPO_ROOT, 'node_modules', name);
}

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly license: string;
}

export function packageInfo(name: string): PackageInfo {
  const json = JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as {
    version: string;
    license?: string;
  };
  return { name, version: json.version, license: json.license ?? 'unknown' };
}

export function readPackageFile(name: string, path: string): string {
  return readFileSync(join(packageDir(name), path), 'utf8');
}

export function readPackageJson<T>(name: string, path: string): T {
  return JSON.parse(readPackageFile(name, path)) as T;
}
