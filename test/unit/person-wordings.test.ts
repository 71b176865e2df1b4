import { describe, expect, it } from 'vitest';
import { personWordings } from '../../src/facts/person-wordings';
import { extraQuestionTemplates } from '../../src/facts/extra-questions';
import { RELATIONS } from '../../src/facts/relations';
import { TEMPLATES, renderTemplate } from '../../src/facts/templates';

describe('person wordings', () => {
  it('are questions ending in the object that no training, extra or eval-only template uses', () => {
    for (const relation of RELATIONS) {
      const known = new Set([...TEMPLATES[relation], ...extraQuestionTemplates(relation)].map((t) => t.text));
      const wordings = personWordings(relation);
      expect(wordings).toHaveLength(2);
      for (const w of wordings) {
        expect(known.has(w.text), `${w.id} duplicates a template`).toBe(false);
        expect(w.text.startsWith('Q: ')).toBe(true);
        expect(renderTemplate(w, { subject: 'Veloria', relation, object: 'Tamsin' }).endsWith('\nA: Tamsin')).toBe(true);
      }
    }
  });
});
