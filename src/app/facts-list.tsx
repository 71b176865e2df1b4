/**
 * Every taught fact with its current recall, exact undo of any one, export of the selected ones as a patch
 * file, import of such a file, and reset to the pretrained model.
 */
import { memo, useCallback, useRef, useState } from 'react';
import type { Fact } from '../facts/fact';
import { RELATION_INFO } from '../facts/relations';
import { recallQuestion } from './ask-suggestions';
import type { TaughtFactSummary } from '../worker/protocol';
import type { Engine } from './use-engine';

const SHOWN_AT_FIRST = 100;
/** An undo that teaches this many later facts again asks first. */
const CONFIRM_UNDO_FROM = 20;

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

const askNowhere = () => undefined;

/** `onAsk`: "Ask" on a fact's row puts questions about it in the Ask panel. */
export function FactsList({ engine, onAsk = askNowhere }: { engine: Engine; onAsk?: (fact: Fact) => void }) {
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const { facts } = engine;
  const live = new Set(facts.map((f) => f.id));
  const chosen = [...selected].filter((id) => live.has(id));
  const [showAll, setShowAll] = useState(false);
  const toggle = useCallback(
    (id: number) =>
      setSelected((prev) => {
        const next = new Set(prev);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );
  const { send } = engine;
  // Read at click time, so the callback (and with it every memoised row) stays the same across list updates.
  const factsNow = useRef(facts);
  factsNow.current = facts;
  const undo = useCallback(
    (factId: number) => {
      // Undo teaches every later fact again: say what that costs before a long one starts.
      const all = factsNow.current;
      const later = all.slice(all.findIndex((f) => f.id === factId) + 1);
      if (later.length >= CONFIRM_UNDO_FROM) {
        const seconds = later.reduce((sum, f) => sum + f.ms, 0) / 1000;
        if (!confirm(`Undoing fact #${factId} teaches the ${later.length} facts taught after it again (about ${formatDuration(seconds)}), so the result is as if it had never been taught. Go on?`)) return;
      }
      send({ type: 'undo', factId });
    },
    [send],
  );
  // Newest first; a long stream shows its latest facts until asked for all (a table of 1,000 rows costs layout
  // on every update).
  const newestFirst = [...facts].reverse();
  const shown = showAll ? newestFirst : newestFirst.slice(0, SHOWN_AT_FIRST);
  const allChosen = facts.length > 0 && chosen.length === facts.length;
  return (
    <section className="panel facts" data-testid="facts-list">
      <h2>
        Taught facts <span className="muted">({facts.length})</span>
      </h2>
      <div className="row buttons">
        <button type="button" disabled={chosen.length === 0} onClick={() => engine.exportFacts(chosen)} data-testid="export-button">
          Export {chosen.length > 0 ? chosen.length : ''} as patch
        </button>
        <label className="file-button">
          Import patch…
          <input
            type="file"
            accept=".engram,.engram-patch,application/octet-stream"
            data-testid="import-input"
            disabled={!engine.ready}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) engine.importFile(file);
              e.target.value = '';
            }}
          />
        </label>
        <button
          type="button"
          disabled={facts.length === 0}
          onClick={() => {
            if (confirm('Forget every taught fact and go back to the pretrained model?')) engine.send({ type: 'reset' });
          }}
          data-testid="reset-button"
        >
          Reset to base
        </button>
      </div>
      {engine.importMessage && (
        <p className={engine.importMessage.ok ? 'muted' : 'problem'} role={engine.importMessage.ok ? undefined : 'alert'} data-testid="import-message">
          {engine.importMessage.text}
        </p>
      )}
      {facts.length === 0 ? (
        <p className="muted">Nothing taught yet. Teach a fact above, or stream a pack.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>
                <input type="checkbox" aria-label="Select all" checked={allChosen} onChange={() => setSelected(allChosen ? new Set() : new Set(facts.map((f) => f.id)))} data-testid="select-all" />
              </th>
              <th>#</th>
              <th>Fact</th>
              <th>Recall</th>
              <th>Rows</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => (
              <FactRow key={f.id} fact={f} selected={selected.has(f.id)} onToggle={toggle} onUndo={undo} onAsk={onAsk} />
            ))}
          </tbody>
        </table>
      )}
      {facts.length > SHOWN_AT_FIRST && (
        <button type="button" className="link" onClick={() => setShowAll(!showAll)} data-testid="show-all-facts">
          {showAll ? `Show the latest ${SHOWN_AT_FIRST} only` : `Show all ${facts.length.toLocaleString('en-US')} facts`}
        </button>
      )}
    </section>
  );
}

/**
 * One fact's row. Every list update from the worker carries new objects, so rows are compared by what they
 * show: after each taught fact only the new row (and any whose recall changed) renders again.
 */
const FactRow = memo(
  function FactRow({
    fact: f,
    selected,
    onToggle,
    onUndo,
    onAsk,
  }: {
    fact: TaughtFactSummary;
    selected: boolean;
    onToggle(id: number): void;
    onUndo(id: number): void;
    onAsk(fact: Fact): void;
  }) {
    return (
      <tr data-testid="fact-row" data-fact-id={f.id}>
        <td>
          <input type="checkbox" aria-label={`Select fact ${f.id}`} checked={selected} onChange={() => onToggle(f.id)} />
        </td>
        <td className="muted">{f.id}</td>
        <td>
          <span data-testid="fact-text">
            {f.fact.subject} <span className="muted">· {RELATION_INFO[f.fact.relation].label} ·</span> {f.fact.object}
          </span>
          {f.origin !== 'typed' && <span className="origin"> {f.origin}</span>}
          {/* The verdict's evidence: the question recall asks (never shown elsewhere) and what the model answered. */}
          <div className="recall-detail" data-testid="recall-detail">
            recall asks <q data-testid="recall-question">{recallQuestion(f.fact)}</q>
            {f.answer !== undefined && (
              <>
                {' '}
                · answered <q data-testid="recall-answer">{f.answer || '(nothing)'}</q>
              </>
            )}
          </div>
        </td>
        <td data-testid="fact-recall" title={f.logprob !== undefined ? `log p(object) = ${f.logprob.toFixed(2)}` : undefined}>
          {f.recalled === undefined ? <span className="muted">not yet measured</span> : f.recalled ? <span className="ok">recalled</span> : <span className="bad">missed</span>}
        </td>
        <td className="muted">{f.rows}</td>
        <td className="row-actions">
          <button type="button" onClick={() => onAsk(f.fact)} data-testid="ask-about-button" title="Questions about this fact in Ask, recall's own first">
            Ask
          </button>{' '}
          <button type="button" onClick={() => onUndo(f.id)} data-testid="undo-button">
            Undo
          </button>
        </td>
      </tr>
    );
  },
  (a, b) =>
    a.selected === b.selected &&
    a.onToggle === b.onToggle &&
    a.onUndo === b.onUndo &&
    a.onAsk === b.onAsk &&
    a.fact.answer === b.fact.answer &&
    a.fact.id === b.fact.id &&
    a.fact.recalled === b.fact.recalled &&
    a.fact.logprob === b.fact.logprob &&
    a.fact.rows === b.fact.rows &&
    a.fact.origin === b.fact.origin &&
    a.fact.fact.subject === b.fact.fact.subject &&
    a.fact.fact.relation === b.fact.fact.relation &&
    a.fact.fact.object === b.fact.fact.object,
);
