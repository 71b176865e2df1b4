/**
 * `npm run data`: build the knowledge base, teach packs, held-out text and tokenizer from the pinned npm
 * data packages, deterministically. Options: --seed=<string> (default in scripts/data/options.ts).
 * Outputs and formats: scripts/data/write.ts; the report is printed and saved to public/data/report.md.
 */
import { join } from 'node:path';
import { buildData } from './data/build';
import { DEFAULT_OPTIONS } from './data/options';
import { REPO_ROOT } from './data/packages';
import { tokenStats } from './data/token-stats';
import { writeData } from './data/write';

const seedArg = process.argv.find((a) => a.startsWith('--seed='));
const options = { ...DEFAULT_OPTIONS, ...(seedArg ? { seed: seedArg.slice('--seed='.length) } : {}) };
console.log('data build options:', JSON.stringify(options));

const started = performance.now();
const build = buildData(options);
const tokens = await tokenStats(build);
const { report } = writeData(build, tokens, {
  publicDir: join(REPO_ROOT, 'public'),
  buildDir: join(REPO_ROOT, 'build', 'data'),
  root: REPO_ROOT,
});
console.log(`\n${report}`);
console.log(`Wrote public/data, public/model/tokenizer.json and build/data in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
