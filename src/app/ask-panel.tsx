/**
 * Ask the model a question: greedy decoding with the probability of every answer token, beside the base model's
 * answer. After a fact is taught (or "Ask" on a fact's row), one-click questions about it: the one recall is
 * measured with, the one taught with it, and other wordings (ask-suggestions.ts).
 */
import { useState, type FormEvent } from 'react';
import type { Fact } from '../facts/fact';
import type { DecodedAnswer } from '../worker/protocol';
import { askSuggestions } from './ask-suggestions';
import type { Engine } from './use-engine';

export function AskPanel({ engine, about }: { engine: Engine; about?: Fact }) {
  const [question, setQuestion] = useState('What is the capital of France?');
  const ready = Boolean(engine.model);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    engine.ask(question);
  };
  const askNow = (text: string) => {
    setQuestion(text);
    engine.ask(text);
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
      {about && (
        <div className="suggestions" data-testid="ask-suggestions">
          <span className="muted">Ask about "{about.subject}":</span>
          {askSuggestions(about).map((s) => (
            <button
              key={s.question}
              type="button"
              className={s.recall ? 'suggestion recall' : 'suggestion'}
              title={s.note}
              disabled={!ready || engine.asking}
              onClick={() => askNow(s.question)}
              data-testid={s.recall ? 'ask-suggestion-recall' : 'ask-suggestion'}
            >
              {s.question}
              {s.recall && <span className="suggestion-note"> (recall's question)</span>}
            </button>
          ))}
        </div>
      )}
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
