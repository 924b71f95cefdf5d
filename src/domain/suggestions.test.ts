import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { suggestAnnualReport, suggestInvestigationTimeliness, TIMELY_AMBER, TIMELY_GREEN } from './suggestions.ts';

describe('suggested rating for 002 std 4.1 (investigations in a timely manner)', () => {
  test('no incidents reported at all: amber, the standard’s own criterion ("no incidents have been reported")', () => {
    const s = suggestInvestigationTimeliness({ year: 2026, reported: 0, due: 0, onTime: 0 });
    assert.equal(s.rating, 'amber');
    assert.match(s.reason, /No security incidents were reported in 2026\/27/);
  });

  test('incidents but no manager’s investigation due: no rating, and says why', () => {
    const s = suggestInvestigationTimeliness({ year: 2026, reported: 3, due: 0, onTime: 0 });
    assert.equal(s.rating, null);
    assert.match(s.reason, /3 incidents were reported in 2026\/27 but no manager's investigation fell due/);
  });

  test('the share completed by the due date decides: 90% or more green, 50% or more amber, else red', () => {
    assert.equal(TIMELY_GREEN, 0.9);
    assert.equal(TIMELY_AMBER, 0.5);
    const at = (due: number, onTime: number) => suggestInvestigationTimeliness({ year: 2026, reported: due, due, onTime });
    assert.equal(at(10, 10).rating, 'green');
    assert.equal(at(10, 9).rating, 'green');
    assert.equal(at(10, 8).rating, 'amber');
    assert.equal(at(10, 5).rating, 'amber');
    assert.equal(at(10, 4).rating, 'red');
    assert.equal(at(1, 0).rating, 'red');
    assert.equal(
      at(12, 11).reason,
      "Of 12 manager's investigations due in 2026/27, 11 (92%) were completed by the due date; at least 90% on time suggests green.",
    );
    assert.match(at(1, 1).reason, /^Of 1 manager's investigation due in 2026\/27, 1 \(100%\) was completed/);
  });

  test('more investigations on time never suggests a lower rating', () => {
    const order = { red: 0, amber: 1, green: 2 } as const;
    for (let due = 1; due <= 30; due++)
      for (let onTime = 0; onTime < due; onTime++) {
        const a = suggestInvestigationTimeliness({ year: 2026, reported: due, due, onTime }).rating as keyof typeof order;
        const b = suggestInvestigationTimeliness({ year: 2026, reported: due, due, onTime: onTime + 1 }).rating as keyof typeof order;
        assert.ok(order[b] >= order[a], `${onTime + 1}/${due} rated below ${onTime}/${due}`);
      }
  });
});

describe('suggested rating for 002 std 1.5 (annual report to the Board)', () => {
  const signed = { status: 'signed' as const, presentedOn: '2027-05-20', boardDecision: 'approved' as const, signedAt: new Date() };

  test('a report presented, approved and signed off by the SMD: green', () => {
    const s = suggestAnnualReport(2026, signed);
    assert.equal(s.rating, 'green');
    assert.equal(
      s.reason,
      'The annual report for 2026/27 was presented to the Board on 2027-05-20, approved, and signed off by the Security Management Director.',
    );
    assert.equal(suggestAnnualReport(2026, { ...signed, boardDecision: 'approved_with_amendments' }).rating, 'green');
  });

  test('no report, an unsigned one, or one the Board did not approve: red (amber does not apply to 1.5)', () => {
    assert.deepEqual(suggestAnnualReport(2026, null), { rating: 'red', reason: 'No annual report for 2026/27 is recorded in Warden (002 std 1.5).' });
    assert.match(suggestAnnualReport(2026, { ...signed, status: 'draft', signedAt: null }).reason, /not been signed off/);
    assert.equal(suggestAnnualReport(2026, { ...signed, status: 'draft', signedAt: null }).rating, 'red');
    assert.equal(suggestAnnualReport(2026, { ...signed, boardDecision: 'not_approved' }).rating, 'red');
  });
});
