/**
 * One evaluation of a model copy, the same in the browser worker (live charts) and in `npm run experiment`:
 * recall of the facts taught so far, retention on the probe, held-out NLL, multiple-choice accuracy of the
 * taught facts. Sizes are the caller's: the app uses small subsets so a round stays quick on a software GPU.
 */
import type { Fact } from '../facts/fact';
import type { EngramTokenizer } from '../model/tokenizer';
import type { EngramModel } from '../model/transformer';
import { scoreFacts, summarize, type FactScore, type ScoreSummary } from './fact-recall';
import { heldoutNll, type HeldoutWindows, type NllReport } from './heldout-nll';
import { multipleChoiceAccuracy } from './multiple-choice';

export interface EvalSuite {
  readonly tokenizer: EngramTokenizer;
  /** Retention probe facts (or a subset). */
  readonly probe: readonly Fact[];
  /** Held-out text windows per domain; empty to skip NLL. */
  readonly heldout: readonly HeldoutWindows[];
  /** Facts to draw multiple-choice distractors from (same relation); empty to skip multiple choice. */
  readonly distractorPool: readonly Fact[];
}

export interface EvalSnapshot {
  readonly recall: ScoreSummary;
  readonly recallScores: readonly FactScore[];
  readonly retention: ScoreSummary;
  readonly nll: NllReport | null;
  readonly multipleChoice: number | null;
  readonly ms: number;
}

export async function evaluate(model: EngramModel, suite: EvalSuite, taught: readonly Fact[]): Promise<EvalSnapshot> {
  const started = performance.now();
  const recallScores = await scoreFacts(model, suite.tokenizer, taught);
  const retention = summarize(await scoreFacts(model, suite.tokenizer, retainedProbe(suite.probe, taught)));
  const nll = suite.heldout.length > 0 ? await heldoutNll(model, suite.heldout) : null;
  const multipleChoice = suite.distractorPool.length > 0 && taught.length > 0 ? await multipleChoiceAccuracy(model, suite.tokenizer, taught, suite.distractorPool) : null;
  return { recall: summarize(recallScores), recallScores, retention, nll, multipleChoice, ms: performance.now() - started };
}

/**
 * The probe facts that should still hold after `taught`: all but those whose subject and relation a taught fact
 * sets (a counterfactual edit of a probe fact changes its answer on purpose; that is learning, not forgetting).
 * Other facts about an edited subject stay in, so damage around an edit still counts.
 */
export function retainedProbe<T extends Fact>(probe: readonly T[], taught: readonly Fact[]): T[] {
  const edited = new Set(taught.map((f) => `${f.subject}\t${f.relation}`));
  return probe.filter((p) => !edited.has(`${p.subject}\t${p.relation}`));
}
