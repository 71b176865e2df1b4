import { describe, expect, it } from 'vitest';
import { extraQuestionTemplates, pretrainQuestionTemplates } from '../../src/facts/extra-questions';
import { personWordings } from '../../src/facts/person-wordings';
import { RELATIONS } from '../../src/facts/relations';
import { TEMPLATES, renderTemplate } from '../../src/facts/templates';
import { teachingTemplates } from '../../src/learn/teaching-batch';

describe('pretraining questions', () => {
  it('are the extra questions plus five more per relation (eight for birth year, atomic number and occupation), each new and none held out for measuring', () => {
    for (const relation of RELATIONS) {
      const questions = pretrainQuestionTemplates(relation);
      expect(questions.slice(0, 3).map((t) => t.text)).toEqual(extraQuestionTemplates(relation).map((t) => t.text));
      expect(questions).toHaveLength(['birth_year', 'atomic_number', 'occupation'].includes(relation) ? 11 : 8);
      const heldOut = new Set([...TEMPLATES[relation].filter((t) => t.evalOnly), ...personWordings(relation)].map((t) => t.text));
      const core = new Set(TEMPLATES[relation].filter((t) => !t.evalOnly).map((t) => t.text));
      const texts = questions.map((t) => t.text);
      expect(new Set(texts).size).toBe(texts.length);
      for (const t of questions) {
        expect(heldOut.has(t.text), `${t.id} is held out for measuring`).toBe(false);
        expect(core.has(t.text), `${t.id} repeats a core template`).toBe(false);
        expect(t.evalOnly).toBe(false);
        expect(renderTemplate(t, { subject: 'Veloria', relation, object: 'Tamsin' }).endsWith('\nA: Tamsin')).toBe(true);
      }
    }
  });

  it('come after the core wordings and the three extras in the teaching order, so an 8-row batch has none of the five', () => {
    for (const relation of RELATIONS) {
      const order = teachingTemplates(relation, 'all').map((t) => t.text);
      const firstEight = new Set(order.slice(0, 8));
      const core = TEMPLATES[relation].filter((t) => !t.evalOnly).map((t) => t.text);
      const extras = extraQuestionTemplates(relation).map((t) => t.text);
      expect(new Set([...core, ...extras])).toEqual(firstEight);
      expect(order.slice(8)).toEqual(pretrainQuestionTemplates(relation).slice(3).map((t) => t.text));
    }
  });
});
