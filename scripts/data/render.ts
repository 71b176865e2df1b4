/** Renderings of knowledge-base facts with the training templates: what pretraining sees of each fact. */
import type { Fact } from '../../src/facts/fact';
import { renderTemplate, trainTemplates, type TemplateKind } from '../../src/facts/templates';

export interface Rendering {
  readonly subject: string;
  readonly relation: Fact['relation'];
  readonly object: string;
  readonly template: string;
  readonly kind: TemplateKind;
  readonly text: string;
}

export function trainRenderings(facts: readonly Fact[]): Rendering[] {
  return facts.flatMap((fact) =>
    trainTemplates(fact.relation).map((t) => ({
      subject: fact.subject,
      relation: fact.relation,
      object: fact.object,
      template: t.id,
      kind: t.kind,
      text: renderTemplate(t, fact),
    })),
  );
}
