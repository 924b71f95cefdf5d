import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rollUpReview } from './rag.ts';
import { assessorChecks, type ReviewedStandard } from './self-review-checks.ts';

const AREAS = [
  { id: 'strategic-governance', name: 'Strategic Governance' },
  { id: 'hold-to-account', name: 'Hold to Account' },
];
const std = (over: Partial<ReviewedStandard> & { number: string }): ReviewedStandard => ({
  keyArea: 'hold-to-account',
  weight: 1,
  rating: null,
  comments: 'Reviewed at the board in March.',
  evidence: [],
  ...over,
});
const check = (standards: ReviewedStandard[]) => assessorChecks(standards, AREAS, rollUpReview(AREAS, standards).keyAreas);
const codes = (standards: ReviewedStandard[]) => check(standards).map((f) => `${f.standard ?? f.keyArea}:${f.code}`);

describe('assessor checks (002 §3.16, §3.19)', () => {
  test('green needs evidence of outcomes; outputs alone are flagged', () => {
    assert.deepEqual(codes([std({ number: '4.1', rating: 'green', evidence: [{ kind: 'output' }] })]), ['4.1:green_without_outcomes']);
    assert.deepEqual(codes([std({ number: '4.1', rating: 'green', evidence: [{ kind: 'outcome' }] })]), []);
  });

  test('amber needs evidence of outputs', () => {
    assert.deepEqual(codes([std({ number: '4.2', rating: 'amber', evidence: [] }), std({ number: '4.1', rating: 'green', evidence: [{ kind: 'outcome' }] })]), [
      '4.2:amber_without_outputs',
    ]);
    assert.deepEqual(codes([std({ number: '4.2', rating: 'amber', evidence: [{ kind: 'output' }] })]), []);
  });

  test('a green or amber rating with no comments is not supported by comments', () => {
    const flags = check([std({ number: '4.1', rating: 'green', comments: '  ', evidence: [{ kind: 'outcome' }] })]);
    assert.deepEqual(
      flags.map((f) => f.code),
      ['rating_without_comments'],
    );
    assert.match(flags[0]!.message, /002 §3\.16/);
  });

  test('a weighted standard rated red, and a key area rated red, are flagged', () => {
    assert.deepEqual(codes([std({ number: '1.1', keyArea: 'strategic-governance', rating: 'red', weight: 3 })]), [
      '1.1:weighted_red',
      'strategic-governance:key_area_red',
    ]);
    // An ordinary red standard in an otherwise green area is no flag: red is an honest rating.
    assert.deepEqual(
      codes([
        std({ number: '4.1', rating: 'red' }),
        std({ number: '4.2', rating: 'green', evidence: [{ kind: 'outcome' }] }),
        std({ number: '4.3', rating: 'green', evidence: [{ kind: 'outcome' }] }),
      ]),
      [],
    );
  });

  test('unrated and not-applicable standards raise nothing', () => {
    assert.deepEqual(codes([std({ number: '1.7', rating: 'not_applicable', comments: '' }), std({ number: '4.1', rating: null, comments: '' })]), []);
  });
});
