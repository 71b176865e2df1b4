/**
 * Share what you taught: a link carrying the taught facts' text and the settings (share-link.ts), and, when the
 * page was opened from such a link, what it would teach, taught with progress only after the person confirms.
 */
import { useEffect, useState } from 'react';
import type { Fact } from '../facts/fact';
import { RELATION_INFO } from '../facts/relations';
import { readShareFragment, shareLink, type SharedFacts } from './share-link';
import type { Engine } from './use-engine';

const same = (a: Fact, b: Fact) => a.subject === b.subject && a.relation === b.relation && a.object === b.object;

export function SharePanel({ engine }: { engine: Engine }) {
  const [link, setLink] = useState<{ ok: boolean; text: string } | undefined>();
  const [offer, setOffer] = useState<SharedFacts | null>(null);
  const [state, setState] = useState<'offered' | 'teaching' | 'done' | 'dismissed'>('offered');
  useEffect(() => {
    void readShareFragment(location.hash).then((found) => {
      setOffer(found);
      // The panel sits low on the page: bring what the link would teach into view.
      if (found) requestAnimationFrame(() => document.querySelector('[data-testid="share-offer"]')?.scrollIntoView({ block: 'center' }));
    });
  }, []);
  const taught = offer?.ok ? offer.facts.filter((f) => engine.facts.some((t) => same(t.fact, f))).length : 0;
  useEffect(() => {
    if (state === 'teaching' && offer?.ok && taught === offer.facts.length) {
      setState('done');
      history.replaceState(null, '', `${location.pathname}${location.search}`); // a reload must not offer it again
    }
  }, [state, offer, taught]);
  const canTeach = engine.ready || engine.teachable;
  const makeLink = async () => {
    const result = await shareLink(
      engine.facts.map((f) => f.fact),
      location.href,
    );
    setLink(result.ok ? { ok: true, text: result.url } : { ok: false, text: result.message });
  };
  return (
    <section className="panel share" data-testid="share-panel">
      <h2>Share what you taught</h2>
      {offer && state !== 'dismissed' && (
        <div className="share-offer" role="region" aria-label="Facts from a shared link" data-testid="share-offer">
          {offer.ok ? (
            <>
              <p>
                <strong>
                  This link teaches {offer.facts.length} fact{offer.facts.length === 1 ? '' : 's'}
                </strong>{' '}
                (with the settings in its address). Nothing is taught until you confirm.
              </p>
              <ul data-testid="share-facts">
                {offer.facts.map((f, i) => (
                  <li key={i}>
                    {f.subject} · {RELATION_INFO[f.relation].label} · {f.object}
                  </li>
                ))}
              </ul>
              {state === 'offered' && (
                <div className="row buttons">
                  <button
                    type="button"
                    disabled={!canTeach}
                    data-testid="share-confirm"
                    onClick={() => {
                      setState('teaching');
                      for (const fact of offer.facts) engine.teach(fact);
                    }}
                  >
                    {canTeach ? `Teach ${offer.facts.length === 1 ? 'it' : `these ${offer.facts.length}`}` : 'Loading the model…'}
                  </button>
                  <button type="button" className="secondary" onClick={() => setState('dismissed')} data-testid="share-dismiss">
                    Don't teach
                  </button>
                </div>
              )}
              {state !== 'offered' && (
                <div aria-live="polite" data-testid="share-progress">
                  {state === 'done' ? `Taught all ${offer.facts.length} facts from the link.` : `Teaching: ${taught} of ${offer.facts.length} taught…`}
                  <progress max={offer.facts.length} value={taught} aria-label="Facts from the link taught" />
                </div>
              )}
            </>
          ) : (
            <p className="problem" role="alert" data-testid="share-problem">
              {offer.message}
            </p>
          )}
        </div>
      )}
      <div className="row buttons">
        <button type="button" disabled={engine.facts.length === 0} onClick={() => void makeLink()} data-testid="share-button">
          Share link
        </button>
        <span className="muted">A link with the taught facts' text and the settings; whoever opens it is asked before anything is taught.</span>
      </div>
      {link &&
        (link.ok ? (
          <div className="share-link">
            <input readOnly value={link.text} aria-label="Share link" data-testid="share-link" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => void navigator.clipboard?.writeText(link.text).catch(() => undefined)} data-testid="share-copy">
              Copy
            </button>
          </div>
        ) : (
          <p className="problem" role="alert" data-testid="share-too-long">
            {link.text}
          </p>
        ))}
    </section>
  );
}
