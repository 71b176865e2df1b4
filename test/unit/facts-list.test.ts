/**
 * The facts list after a long stream: the newest facts first, at most 100 rows until the person asks for all
 * (a table of 1,000 rows cost up to 340 ms of main-thread layout per taught fact in the browser soak), and a
 * button that says how many there are. Rendered to markup with react-dom/server, no browser needed.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FactsList } from '../../src/app/facts-list';
import { INITIAL_STATE } from '../../src/app/engine-state';
import type { Engine } from '../../src/app/use-engine';
import type { TaughtFactSummary } from '../../src/worker/protocol';

function engineWith(count: number): Engine {
  const facts: TaughtFactSummary[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    fact: { subject: `Subject${i + 1}`, relation: 'capital', object: `Object${i + 1}` },
    origin: 'invented',
    recalled: i % 2 === 0,
    rows: 500,
    ms: 450,
  }));
  const nothing = () => undefined;
  return { ...INITIAL_STATE, ready: true, facts, ask: nothing, teach: nothing, startStream: nothing, send: nothing, exportFacts: nothing, importFile: nothing, dismissNotice: nothing, inspectSlot: nothing };
}

const rowIds = (html: string) => [...html.matchAll(/data-testid="fact-row" data-fact-id="(\d+)"/g)].map((m) => Number(m[1]));

describe('FactsList', () => {
  it('shows every fact, newest first, while there are at most 100, with no show-all button', () => {
    const html = renderToStaticMarkup(createElement(FactsList, { engine: engineWith(100) }));
    const ids = rowIds(html);
    expect(ids).toHaveLength(100);
    expect(ids.slice(0, 3)).toEqual([100, 99, 98]);
    expect(html).not.toContain('data-testid="show-all-facts"');
  });

  it('after a long stream shows the latest 100 and offers all of them', () => {
    const html = renderToStaticMarkup(createElement(FactsList, { engine: engineWith(1001) }));
    const ids = rowIds(html);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => 1001 - i));
    expect(html).toMatch(/Taught facts <span class="muted">\(1001\)<\/span>/);
    expect(html).toMatch(/data-testid="show-all-facts">Show all 1,001 facts</);
  });
});
