import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RATINGS, type RatedStandard, type Rating, rollUp, rollUpReview, type StandardRating } from './rag.ts';

const AREAS = [
  { id: 'strategic-governance', name: 'Strategic Governance' },
  { id: 'inform-and-involve', name: 'Inform and Involve' },
  { id: 'prevent-and-deter', name: 'Prevent and Deter' },
  { id: 'hold-to-account', name: 'Hold to Account' },
];
const RANK: Record<Rating, number> = { red: 0, amber: 1, green: 2 };
const rank = (r: Rating | null) => (r === null ? -1 : RANK[r]);

const rating = fc.constantFrom<Rating>(...RATINGS);
const standardRating = fc.constantFrom<StandardRating>('red', 'amber', 'green', 'not_applicable');
/** A review's standards: numbered, each in one of the four key areas, weight 1 (ordinary) or 2–5 (weighted). */
const standards = (r: fc.Arbitrary<StandardRating | null>) =>
  fc
    .array(fc.record({ keyArea: fc.constantFrom(...AREAS.map((a) => a.id)), weight: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 5 })), rating: r }), {
      minLength: 1,
      maxLength: 20,
    })
    .map((xs) => xs.map((x, i): RatedStandard => ({ ...x, number: `${i + 1}` })));

/** Every roll-up of a review, keyed "overall" or by key area. */
const all = (xs: RatedStandard[]) => {
  const r = rollUpReview(AREAS, xs);
  return { overall: r.overall.rating, ...Object.fromEntries(Object.entries(r.keyAreas).map(([k, v]) => [k, v.rating])) } as Record<string, Rating | null>;
};

describe('red/amber/green roll-up (002 §3.38, §3.48–3.49)', () => {
  test('raising any standard’s rating never lowers a key-area or overall rating', () => {
    fc.assert(
      fc.property(standards(rating), fc.nat(), fc.nat(), (xs, pick, by) => {
        const i = pick % xs.length;
        const from = xs[i]!.rating as Rating;
        const higher = RATINGS.filter((r) => RANK[r] > RANK[from]);
        fc.pre(higher.length > 0);
        const raised = xs.map((s, k) => (k === i ? { ...s, rating: higher[by % higher.length]! } : s));
        const before = all(xs);
        const after = all(raised);
        for (const key of Object.keys(before)) assert.ok(rank(after[key]!) >= rank(before[key]!), `${key} went from ${before[key]} to ${after[key]}`);
      }),
      { numRuns: 500 },
    );
  });

  test('all green gives green and all red gives red, for every key area and overall', () => {
    fc.assert(
      fc.property(standards(fc.constant<Rating>('green')), (xs) => {
        for (const [key, r] of Object.entries(all(xs))) if (key === 'overall' || xs.some((s) => s.keyArea === key)) assert.equal(r, 'green', key);
      }),
    );
    fc.assert(
      fc.property(standards(fc.constant<Rating>('red')), (xs) => {
        for (const [key, r] of Object.entries(all(xs))) if (key === 'overall' || xs.some((s) => s.keyArea === key)) assert.equal(r, 'red', key);
      }),
    );
  });

  test('a weighted standard rated red keeps its key area and the overall rating from being green', () => {
    fc.assert(
      fc.property(standards(rating), fc.nat(), fc.integer({ min: 2, max: 5 }), (xs, pick, weight) => {
        const i = pick % xs.length;
        const withRed = xs.map((s, k) => (k === i ? { ...s, weight, rating: 'red' as const } : s));
        const r = rollUpReview(AREAS, withRed);
        assert.notEqual(r.keyAreas[withRed[i]!.keyArea]!.rating, 'green');
        assert.notEqual(r.overall.rating, 'green');
      }),
      { numRuns: 500 },
    );
  });

  test('not-applicable standards are left out: adding them changes no rating', () => {
    fc.assert(
      fc.property(standards(standardRating), standards(fc.constant<StandardRating>('not_applicable')), (xs, nas) => {
        const renumbered = nas.map((s, i) => ({ ...s, number: `na${i}` }));
        assert.deepEqual(all([...xs, ...renumbered]), all(xs));
      }),
    );
  });

  test('unrated standards are counted as still to rate and do not change the rating', () => {
    fc.assert(
      fc.property(standards(rating), fc.integer({ min: 1, max: 5 }), (xs, n) => {
        const unrated: RatedStandard[] = Array.from({ length: n }, (_, i) => ({ number: `u${i}`, keyArea: AREAS[0]!.id, weight: 1, rating: null }));
        const r = rollUp([...xs, ...unrated]);
        assert.equal(r.toRate, n);
        assert.equal(r.rated, xs.length);
        assert.equal(r.rating, rollUp(xs).rating);
      }),
    );
  });

  test('worked examples of the rule', () => {
    const s = (number: string, rating: StandardRating | null, weight = 1, keyArea = AREAS[0]!.id): RatedStandard => ({ number, keyArea, weight, rating });
    // Thirteen green and one ordinary red: mean 26/14 ≥ 1.5, green.
    assert.equal(rollUp([...Array.from({ length: 13 }, (_, i) => s(`g${i}`, 'green')), s('r', 'red')]).rating, 'green');
    // The same red standard weighted: capped at amber, with the reason given.
    const capped = rollUp([...Array.from({ length: 13 }, (_, i) => s(`g${i}`, 'green')), s('4.1', 'red', 2)]);
    assert.equal(capped.rating, 'amber');
    assert.match(capped.reasons[0]!, /4\.1 rated red.*002 §3\.49/);
    // Green and red in equal weight average to amber; one amber, three red is below 0.5: red.
    assert.equal(rollUp([s('a', 'green'), s('b', 'red')]).rating, 'amber');
    assert.equal(rollUp([s('a', 'amber'), s('b', 'red'), s('c', 'red'), s('d', 'red')]).rating, 'red');
    // Nothing rated (or only not-applicable): no rating yet.
    assert.equal(rollUp([s('a', null), s('b', 'not_applicable')]).rating, null);
    // A red key area keeps the overall rating from green even when the mean is high.
    const review = rollUpReview(AREAS, [...Array.from({ length: 12 }, (_, i) => s(`g${i}`, 'green', 1, AREAS[1]!.id)), s('1.1', 'red', 1, AREAS[0]!.id)]);
    assert.equal(review.keyAreas[AREAS[0]!.id]!.rating, 'red');
    assert.equal(review.overall.rating, 'amber');
    assert.match(review.overall.reasons.join(' '), /Strategic Governance rated red/);
  });
});
