/**
 * The Content-Security-Policy of the built app, which must be strict: no inline script, no eval, nothing loaded from
 * another origin. Measured against the real bundle by test/e2e/csp.test.ts.
 *
 *  - script-src 'wasm-unsafe-eval': tfjs-backend-wasm compiles its .wasm with WebAssembly.instantiate, which CSP
 *    counts as eval unless this keyword allows wasm (and only wasm). Nothing in the bundle needs JS eval: the
 *    only `eval`/`Function(` in it are Node-only paths of the wasm glue and a `Function('return this')`
 *    fallback in decimal.js that browsers never reach (`self` exists).
 *  - worker-src 'self' and no blob:: the engine worker is a same-origin file. tfjs-backend-wasm would start its
 *    threads from a blob: URL, but only when the page is cross-origin isolated (SharedArrayBuffer), which
 *    Engram does not ask for; it then runs single-threaded.
 *  - style-src 'self' without 'unsafe-inline': React and recharts set `style` props through the CSSOM
 *    (element.style), which CSP does not govern; only style attributes in markup or setAttribute('style')
 *    would need style-src-attr.
 *
 * Delivered twice, because a <meta> policy binds only the document: a worker takes its policy from the HTTP
 * headers of its own script. The build adds the <meta> (works on any static host); `vite preview` sends the
 * header on every response, which is what a deployment should do too (frame-ancestors works only there).
 */
import type { Plugin } from 'vite';

const DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['worker-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self'"],
  ['connect-src', "'self'"],
  ['font-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'self'"],
  ['form-action', "'self'"],
];

/** The policy for a <meta http-equiv> (which ignores frame-ancestors). */
export const META_POLICY = DIRECTIVES.map(([name, value]) => `${name} ${value}`).join('; ');

/** The policy for an HTTP header: the same, and no framing by other sites. */
export const HEADER_POLICY = `${META_POLICY}; frame-ancestors 'none'`;

/** Adds the policy to the built index.html as the first element of <head>, before any script it governs. */
export function contentSecurityPolicy(): Plugin {
  return {
    name: 'engram-content-security-policy',
    // Only the build: the dev server injects inline scripts (React refresh, Vite's client) by design.
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: META_POLICY }, injectTo: 'head-prepend' }],
    },
  };
}
