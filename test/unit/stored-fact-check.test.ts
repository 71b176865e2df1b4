import { describe, expect, it } from 'vitest';
import { checkStoredFacts, damagedFactsMessage, problemWith, slotsToCompare } from '../../src/worker/stored-fact-check';
import { TaughtFacts } from '../../src/worker/taught-facts';
import { asHistory, baseOf, damage, describeFact, makeFact, SHAPE, withoutPrev } from './stored-fact-fixtures';

const Dv = SHAPE.valueDim;

describe('problemWith', () => {
  it('accepts well-formed records, including an imported fact without a loss', () => {
    expect(problemWith(makeFact(1), SHAPE)).toBeNull();
    expect(problemWith(makeFact(2, []), SHAPE)).toBeNull();
    expect(problemWith(makeFact(3, [0, SHAPE.slots - 1]), SHAPE)).toBeNull();
    expect(problemWith(damage(makeFact(4), (r) => { r.origin = 'import'; r.step.loss = NaN; }), SHAPE)).toBeNull();
    expect(problemWith(damage(makeFact(5), (r) => { r.origin = 'counterfactual'; r.fact.relation = 'birth_year'; }), SHAPE)).toBeNull();
  });

  const cases: [string, (r: Record<string, any>) => void, RegExp][] = [
    ['rows one value short', (r) => { r.after.rows = r.after.rows.subarray(1); }, /after has 7 values for 2 slots, expected 2 x 4 = 8/],
    ['rows for a slot too many', (r) => { r.before.rows = new Float32Array(3 * Dv); }, /before has 12 values for 2 slots/],
    ['a NaN value', (r) => { r.after.rows[5] = NaN; }, /after value 5 is NaN/],
    ['an infinite value', (r) => { r.before.rows[0] = Infinity; }, /before value 0 is Infinity/],
    ['a slot past the table', (r) => { r.before.slots[1] = SHAPE.slots; r.after.slots[1] = SHAPE.slots; }, /names slot 16; slots run from 0 to 15/],
    ['a negative slot', (r) => { r.before.slots[0] = -1; r.after.slots[0] = -1; }, /names slot -1/],
    ['a slot twice', (r) => { r.before.slots[1] = r.before.slots[0]; r.after.slots[1] = r.after.slots[0]; }, /names slot \d+ twice/],
    ['slots as a plain array', (r) => { r.before.slots = Array.from(r.before.slots); }, /before slots are an array, expected an Int32Array/],
    ['float slots', (r) => { r.after.slots = Float32Array.from(r.after.slots); }, /after slots are a Float32Array, expected an Int32Array/],
    ['rows as Float64', (r) => { r.after.rows = Float64Array.from(r.after.rows); }, /after rows are a Float64Array, expected a Float32Array/],
    ['missing rows', (r) => { delete r.before; }, /before rows are missing/],
    ['before and after on different slots', (r) => { r.after.slots[0] = 9; }, /different slots/],
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
  ];
  for (const [name, edit, reason] of cases) {
    it(`refuses ${name}`, () => {
      expect(problemWith(damage(makeFact(2), edit), SHAPE)).toMatch(reason);
    });
  }

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
    const short = damage(makeFact(5), (r) => { r.before.rows = new Float32Array(1); });
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
    const bad = damage(makeFact(1), (r) => { r.before.slots[0] = 99; r.after.slots[0] = 99; });
    const later = [2, 3, 4, 5, 6, 7, 8].map((id) => makeFact(id));
    const check = checkStoredFacts([...later, bad], SHAPE);
    expect(check.restored).toEqual([]);
    expect(check.heldBack.map((f) => f.id)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const message = damagedFactsMessage(check, describeFact)!;
    expect(message).toMatch(/^1 stored taught fact was damaged and not restored \(fact #1: before names slot 99/);
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

  it('restores a history whose facts overwrite each other\'s slots', () => {
    const history = asHistory([makeFact(1, [0, 1]), makeFact(2, [1, 2]), makeFact(3, [1, 3]), makeFact(4, [0, 3])]);
    expect(checkStoredFacts(history, SHAPE).restored.map((f) => f.id)).toEqual([1, 2, 3, 4]);
  });

  it('holds back everything from a fact whose named predecessor is missing, even when no later fact shares its slots', () => {
    // Fact 2's save failed (the page said so) and the person went on teaching.
    const [one, , three, four] = asHistory([makeFact(1, [0, 1]), makeFact(2, [2, 3]), makeFact(3, [4, 5]), makeFact(4, [6, 7])]);
    const check = checkStoredFacts([one, three, four], SHAPE);
    expect(check.restored.map((f) => f.id)).toEqual([1]);
    expect(check.damaged).toEqual([{ id: 3, key: 3, reason: 'fact #2, taught just before it, is missing from storage (its save failed or the page closed first)', fact: three.fact }]);
    expect(check.heldBack.map((f) => f.id)).toEqual([4]);
    // The first fact missing: the second claims fact 1 before it, but nothing is restored before it.
    expect(checkStoredFacts([three, four].map((f) => ({ ...f, prev: f.id === 3 ? 2 : 3 })), SHAPE).damaged.map((d) => d.id)).toEqual([3]);
    // A record claiming to be the first while another is stored before it.
    expect(checkStoredFacts([one, { ...three, prev: 0 }], SHAPE).damaged[0].reason).toBe('it was the first fact taught, but fact #1 is stored before it');
    // Without `prev` (records of earlier builds) the same gap goes unnoticed: the rows share no slot.
    expect(checkStoredFacts([one, three, four].map(withoutPrev), SHAPE).damaged).toEqual([]);
  });

  it('refuses a predecessor that is not an earlier id', () => {
    for (const prev of [-1, 1.5, '2', 3, 7]) {
      expect(problemWith({ ...makeFact(3), prev }, SHAPE)).toBe(`the fact before it is given as ${typeof prev === 'string' ? `"${prev}"` : prev}, not an earlier id`);
    }
  });

  it('holds back a fact whose rows before its step are not what the earlier facts left', () => {
    // An undo of fact 2 deleted it, but the page closed before fact 3, replayed without it, was saved. With
    // `prev` the gap itself shows (above); the rows chain catches it for older records too.
    const [one, , three, four] = asHistory([makeFact(1, [0, 1]), makeFact(2, [1, 2]), makeFact(3, [1, 3]), makeFact(4, [4, 5])]).map(withoutPrev);
    const check = checkStoredFacts([one, three, four], SHAPE);
    expect(check.restored.map((f) => f.id)).toEqual([1]);
    expect(check.damaged).toEqual([{ id: 3, key: 3, reason: expect.stringMatching(/before slot 1 was written differ from what fact #1 left there/), fact: three.fact }]);
    expect(check.heldBack.map((f) => f.id)).toEqual([4]);
  });

  it('notices a single finite value changed in storage or a sign flipped, but not a subnormal a GPU flushed to zero', () => {
    const history = asHistory([makeFact(1, [0, 1]), makeFact(2, [1, 2])]);
    const changed = damage(history[1], (r) => { r.before.rows[1] += 1e-3; });
    expect(checkStoredFacts([history[0], changed], SHAPE).damaged.map((d) => d.id)).toEqual([2]);
    const flipped = damage(history[1], (r) => { r.before.rows[2] = -r.before.rows[2]; });
    expect(checkStoredFacts([history[0], flipped], SHAPE).damaged.map((d) => d.id)).toEqual([2]);
    const subnormal = damage(history[0], (r) => { r.after.rows[Dv + 2] = 1e-40; });
    const flushed = damage(history[1], (r) => { r.before.rows[2] = -0; });
    expect(checkStoredFacts([subnormal, flushed], SHAPE).damaged).toEqual([]);
    const tiny = damage(history[1], (r) => { r.before.rows[2] = 1e-30; });
    expect(checkStoredFacts([subnormal, tiny], SHAPE).damaged.map((d) => d.id)).toEqual([2]);
  });

  it('with the pretrained rows, catches a history whose first fact is missing (an undo none of whose replays was saved)', () => {
    const history = asHistory([makeFact(1, [0, 1]), makeFact(2, [1, 2]), makeFact(3, [2, 3])]).map(withoutPrev);
    const base = baseOf(history);
    expect(checkStoredFacts(history, SHAPE, base).restored.map((f) => f.id)).toEqual([1, 2, 3]);
    // Without fact 1, fact 2's row of slot 1 is still the one fact 1 left: the chain alone cannot tell.
    expect(checkStoredFacts(history.slice(1), SHAPE).damaged).toEqual([]);
    const check = checkStoredFacts(history.slice(1), SHAPE, base);
    expect(check.restored).toEqual([]);
    expect(check.damaged).toEqual([{ id: 2, key: 2, reason: expect.stringMatching(/before slot 1 was written differ from the pretrained table/), fact: history[1].fact }]);
    expect(check.heldBack.map((f) => f.id)).toEqual([3]);
  });

  it('asks for the pretrained rows of every slot the well-formed records read, once each', () => {
    const records = [makeFact(1, [3, 0]), makeFact(2, [0, 9]), damage(makeFact(4, [12, 13]), (r) => { r.fact = null; })];
    expect(Array.from(slotsToCompare(records, SHAPE))).toEqual([0, 3, 9]);
  });

  it('names a damaged fact only when its text survived', () => {
    const check = checkStoredFacts([makeFact(1), damage(makeFact(2), (r) => { r.fact.relation = 'nope'; }), damage(makeFact(3), (r) => { r.step = null; })], SHAPE);
    expect(check.damaged.map((d) => d.fact)).toEqual([undefined, makeFact(3).fact]);
    const message = damagedFactsMessage(check, describeFact)!;
    expect(message).toMatch(/^2 stored taught facts were damaged and not restored \(fact #2: unknown relation "nope"; and others\)/);
    expect(message).toContain('Not restored: "Subject3 / capital / Object3".');
  });
});
