/** What the engine's jobs share: the page's model, its taught facts, their store and the evaluation schedule. */
import type { EvaluationScheduler } from './evaluation-scheduler';
import type { FactPersistence } from './fact-persistence';
import type { MainModel } from './main-model';
import type { EngineEvent } from './protocol';
import type { TaughtFacts } from './taught-facts';

export interface EngineParts {
  readonly post: (event: EngineEvent) => void;
  readonly main: MainModel;
  readonly taught: TaughtFacts;
  readonly saver: FactPersistence;
  readonly metrics: EvaluationScheduler;
}

/** The facts list and the slots changed so far, to the page (after any change to the taught facts). */
export function postFacts(parts: Pick<EngineParts, 'post' | 'taught'>): void {
  parts.post(parts.taught.factsEvent());
}
