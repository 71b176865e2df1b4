/** Ask the model a question: greedy decoding, with the probability of every answer token. */
import { useState, type FormEvent } from 'react';
import type { Engine } from './use-engine';

export function AskPanel({ engine }: { engine: Engine }) {
  const [question, setQuestion] = useState('What is the capital of France?');
  const ready = Boolean(engine.model);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    engine.ask(question);
  };
  return (
    <section className="ask" data-testid="ask-panel">
      <h2>Ask</h2>
      <form onSubmit={submit}>
        <input
          aria-label="Question"
          data-testid="ask-input"
          value={question}
          maxLength={2000}
          onChange={(e) => setQuestion(e.target.value)}
          placeholder="What is the capital of France?"
        />
        <button type="submit" disabled={!ready || engine.asking} data-testid="ask-button">
          {engine.asking ? 'Thinking…' : 'Ask'}
        </button>
      </form>
      {engine.askRefusal && (
        <p className="ask-refusal" role="alert" data-testid="ask-refusal">
          {engine.askRefusal}
        </p>
      )}
      {engine.answer && !engine.askRefusal && (
        <div className="answer">
          <p>
            <span className="muted">Answer:</span> <strong data-testid="answer-text">{engine.answer.answer || '(nothing)'}</strong>{' '}
            <span className="muted">· {Math.round(engine.answer.ms)} ms</span>
          </p>
          <p className="tokens" aria-label="Answer tokens with their probabilities">
            {engine.answer.tokens.map((token, i) => (
              <span key={i} className="token" title={`p = ${token.prob.toFixed(3)}`} style={{ opacity: 0.35 + 0.65 * token.prob }}>
                {token.text}
                <sub>{Math.round(token.prob * 100)}%</sub>
              </span>
            ))}
          </p>
        </div>
      )}
    </section>
  );
}
