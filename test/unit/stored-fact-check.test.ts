import { describe, expect, it } from 'vitest';
import { checkStoredFacts, damagedFactsMessage, problemWith } from '../../src/worker/stored-fact-check';
import { TaughtFacts } from '../../src/worker/taught-facts';
import { damage, describeFact, legacyRecord, makeFact, SHAPE } from './stored-fact-fixtures';

const Dv = SHAPE.valueDim;

describe('problemWith', () => {
  it('accepts well-formed records, including an imported fact without a loss', () => {
    expect(problemWith(makeFact(1), SHAPE)).toBeNull();
    expect(problemWith(makeFact(2, []), SHAPE)).toBeNull();
    expect(problemWith(makeFact(3, [0, SHAPE.slots - 1]), SHAPE)).toBeNull();
    expect(problemWith(damage(makeFact(4), (r) => { r.origin = 'import'; r.step.loss = NaN; }), SHAPE)).toBeNull();
    expect(problemWith(damage(makeFact(5), (r) => { r.step.answered = false; }), SHAPE)).toBeNull();
    expect(problemWith(damage(makeFact(5), (r) => { r.origin = 'counterfactual'; r.fact.relation = 'birth_year'; }), SHAPE)).toBeNull();
  });

  const cases: [string, (r: Record<string, any>) => void, RegExp][] = [
    ['rows one value short', (r) => { r.after.rows = r.after.rows.subarray(1); }, /after has 7 values for 2 slots, expected 2 x 4 = 8/],
    ['rows for a slot too many', (r) => { r.after.rows = new Float32Array(3 * Dv); }, /after has 12 values for 2 slots/],
    ['a NaN value', (r) => { r.after.rows[5] = NaN; }, /after value 5 is NaN/],
    ['an infinite value', (r) => { r.after.rows[0] = Infinity; }, /after value 0 is Infinity/],
    ['a slot past the table', (r) => { r.after.slots[1] = SHAPE.slots; }, /names slot 16; slots run from 0 to 15/],
    ['a negative slot', (r) => { r.after.slots[0] = -1; }, /names slot -1/],
    ['a slot twice', (r) => { r.after.slots[1] = r.after.slots[0]; }, /names slot \d+ twice/],
    ['slots as a plain array', (r) => { r.after.slots = Array.from(r.after.slots); }, /after slots are an array, expected an Int32Array/],
    ['float slots', (r) => { r.after.slots = Float32Array.from(r.after.slots); }, /after slots are a Float32Array, expected an Int32Array/],
    ['rows as Float64', (r) => { r.after.rows = Float64Array.from(r.after.rows); }, /after rows are a Float64Array, expected a Float32Array/],
    ['missing rows', (r) => { delete r.after; }, /after rows are missing/],
    ['a finite value changed in storage', (r) => { r.after.rows[1] += 1e-3; }, /its rows do not match their checksum \(they changed in storage\)/],
    ['a sign flipped', (r) => { r.after.rows[2] = -r.after.rows[2]; }, /do not match their checksum/],
    ['a slot id changed to another valid one', (r) => { r.after.slots[0] = 9; }, /do not match their checksum/],
    ['a checksum that is not a number', (r) => { r.checksum = '12'; }, /checksum "12" is not a 32-bit number/],
    ['a checksum out of range', (r) => { r.checksum = 2 ** 32; }, /checksum 4294967296 is not a 32-bit number/],
    ['an unknown relation', (r) => { r.fact.relation = 'favourite_colour'; }, /unknown relation "favourite_colour"/],
    ['an empty subject', (r) => { r.fact.subject = '  '; }, /fact subject is "  ", not text/],
    ['a numeric object', (r) => { r.fact.object = 42; }, /fact object is 42, not text/],
    ['no fact', (r) => { r.fact = null; }, /fact is null/],
    ['an unknown origin', (r) => { r.origin = 'telepathy'; }, /unknown origin "telepathy"/],
    ['a fractional id', (r) => { r.id = 1.5; }, /id 1.5 is not a positive integer/],
    ['a string id', (r) => { r.id = '3'; }, /id "3" is not a positive integer/],
    ['no step', (r) => { delete r.step; }, /step is missing/],
    ['an unknown step method', (r) => { r.step.method = 'magic'; }, /unknown step method "magic"/],
    ['a negative step time', (r) => { r.step.ms = -1; }, /step time is -1/],
    ['an answered flag that is not a boolean', (r) => { r.step.answered = 'yes'; }, /step answered flag is "yes"/],
  ];
  for (const [name, edit, reason] of cases) {
    it(`refuses ${name}`, () => {
      expect(problemWith(damage(makeFact(2), edit), SHAPE)).toMatch(reason);
    });
  }

  it('accepts a record of the build before prev and checksums (its overwritten rows are ignored), but not broken rows in it', () => {
    expect(problemWith(legacyRecord(makeFact(2)), SHAPE)).toBeNull();
    expect(problemWith(damage(legacyRecord(makeFact(2)) as never, (r) => { r.after.rows[0] = NaN; }), SHAPE)).toMatch(/after value 0 is NaN/);
  });

  it('refuses things that are not records', () => {
    for (const value of [null, undefined, 7, 'fact', [makeFact(1)]]) expect(problemWith(value, SHAPE)).toMatch(/not a record/);
  });
});

