/** Ask: the question answered greedily by the taught model and by the pretrained one, with per-token probabilities. */
import { questionPrompt } from '../facts/question';
import { greedyDecodeWithProbs } from '../model/answers';
import type { MainModel } from './main-model';
import type { DecodedAnswer, EngineEvent } from './protocol';

const MAX_ANSWER_TOKENS = 12;

export async function answer(main: MainModel, post: (event: EngineEvent) => void, id: number, question: string): Promise<void> {
  const formatted = questionPrompt(question);
  if (!formatted.ok) return post({ type: 'ask-refused', id, message: formatted.message });
  const prompt = main.tokenizer.encode(formatted.prompt);
  const context = main.model.cfg.context;
  if (prompt.length + MAX_ANSWER_TOKENS > context) {
    return post({ type: 'ask-refused', id, message: `That question is ${prompt.length} tokens long; the model reads at most ${context - MAX_ANSWER_TOKENS}.` });
  }
  const started = performance.now();
  const current = await decode(main, prompt);
  const base = await main.withBaseValues(() => decode(main, prompt));
  post({ type: 'answer', report: { id, question, ...current, base, ms: performance.now() - started } });
}

async function decode(main: MainModel, prompt: number[]): Promise<DecodedAnswer> {
  const { tokenizer } = main;
  const stop = [tokenizer.eosId, ...tokenizer.encode('\n')];
  const { ids, probs } = await greedyDecodeWithProbs(main.model, prompt, MAX_ANSWER_TOKENS, stop);
  const texts = tokenizer.tokenStrings(ids);
  return { answer: tokenizer.decode(ids).trim(), tokens: texts.map((text, i) => ({ text, prob: probs[i] })) };
}
