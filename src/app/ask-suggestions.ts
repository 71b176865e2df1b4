/**
 * Questions to ask about a taught fact, for one-click use in the Ask panel: first the question recall is
 * measured with (the relation's eval-only question, never used in teaching), then the question taught with the
 * fact, then plain wordings built from the relation's label. So what "recalled" or "missed" means in the facts
 * list can be checked in Ask with the same words, and against other words.
 */
import type { Fact } from '../facts/fact';
import { RELATION_INFO } from '../facts/relations';
import { evalTemplates, scoringParts, trainTemplates } from '../facts/templates';

export interface AskSuggestion {
  /** The question as a person would type it into Ask. */
  readonly question: string;
  /** What this wording is: "recall's question", ... */
  readonly note: string;
  /** True for the question the facts list's recall verdict uses. */
  readonly recall: boolean;
}

/** The eval-only question as typed: "Which city is the capital of Veloria?" (no "Q: ", no answer). */
export function recallQuestion(fact: Fact): string {
  const template = evalTemplates(fact.relation).find((t) => t.kind === 'question');
  return template ? asTyped(scoringParts(template, fact).prompt) : '';
}

export function askSuggestions(fact: Fact): AskSuggestion[] {
  const taught = trainTemplates(fact.relation).find((t) => t.kind === 'question');
  const label = RELATION_INFO[fact.relation].label.replace(/\s*\(.*\)$/, '');
  const candidates: AskSuggestion[] = [
    { question: recallQuestion(fact), note: "recall's question (never used in teaching)", recall: true },
    ...(taught ? [{ question: asTyped(scoringParts(taught, fact).prompt), note: 'the question taught with the fact', recall: false }] : []),
    { question: `What is the ${label} of ${fact.subject}?`, note: 'other words', recall: false },
    { question: `What is ${fact.subject}'s ${label}?`, note: 'other words', recall: false },
  ];
  const seen = new Set<string>();
  return candidates.filter((s) => s.question && !seen.has(s.question) && seen.add(s.question));
}

/** "Q: Which city is the capital of Veloria?\nA:" -> "Which city is the capital of Veloria?" */
function asTyped(prompt: string): string {
  return prompt
    .replace(/^Q:\s*/, '')
    .replace(/\s*A:\s*$/, '')
    .trim();
}
