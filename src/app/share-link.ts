/**
 * "Share link": the taught facts' text (subject, relation, object) in the address's fragment, deflated and
 * base64url-encoded; the settings travel in the query string as always (url-state.ts). Opening such a link shows
 * what it would teach and teaches it only after the person confirms. The fragment never reaches a server.
 * Links are capped at MAX_LINK_CHARS (addresses much longer break in some browsers and chat apps).
 */
import type { Fact } from '../facts/fact';
import { validateFact } from '../facts/parse-fact';

export const SHARE_PREFIX = '#share=';
export const MAX_LINK_CHARS = 8000;

interface Payload {
  v: 1;
  f: [string, string, string][];
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

export type ShareResult = { ok: true; url: string } | { ok: false; message: string };

/** The link for `facts` on the page at `base` (its query string carries the settings). */
export async function shareLink(facts: readonly Fact[], base: string): Promise<ShareResult> {
  if (facts.length === 0) return { ok: false, message: 'Teach a fact first: the link carries the taught facts.' };
  const payload: Payload = { v: 1, f: facts.map((f) => [f.subject, f.relation, f.object]) };
  const packed = await pipe(new TextEncoder().encode(JSON.stringify(payload)), new CompressionStream('deflate-raw'));
  const url = `${base.split('#')[0]}${SHARE_PREFIX}${toBase64Url(packed)}`;
  if (url.length > MAX_LINK_CHARS) {
    return {
      ok: false,
      message: `A link for these ${facts.length} facts would be ${url.length.toLocaleString('en-US')} characters, over the ${MAX_LINK_CHARS.toLocaleString('en-US')} that links can safely carry. Export a patch file instead (select the facts, "Export as patch").`,
    };
  }
  return { ok: true, url };
}

export type SharedFacts = { ok: true; facts: Fact[] } | { ok: false; message: string };

/** The facts a share fragment carries, each checked like a typed fact; null when the fragment is not a share. */
export async function readShareFragment(hash: string): Promise<SharedFacts | null> {
  if (!hash.startsWith(SHARE_PREFIX)) return null;
  try {
    if (hash.length > MAX_LINK_CHARS) throw new Error('too long');
    const bytes = await pipe(fromBase64Url(hash.slice(SHARE_PREFIX.length)), new DecompressionStream('deflate-raw'));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Payload;
    if (payload.v !== 1 || !Array.isArray(payload.f)) throw new Error('not a share');
    const facts: Fact[] = [];
    for (const entry of payload.f) {
      const checked = validateFact({ subject: String(entry?.[0] ?? ''), relation: String(entry?.[1] ?? ''), object: String(entry?.[2] ?? '') });
      if (!checked.ok) return { ok: false, message: `The shared link holds a fact that cannot be taught: ${checked.message}` };
      facts.push(checked.fact);
    }
    return { ok: true, facts };
  } catch {
    return { ok: false, message: 'This share link is damaged or incomplete (it may have been cut off when copied); nothing was taught.' };
  }
}
