/**
 * Command-line options for the project's Node scripts: node:util's parseArgs (strict), plus what a person
 * typing at a terminal expects. `--help` (or `-h`) prints the script's own usage, which is the doc comment at
 * the top of its file (one text, so the usage cannot drift from the docs), and exits 0; an unknown option, a
 * missing value or a stray argument prints what is wrong and that usage, and exits 2, instead of a stack trace.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The first block comment of a source file, without its comment markers: the script's usage. */
export function usageOf(source: string): string {
  const block = /\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!block) return '';
  return block[1]
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/**
 * Parses process.argv for the script at `scriptUrl` (pass import.meta.url). Exits the process on --help and on
 * bad options, as described above; returns the parsed values otherwise.
 */
export function parseScriptArgs<const O extends Options>(scriptUrl: string, options: O, argv: string[] = process.argv.slice(2)) {
  const file = fileURLToPath(scriptUrl);
  const name = basename(file).replace(/\.[cm]?[jt]s$/, '');
  const usage = () => usageOf(readFileSync(file, 'utf8'));
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    process.exit(0);
  }
  try {
    return parseArgs<{ options: O; strict: true; args: string[] }>({ options, strict: true, args: argv }).values;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error;
    console.error(`${name}: ${(error as Error).message}\n\n${usage()}`);
    process.exit(2);
  }
}
