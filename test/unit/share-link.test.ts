/** Share links: facts round-trip through the fragment; too many facts give a message; a damaged link is refused. */
import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts/fact';
import { MAX_LINK_CHARS, readShareFragment, shareLink } from '../../src/app/share-link';

const facts: Fact[] = [
  { subject: 'Veloria', relation: 'capital', object: 'Tamsin' },
  { subject: 'Quenbria', relation: 'capital', object: 'Dovrel' },
];

describe('share links', () => {
  it('round-trips the facts', async () => {
    const made = await shareLink(facts, 'http://host/?t=400#old');
    expect(made.ok).toBe(true);
    if (!made.ok) return;
    expect(made.url.startsWith('http://host/?t=400#share=')).toBe(true);
    expect(await readShareFragment(made.url.slice(made.url.indexOf('#')))).toEqual({ ok: true, facts });
  });

  it('refuses a link over the cap with a message, and a damaged one', async () => {
    const many: Fact[] = Array.from({ length: 2000 }, (_, i) => ({ subject: `Place${i}x${(i * 7919).toString(36)}`, relation: 'capital', object: `Town${(i * 104729).toString(36)}` }));
    const made = await shareLink(many, 'http://host/');
    expect(made.ok).toBe(false);
    if (!made.ok) expect(made.message).toMatch(new RegExp(`over the ${MAX_LINK_CHARS.toLocaleString('en-US')}.*Export a patch`));
    expect((await readShareFragment('#share=AAAA'))?.ok).toBe(false);
    expect(await readShareFragment('#other')).toBeNull();
  });
});
