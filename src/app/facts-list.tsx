/**
 * Every taught fact with its current recall, exact undo of any one, export of the selected ones as a patch
 * file, import of such a file, and reset to the pretrained model.
 */
import { useState } from 'react';
import { RELATION_INFO } from '../facts/relations';
import type { Engine } from './use-engine';

export function FactsList({ engine }: { engine: Engine }) {
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const { facts } = engine;
  const live = new Set(facts.map((f) => f.id));
  const chosen = [...selected].filter((id) => live.has(id));
  const toggle = (id: number) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
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
            {[...facts].reverse().map((f) => (
              <tr key={f.id} data-testid="fact-row" data-fact-id={f.id}>
                <td>
                  <input type="checkbox" aria-label={`Select fact ${f.id}`} checked={selected.has(f.id)} onChange={() => toggle(f.id)} />
                </td>
                <td className="muted">{f.id}</td>
                <td>
                  <span data-testid="fact-text">
                    {f.fact.subject} <span className="muted">· {RELATION_INFO[f.fact.relation].label} ·</span> {f.fact.object}
                  </span>
                  {f.origin !== 'typed' && <span className="origin"> {f.origin}</span>}
                </td>
                <td data-testid="fact-recall" title={f.logprob !== undefined ? `log p(object) = ${f.logprob.toFixed(2)}` : undefined}>
                  {f.recalled === undefined ? <span className="muted">not yet measured</span> : f.recalled ? <span className="ok">recalled</span> : <span className="bad">missed</span>}
                </td>
                <td className="muted">{f.rows}</td>
                <td>
                  <button type="button" onClick={() => engine.send({ type: 'undo', factId: f.id })} data-testid="undo-button">
                    Undo
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
