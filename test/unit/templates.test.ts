import { describe, expect, it } from 'vitest';
import { RELATION_INFO, RELATIONS } from '../../src/facts/relations';
import {
  evalTemplates,
  indefiniteArticle,
  parseStatement,
  renderTemplate,
  scoringParts,
  templateById,
  templatePattern,
  TEMPLATES,
  trainTemplates,
} from '../../src/facts/templates';

describe('templates', () => {
  it.each(RELATIONS)('%s has >= 4 statements, >= 1 question, exactly one eval-only of each', (relation) => {
    const all = TEMPLATES[relation];
    expect(all.filter((t) => t.kind === 'statement').length).toBeGreaterThanOrEqual(4);
    expect(all.filter((t) => t.kind === 'question').length).toBeGreaterThanOrEqual(1);
    expect(all.filter((t) => t.kind === 'statement' && t.evalOnly)).toHaveLength(1);
    expect(all.filter((t) => t.kind === 'question' && t.evalOnly)).toHaveLength(1);
    // something left to train on in both forms
    expect(trainTemplates(relation).some((t) => t.kind === 'statement')).toBe(true);
    expect(trainTemplates(relation).some((t) => t.kind === 'question')).toBe(true);
  });

  it('puts the subject once and the object last in every template', () => {
    for (const relation of RELATIONS) {
      for (const t of TEMPLATES[relation]) {
        expect(t.relation).toBe(relation);
        expect(t.text.split('{S}')).toHaveLength(2);
        expect(t.text.split('{O}')).toHaveLength(2);
        if (t.kind === 'statement') expect(t.text.endsWith(' {O}.'), t.id).toBe(true);
        else expect(t.text.startsWith('Q: ') && t.text.endsWith('?\nA: {O}'), t.id).toBe(true);
        if (t.evalOnly) expect(t.text.includes('{a}'), `${t.id} would hint at the object`).toBe(false);
      }
    }
  });

  it('has unique ids that resolve back to their template', () => {
    const ids = RELATIONS.flatMap((r) => TEMPLATES[r].map((t) => t.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(templateById(id).id).toBe(id);
    expect(() => templateById('capital/s9')).toThrow(/unknown template/);
  });

  it('renders every relation, and prompt + answer + suffix is the rendering', () => {
    for (const relation of RELATIONS) {
      const fact = RELATION_INFO[relation].example;
      for (const t of TEMPLATES[relation]) {
        const text = renderTemplate(t, fact);
        const { prompt, answer, suffix } = scoringParts(t, fact);
        expect(prompt + answer + suffix).toBe(text);
        expect(answer).toBe(` ${fact.object}`);
        expect(text).toContain(fact.subject);
        expect(text).not.toMatch(/\{[SOa]\}/);
        expect(templatePattern(t).test(text), t.id).toBe(true);
      }
    }
    expect(renderTemplate(templateById('capital/q1'), RELATION_INFO.capital.example)).toBe(
      'Q: What is the capital of France?\nA: Paris',
    );
  });

  it('refuses to render a fact of another relation', () => {
    expect(() => renderTemplate(templateById('capital/s1'), RELATION_INFO.continent.example)).toThrow(/relation/);
  });

  it('keeps eval-only templates distinct from every training template', () => {
    for (const relation of RELATIONS) {
      const fact = RELATION_INFO[relation].example;
      for (const train of trainTemplates(relation)) {
        const text = renderTemplate(train, fact);
        for (const ev of evalTemplates(relation)) expect(templatePattern(ev).test(text), `${ev.id} matches ${train.id}`).toBe(false);
      }
    }
  });

  it('parses training statements and questions back into facts', () => {
    for (const relation of RELATIONS) {
      const fact = RELATION_INFO[relation].example;
      for (const t of TEMPLATES[relation]) {
        expect(parseStatement(renderTemplate(t, fact)), t.id).toEqual(fact);
      }
    }
    expect(parseStatement('The capital of Veloria is Tamsin.')).toEqual({ subject: 'Veloria', relation: 'capital', object: 'Tamsin' });
    expect(parseStatement('Zorvath is a city in Peru.')).toEqual({ subject: 'Zorvath', relation: 'city_country', object: 'Peru' });
    expect(parseStatement('Nothing to see here')).toBeNull();
  });

  it('chooses a or an', () => {
    expect(indefiniteArticle('alkali metal')).toBe('an');
    expect(indefiniteArticle('noble gas')).toBe('a');
    expect(indefiniteArticle('university teacher')).toBe('a');
    expect(indefiniteArticle('honest broker')).toBe('an');
  });
});
