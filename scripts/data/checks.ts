/**
 * Invariants of the built data, asserted by the build itself (so `npm run data` cannot write leaky data) and
 * again by the unit tests:
 *  - no held-out or invented entity is named anywhere in the pretraining text (general text and facts);
 *  - no eval-only template, filled with any subject and object, occurs in the pretraining text;
 *  - the knowledge base has one object per (subject, relation), and no pack fact is a knowledge-base fact.
 */
import { factKey, type Fact, type PackFact } from '../../src/facts/fact';
import { RELATIONS } from '../../src/facts/relations';
import { evalTemplates, templatePattern } from '../../src/facts/templates';
import { NameMatcher } from './name-matcher';
import { splitSentences } from './text';

export interface PretrainingText {
  /** general-text documents after the leakage filter */
  readonly docs: readonly { readonly id: string; readonly text: string }[];
  /** fact renderings with the training templates */
  readonly renderings: readonly { readonly text: string }[];
}

export function* pretrainingUnits(text: PretrainingText): Generator<{ where: string; text: string }> {
  for (const d of text.docs) for (const line of d.text.split('\n')) yield { where: d.id, text: line };
  for (const r of text.renderings) yield { where: 'kb-rendering', text: r.text };
}

/** Names of held-out and invented entities that occur in the pretraining text (should be none). */
export function findLeaks(text: PretrainingText, names: Iterable<string>): { name: string; where: string }[] {
  const matcher = new NameMatcher(names);
  const leaks: { name: string; where: string }[] = [];
  for (const unit of pretrainingUnits(text)) {
    for (const name of matcher.find(unit.text)) leaks.push({ name, where: unit.where });
  }
  return leaks;
}

/**
 * Pretraining sentences that an eval-only template matches, whatever the subject and object. A line is only
 * examined when it contains the template's longest literal piece (fast), then sentence by sentence with the
 * anchored template pattern. Questions span two lines ("Q: ...?\nA: ..."), so a line is joined with the next.
 */
export function findEvalTemplateUses(text: PretrainingText): { template: string; text: string }[] {
  const templates = RELATIONS.flatMap((r) => evalTemplates(r)).map((t) => ({
    id: t.id,
    re: templatePattern(t),
    piece: longestLiteral(t.text),
    question: t.kind === 'question',
  }));
  const hits: { template: string; text: string }[] = [];
  const checkLines = (lines: readonly string[]) => {
    lines.forEach((line, i) => {
      for (const t of templates) {
        if (!line.includes(t.question ? t.piece.split('\n')[0] : t.piece)) continue;
        const units = t.question ? [i + 1 < lines.length ? `${line}\n${lines[i + 1]}` : line] : splitSentences(line);
        for (const unit of units) {
          const candidate = t.question ? unit.slice(unit.lastIndexOf('Q: ')) : unit;
          if (t.re.test(candidate)) hits.push({ template: t.id, text: candidate });
        }
      }
    });
  };
  for (const d of text.docs) checkLines(d.text.split('\n'));
  for (const r of text.renderings) checkLines(r.text.split('\n'));
  return hits;
}

function longestLiteral(templateText: string): string {
  return templateText
    .split(/\{[SOa]\}/)
    .reduce((best, piece) => (piece.length > best.length ? piece : best), '');
}

export function duplicateKeys(facts: readonly Fact[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const f of facts) {
    const key = factKey(f);
    if (seen.has(key)) dups.push(key.replace('\u0000', ' '));
    seen.add(key);
  }
  return dups;
}

/** Pack facts whose (subject, relation, object) is already pretrained. */
export function packFactsInKb(kb: readonly Fact[], packs: readonly PackFact[]): PackFact[] {
  const known = new Set(kb.map((f) => `${factKey(f)}\u0000${f.object}`));
  return packs.filter((p) => known.has(`${factKey(p)}\u0000${p.object}`));
}
