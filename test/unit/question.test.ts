import { describe, expect, it } from 'vitest';
import { MAX_QUESTION_CHARS, questionPrompt } from '../../src/facts/question';

describe('questionPrompt', () => {
  it('wraps a question in the trained Q/A form', () => {
    expect(questionPrompt('What is the capital of France?')).toEqual({ ok: true, prompt: 'Q: What is the capital of France?\nA:' });
    expect(questionPrompt('  q: what is the capital of France ')).toEqual({ ok: true, prompt: 'Q: what is the capital of France?\nA:' });
  });

  it('refuses empty, whitespace-only and oversized questions with a clear message', () => {
    for (const text of ['', '   ', '\n\t', '\u200b\u0007']) {
      const result = questionPrompt(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toMatch(/Type a question/);
    }
    const long = questionPrompt('x'.repeat(MAX_QUESTION_CHARS + 1));
    expect(!long.ok && long.message).toMatch(/keep it under 300/);
  });

  it('removes control characters instead of passing them to the model', () => {
    expect(questionPrompt('What is\u0000 the capital\u0007 of Peru?')).toEqual({ ok: true, prompt: 'Q: What is the capital of Peru?\nA:' });
  });
});
