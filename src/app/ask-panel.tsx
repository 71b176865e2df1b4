/** Ask the model a question: greedy decoding with the probability of every answer token, beside the base model's answer. */
import { useState, type FormEvent } from 'react';
import type { DecodedAnswer } from '../worker/protocol';
import type { Engine } from './use-engine';

export function AskPanel({ engine }: { engine: Engine }) {
  const [question, setQuestion] = useState('What is the capital of France?');
  const ready = Boolean(engine.model);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    engine.ask(question);
  };
  return (
    <section className="panel ask" data-testid="ask-panel">
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
        <p className="problem" role="alert" data-testid="ask-refusal">
          {engine.askRefusal}
        </p>
      )}
      {engine.answer && !engine.askRefusal && (
        <div className="answers" data-testid="answers" data-answer-id={engine.answer.id}>
          <Answer title="Now" answer={engine.answer} testId="answer-text" />
          <Answer title="Pretrained model" answer={engine.answer.base} testId="base-answer-text" />
          <p className="muted">{Math.round(engine.answer.ms)} ms for both</p>
        </div>
      )}
    </section>
  );
}

function Answer({ title, answer, testId }: { title: string; answer: DecodedAnswer; testId: string }) {
  return (
    <div className="answer">
      <p>
        <span className="muted">{title}:</span> <strong data-testid={testId}>{answer.answer || '(nothing)'}</strong>
      </p>
      <p className="tokens" aria-label="Answer tokens with their probabilities">
        {answer.tokens.map((token, i) => (
          <span key={i} className="token" title={`p = ${token.prob.toFixed(3)}`} style={{ opacity: 0.35 + 0.65 * token.prob }}>
            {token.text}
            <sub>{Math.round(token.prob * 100)}%</sub>
          </span>
        ))}
      </p>
    </div>
  );
}
