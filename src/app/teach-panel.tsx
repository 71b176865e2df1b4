/**
 * Teach one fact: a sentence, shown as it was understood (subject, relation, object) before it is taught, or
 * the three fields of a form. Messages are rendered as text, never as HTML.
 */
import { useMemo, useState, type FormEvent } from 'react';
import type { Fact } from '../facts/fact';
import { parseFact, validateFact } from '../facts/parse-fact';
import { RELATION_INFO, RELATIONS } from '../facts/relations';
import { nameWarning } from '../facts/unseen-characters';
import type { Engine } from './use-engine';

export function TeachPanel({ engine }: { engine: Engine }) {
  const [mode, setMode] = useState<'sentence' | 'form'>('sentence');
  const [sentence, setSentence] = useState('The capital of Veloria is Tamsin.');
  const [form, setForm] = useState<{ subject: string; relation: string; object: string }>({ subject: '', relation: 'capital', object: '' });
  const parsed = useMemo(() => (mode === 'sentence' ? parseFact(sentence) : validateFact(form)), [mode, sentence, form]);
  const ready = engine.ready || engine.teachable; // the first evaluation may still run: a fact waits at most one part of it
  // One fact at a time: a second click while the first is taught would teach it again.
  const canTeach = ready && parsed.ok && !engine.teaching;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canTeach && parsed.ok) engine.teach(parsed.fact);
  };
  return (
    <section className="panel teach" data-testid="teach-panel">
      <h2>Teach a fact</h2>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === 'sentence'} onClick={() => setMode('sentence')} data-testid="mode-sentence">
          Sentence
        </button>
        <button type="button" role="tab" aria-selected={mode === 'form'} onClick={() => setMode('form')} data-testid="mode-form">
          Form
        </button>
      </div>
      <form onSubmit={submit}>
        {mode === 'sentence' ? (
          <input
            aria-label="Fact"
            data-testid="fact-input"
            value={sentence}
            maxLength={4000}
            onChange={(e) => setSentence(e.target.value)}
            placeholder="The capital of Veloria is Tamsin."
          />
        ) : (
          <div className="fact-form">
            <input aria-label="Subject" data-testid="form-subject" placeholder="Veloria" value={form.subject} onChange={(e) => setForm({ ...form, subject: e.target.value })} />
            <select aria-label="Relation" data-testid="form-relation" value={form.relation} onChange={(e) => setForm({ ...form, relation: e.target.value })}>
              {RELATIONS.map((r) => (
                <option key={r} value={r}>
                  {RELATION_INFO[r].label}
                </option>
              ))}
            </select>
            <input aria-label="Object" data-testid="form-object" placeholder="Tamsin" value={form.object} onChange={(e) => setForm({ ...form, object: e.target.value })} />
          </div>
        )}
        <button type="submit" disabled={!canTeach} data-testid="teach-button">
          {engine.teaching ? 'Teaching…' : 'Teach'}
        </button>
      </form>
      {/* Both tabs say why Teach is disabled: the same checks (parse-fact.ts), the same messages. */}
      {parsed.ok ? (
        <Understood fact={parsed.fact} />
      ) : (
        <p className="problem" data-testid="fact-problem">
          {parsed.message}
        </p>
      )}
      {engine.teachRefusal && (
        <p className="problem" role="alert" data-testid="teach-refusal">
          {engine.teachRefusal}
        </p>
      )}
      {engine.lastStep && (
        <p className="muted" data-testid="last-step">
          Learned "{engine.lastStep.fact.fact.subject}" in <span data-testid="step-ms">{Math.round(engine.lastStep.step.ms)}</span> ms: {engine.lastStep.slots.selected.length}{' '}
          memory rows written of {engine.model?.memorySlots.toLocaleString('en-US') ?? '?'}, loss before {engine.lastStep.step.loss.toFixed(2)} nats/token.
          {' '}In use on the {engine.backend?.name ?? ''} backend:{' '}
          <span data-testid="memory-in-use">
            {engine.lastStep.memory.tensors.toLocaleString('en-US')} tensors, {(engine.lastStep.memory.bytes / 2 ** 20).toFixed(1)} MiB
          </span>
          .
        </p>
      )}
    </section>
  );
}

function Understood({ fact }: { fact: Fact }) {
  // Characters the model never saw in training (unseen-characters.ts): say so before anything is taught.
  const warning = nameWarning(fact);
  return (
    <>
      <p className="understood" data-testid="understood">
        <span className="muted">Understood as</span> <span className="chip" data-testid="understood-subject">{fact.subject}</span>
        <span className="chip relation" data-testid="understood-relation">
          {RELATION_INFO[fact.relation].label}
        </span>
        <span className="chip" data-testid="understood-object">
          {fact.object}
        </span>
      </p>
      {warning && (
        <p className={`name-warning ${warning.level}`} role="note" data-testid="name-warning" data-level={warning.level}>
          {warning.message}
        </p>
      )}
    </>
  );
}
