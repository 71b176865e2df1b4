/**
 * Teaching the main model: one fact (typed or streamed), or a list of facts again (another tab's history taken
 * over, an earlier checkpoint's facts). Each fact is named in storage before its step and saved after it
 * (fact-persistence.ts); a fact already taught is not taught twice. Runs inside the engine's queued jobs.
 */
import type { Fact } from '../facts/fact';
import { NonFiniteStepError } from '../learn/learner';
import { writeRows, type RowsSnapshot } from '../learn/sparse-learner';
import { FactTooLongError } from '../learn/teaching-batch';
import { postFacts, type EngineParts } from './engine-parts';
import type { EarlierFact } from './fact-store';
import { backendMemory } from './gpu-memory';
import type { StepSummary, TaughtFactSummary } from './protocol';
import { describeFact, type TaughtFact } from './taught-facts';

/** A fact to teach again: a learning step, or, for an imported fact, its rows written again. */
export interface FactToTeachAgain {
  readonly fact: Fact;
  readonly origin: TaughtFact['origin'];
  readonly after?: RowsSnapshot;
  readonly step?: StepSummary;
}

/**
 * Teaches one fact. A fact already taught (same subject, relation and object) is not taught again: a typed one
 * is refused with "already taught", a pack's is skipped. Checked inside the queued job, so quick repeats queued
 * behind the first are caught too. A fact taught by hand is measured at once (its own recall and a chart point);
 * streamed facts every `evalEvery` facts.
 */
export async function teachFact(parts: EngineParts, fact: Fact, origin: TaughtFactSummary['origin']): Promise<void> {
  const { post, main, taught, saver, metrics } = parts;
  const existing = taught.findSame(fact);
  if (existing) {
    if (origin === 'typed') post({ type: 'teach-refused', message: `"${describeFact(fact)}" is already taught (fact #${existing.id}); it was not taught again.` });
    return;
  }
  try {
    await saver.begin(fact, origin);
    const outcome = await main.step(fact, taught.earlierFor(fact), taught.writtenBefore());
    const entry = taught.add({ fact, origin, after: outcome.after, step: outcome.step });
    post({ type: 'taught', fact: taught.summary(entry), step: outcome.step, slots: { factId: entry.id, ...outcome.slots }, memory: await backendMemory(main.model) });
    postFacts(parts);
    await saver.saveNew(main.modelSha, [entry]);
    metrics.stepTaken(outcome.step.ms);
    if (origin === 'typed') {
      // Its own verdict first (one question, a fraction of a second), then the full evaluation for the chart.
      await metrics.measureRecall(entry);
      await metrics.evaluate();
    } else if (metrics.due) await metrics.evaluate();
  } catch (error) {
    if (error instanceof FactTooLongError || error instanceof NonFiniteStepError) post({ type: 'teach-refused', message: error.message });
    else throw error;
  }
}

/**
 * Teaches facts again, one learning step each (an imported fact's rows are written again instead), saving each
 * as it goes, with progress. `remaining(n)`: called before each save with the number still to teach after it,
 * returning the earlier-checkpoint list to save with it. Returns how many were taught (already-taught ones are skipped).
 */
export async function teachAgain(parts: EngineParts, items: readonly FactToTeachAgain[], what: string, remaining?: (left: number) => EarlierFact[]): Promise<number> {
  const { post, main, taught, saver } = parts;
  let count = 0;
  for (const [i, item] of items.entries()) {
    post({ type: 'busy', busy: true, what: `${what}: ${i + 1} of ${items.length}` });
    const left = remaining?.(items.length - i - 1);
    if (taught.findSame(item.fact)) {
      if (left) await saver.saveEarlier(main.modelSha, left);
      continue;
    }
    try {
      let entry: TaughtFact;
      if (item.origin === 'import' && item.after && item.step) {
        writeRows(main.model, item.after.slots, item.after.rows);
        entry = taught.add({ fact: item.fact, origin: 'import', after: item.after, step: item.step });
      } else {
        await saver.begin(item.fact, item.origin);
        const outcome = await main.step(item.fact, taught.earlierFor(item.fact), taught.writtenBefore());
        entry = taught.add({ fact: item.fact, origin: item.origin, after: outcome.after, step: outcome.step });
        post({ type: 'taught', fact: taught.summary(entry), step: outcome.step, slots: { factId: entry.id, ...outcome.slots }, memory: await backendMemory(main.model) });
      }
      postFacts(parts);
      await saver.saveNew(main.modelSha, [entry], left);
      count++;
    } catch (error) {
      if (error instanceof FactTooLongError || error instanceof NonFiniteStepError) post({ type: 'teach-refused', message: `"${describeFact(item.fact)}": ${error.message}` });
      else throw error;
    }
  }
  return count;
}
