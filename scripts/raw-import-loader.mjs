// Node module hooks that give scripts Vite's `?raw` imports: `import code from '../shaders/x.wgsl?raw'` yields
// the file's text as the default export. Vite (app, vitest) does this itself; Node + tsx (npm run bench) does
// not, so the bench starts with `node --import tsx --import ./scripts/raw-import-loader.mjs`. Hooks registered
// later run first, so this one answers `?raw` specifiers before tsx tries to resolve them as modules.
import { register } from 'node:module';
import { readFile } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';

// Loaded twice: by --import on the main thread (registers this file as hooks), then in Node's hooks thread.
if (isMainThread) register(import.meta.url, import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  if (!specifier.endsWith('?raw')) return nextResolve(specifier, context);
  const url = new URL(specifier, context.parentURL);
  return { url: url.href, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('?raw')) return nextLoad(url, context);
  const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}