describe('checkStoredFacts', () => {
  it('restores every intact record in id order', () => {
    const check = checkStoredFacts([makeFact(3), makeFact(1), makeFact(2)], SHAPE);
    expect(check.restored.map((f) => f.id)).toEqual([1, 2, 3]);
    expect(check.damaged).toEqual([]);
    expect(check.heldBack).toEqual([]);
    expect(damagedFactsMessage(check, describeFact)).toBeNull();
  });

  it('restores only the prefix before the first damaged record and holds back the intact ones after it', () => {
    const nan = damage(makeFact(3), (r) => { r.after.rows[0] = NaN; });
    const short = damage(makeFact(5), (r) => { r.after.rows = new Float32Array(1); });
    const check = checkStoredFacts([makeFact(1), makeFact(2), nan, makeFact(4), short, makeFact(6)], SHAPE);
    expect(check.restored.map((f) => f.id)).toEqual([1, 2]);
    expect(check.damaged.map((d) => d.id)).toEqual([3, 5]);
    expect(check.heldBack.map((f) => f.id)).toEqual([4, 6]);
    const message = damagedFactsMessage(check, describeFact)!;
    expect(message).toMatch(/^2 stored taught facts were damaged and not restored \(fact #3: after value 0 is NaN; and others\)/);
    expect(message).toContain('Restored the 2 facts taught before the first damaged one.');
    expect(message).toContain('2 intact facts taught after it were learned on top of the damaged one, so they were not restored either.');
    expect(message).toContain('Not restored: "Subject3 / capital / Object3", "Subject4 / capital / Object4", "Subject5 / capital / Object5", "Subject6 / capital / Object6".');
  });

  it('restores nothing when the first record is damaged, and names at most five lost facts', () => {
    const bad = damage(makeFact(1), (r) => { r.after.slots[0] = 99; });
    const later = [2, 3, 4, 5, 6, 7, 8].map((id) => makeFact(id));
    const check = checkStoredFacts([...later, bad], SHAPE);
    expect(check.restored).toEqual([]);
    expect(check.heldBack.map((f) => f.id)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const message = damagedFactsMessage(check, describeFact)!;
    expect(message).toMatch(/^1 stored taught fact was damaged and not restored \(fact #1: after names slot 99/);
    expect(message).toContain('none was restored');
    expect(message).toContain('Not restored: "Subject1 / capital / Object1", "Subject2 / capital / Object2", "Subject3 / capital / Object3", "Subject4 / capital / Object4", "Subject5 / capital / Object5" and 3 more.');
    expect(message).not.toContain('Subject6');
  });

  it('orders a record with an unusable id first, so it holds back everything, and keeps its raw key for deletion', () => {
    const badId = damage(makeFact(9), (r) => { r.id = 'nine'; });
    const check = checkStoredFacts([makeFact(1), badId], SHAPE);
    expect(check.restored).toEqual([]);
    expect(check.damaged).toEqual([{ id: undefined, key: 'nine', reason: expect.stringMatching(/id "nine"/), fact: makeFact(9).fact }]);
    expect(check.heldBack.map((f) => f.id)).toEqual([1]);
  });

  it('lets the next taught fact take the id after the restored prefix', () => {
    const check = checkStoredFacts([makeFact(1), makeFact(2), damage(makeFact(3), (r) => { r.step = 0; }), makeFact(4)], SHAPE);
    const taught = new TaughtFacts();
    for (const entry of check.restored) taught.add(entry);
    const { id: _id, ...rest } = makeFact(10);
    expect(taught.add(rest).id).toBe(3);
  });

  it('holds back everything from a fact whose named predecessor is missing, even when no later fact shares its slots', () => {
    // Fact 2's save failed (the page said so) and the person went on teaching.
    const [one, three, four] = [makeFact(1, [0, 1]), makeFact(3, [4, 5]), makeFact(4, [6, 7])];
    const check = checkStoredFacts([one, three, four], SHAPE);
    expect(check.restored.map((f) => f.id)).toEqual([1]);
    expect(check.damaged).toEqual([{ id: 3, key: 3, reason: 'fact #2, taught just before it, is missing from storage (its save failed or the page closed first)', fact: three.fact }]);
    expect(check.heldBack.map((f) => f.id)).toEqual([4]);
    // The first fact missing (an undo of it whose replayed facts were not saved): nothing is restored before 2.
    expect(checkStoredFacts([makeFact(2), makeFact(3)], SHAPE).damaged.map((d) => d.id)).toEqual([2]);
    // A record claiming to be the first while another is stored before it.
    expect(checkStoredFacts([one, { ...makeFact(2), prev: 0 }], SHAPE).damaged[0].reason).toBe('it was the first fact taught, but fact #1 is stored before it');
    // After an undo of fact 2, fact 3 names fact 1: a consistent history with a gap in the ids.
    expect(checkStoredFacts([one, { ...three, prev: 1 }, four], SHAPE).restored.map((f) => f.id)).toEqual([1, 3, 4]);
    // Records of earlier builds name no predecessor, so there the same gap cannot be seen.
    expect(checkStoredFacts([one, three, four].map(legacyRecord), SHAPE).damaged).toEqual([]);
  });

  it('refuses a predecessor that is not an earlier id', () => {
    for (const prev of [-1, 1.5, '2', 3, 7]) {
      expect(problemWith({ ...makeFact(3), prev }, SHAPE)).toBe(`the fact before it is given as ${typeof prev === 'string' ? `"${prev}"` : prev}, not an earlier id`);
    }
  });

  it('names a damaged fact only when its text survived', () => {
    const check = checkStoredFacts([makeFact(1), damage(makeFact(2), (r) => { r.fact.relation = 'nope'; }), damage(makeFact(3), (r) => { r.step = null; })], SHAPE);
    expect(check.damaged.map((d) => d.fact)).toEqual([undefined, makeFact(3).fact]);
    const message = damagedFactsMessage(check, describeFact)!;
    expect(message).toMatch(/^2 stored taught facts were damaged and not restored \(fact #2: unknown relation "nope"; and others\)/);
    expect(message).toContain('Not restored: "Subject3 / capital / Object3".');
  });
});
