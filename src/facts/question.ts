/**
 * Turns what a person types into the Ask box into the question form the model was trained on
 * ("Q: ...?\nA:"), or says plainly why it cannot.
 */
export const MAX_QUESTION_CHARS = 300;

export type QuestionPrompt = { ok: true; prompt: string } | { ok: false; message: string };

export function questionPrompt(text: string): QuestionPrompt {
  // Control characters (other than spaces) can only confuse the tokenizer's view of a question.
  const clean = text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  if (!clean) return { ok: false, message: 'Type a question first, e.g. "What is the capital of France?"' };
  if (clean.length > MAX_QUESTION_CHARS) {
    return { ok: false, message: `That question is ${clean.length} characters long; keep it under ${MAX_QUESTION_CHARS}.` };
  }
  const body = clean.replace(/^q:\s*/i, '');
  return { ok: true, prompt: `Q: ${body.endsWith('?') ? body : `${body}?`}\nA:` };
}
