import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  addMonths,
  averageDays,
  benchmark,
  financialYearLabel,
  financialYearMonths,
  financialYearOf,
  financialYearOfMonth,
  londonMonth,
  medianTenths,
  monthLabel,
  monthsFrom,
  oneDecimal,
  percentChange,
  percentileRank,
  rankHighestFirst,
  ratePer1000,
  ratePer1000Tenths,
  roundedQuotient,
  sharePercent,
} from './analytics.ts';

/** The peer table of `004` ("NHS SMS – Physical Assaults Against NHS Staff", 2010/11): assaults, with medical factors, staff. */
const PEERS_004 = [
  { name: 'West Hertfordshire Hospital NHS Trust', assaults: 69, medical: 62, staff: 4062, rate: 17.0, medicalShare: 89.9 },
  { name: 'Brighton and Sussex University NHS Foundation Trust', assaults: 129, medical: 93, staff: 6615, rate: 19.5, medicalShare: 72.1 },
  { name: 'The Royal Bournemouth and Christchurch Hospitals NHS Foundation', assaults: 82, medical: 64, staff: 4300, rate: 19.1, medicalShare: 78.0 },
  { name: 'The Princess Alexandra Hospital NHS Trust', assaults: 43, medical: 42, staff: 3175, rate: 13.5, medicalShare: 97.7 },
];

describe('rates per 1,000 staff (004 peer table)', () => {
  for (const p of PEERS_004) {
    test(`004: ${p.assaults} assaults among ${p.staff.toLocaleString('en-GB')} staff is ${oneDecimal(p.rate)} per 1,000 (${p.name})`, () => {
      assert.equal(ratePer1000(p.assaults, p.staff), p.rate);
      assert.equal(oneDecimal(ratePer1000(p.assaults, p.staff)), p.rate.toFixed(1));
    });
    test(`004: ${p.medical} of ${p.assaults} assaults involving medical factors is ${p.medicalShare.toFixed(1)}% (${p.name})`, () => {
      assert.equal(sharePercent(p.medical, p.assaults), p.medicalShare);
    });
  }

  test('69 assaults, 4,062 staff: 16.98… is published as 17.0, kept as 170 tenths', () => {
    assert.equal(ratePer1000Tenths(69, 4062), 170);
    assert.equal(oneDecimal(17), '17.0');
  });

  test('an exact half rounds up, as published figures do (1 among 80 staff is 12.5; 1 among 16,000 is 0.0625 → 0.1)', () => {
    assert.equal(ratePer1000(1, 80), 12.5);
    assert.equal(ratePer1000(1, 16_000), 0.1);
    assert.equal(ratePer1000(1, 20_001), 0);
  });

  test('no staff figure, or none recorded, means no rate', () => {
    assert.equal(ratePer1000(5, 0), null);
    assert.equal(ratePer1000(5, null), null);
    assert.equal(ratePer1000(5, undefined), null);
    assert.equal(oneDecimal(null), '–');
  });

  test('the rate equals the exactly rounded rational for any counts and staff', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 2_000_000 }), (count, staff) => {
        const tenths = ratePer1000Tenths(count, staff) as number;
        // −½ ≤ count × 10,000 / staff − tenths < ½: within half a tenth, and a tie is rounded up (so −½, never +½)
        const twice = 2 * count * 10_000 - 2 * tenths * staff;
        return twice < staff && twice >= -staff;
      }),
    );
  });

  test('a tie far from the small examples still rounds up (73,313 among 70,240 staff is 1,043.75 per 1,000 → 1,043.8)', () => {
    // found by the property above (seed 1614473342): 73,313 × 10,000 / 70,240 = 10,437.5 tenths exactly
    assert.equal(ratePer1000Tenths(73_313, 70_240), 10_438);
    assert.equal(ratePer1000(73_313, 70_240), 1043.8);
  });
});

describe('shares, change and averages', () => {
  test('shares are percentages to one decimal place; nothing of nothing is no share', () => {
    assert.equal(sharePercent(1, 3), 33.3);
    assert.equal(sharePercent(2, 3), 66.7);
    assert.equal(sharePercent(0, 5), 0);
    assert.equal(sharePercent(0, 0), null);
  });

  test('year-on-year change is a percentage of last year, halves away from zero; from nothing there is no change', () => {
    assert.equal(percentChange(120, 100), 20);
    assert.equal(percentChange(80, 100), -20);
    assert.equal(percentChange(1, 3), -66.7);
    assert.equal(percentChange(69, 60), 15);
    assert.equal(percentChange(5, 0), null);
    assert.equal(percentChange(100, 100), 0);
    assert.ok(!Object.is(percentChange(100, 100), -0));
  });

  test('average days to closure from total seconds', () => {
    assert.equal(averageDays(86_400 + 2 * 86_400, 2), 1.5);
    assert.equal(averageDays(3600, 1), 0);
    assert.equal(averageDays(0, 0), null);
  });

  test('roundedQuotient rounds halves away from zero and refuses fractions', () => {
    assert.equal(roundedQuotient(5, 2), 3);
    assert.equal(roundedQuotient(-5, 2), -3);
    assert.equal(roundedQuotient(7, 3), 2);
    assert.throws(() => roundedQuotient(1.5, 2), RangeError);
    assert.throws(() => roundedQuotient(1, 0), RangeError);
  });
});

describe('rank, percentile and median (004 peer table)', () => {
  const table = benchmark(PEERS_004.map((p) => ({ key: p.name, count: p.assaults, staff: p.staff })));

  test('004: the four trusts ranked highest rate first: Brighton 19.5, Bournemouth 19.1, West Hertfordshire 17.0, Princess Alexandra 13.5', () => {
    assert.deepEqual(
      table.rows.map((r) => [r.key.split(' ')[0] === 'The' ? r.key.split(' ')[1] : r.key.split(' ')[0], r.rate, r.rank]),
      [
        ['Brighton', 19.5, 1],
        ['Royal', 19.1, 2],
        ['West', 17, 3],
        ['Princess', 13.5, 4],
      ],
    );
  });

  test('004: West Hertfordshire (17.0) sits at the 37.5th percentile: one lower rate, itself counted as half, of four', () => {
    const whht = table.rows.find((r) => r.key.startsWith('West'));
    assert.equal(whht?.percentile, 37.5);
    assert.deepEqual(
      table.rows.map((r) => r.percentile),
      [87.5, 62.5, 37.5, 12.5],
    );
  });

  test('004: the median of 13.5, 17.0, 19.1 and 19.5 is 18.05, published as 18.1', () => {
    assert.equal(table.medianTenths, 181);
    assert.equal(table.ranked, 4);
  });

  test('ties share a rank and the next rank is skipped; an all-equal group is at the 50th percentile', () => {
    assert.equal(rankHighestFirst([200, 170, 170, 135], 170), 2);
    assert.equal(rankHighestFirst([200, 170, 170, 135], 135), 4);
    assert.equal(percentileRank([170, 170, 170], 170), 50);
    assert.equal(percentileRank([], 170), null);
  });

  test('an organisation without staff figures has no rate and is listed unranked after the ranked ones', () => {
    const t = benchmark([
      { key: 'a', count: 10, staff: null },
      { key: 'b', count: 10, staff: 1000 },
      { key: 'c', count: 30, staff: 1000 },
    ]);
    assert.deepEqual(
      t.rows.map((r) => [r.key, r.rate, r.rank, r.percentile]),
      [
        ['c', 30, 1, 75],
        ['b', 10, 2, 25],
        ['a', null, null, null],
      ],
    );
    assert.equal(t.medianTenths, 200);
    assert.equal(t.ranked, 2);
  });

  test('median: odd count takes the middle, even count the rounded mean of the middle two, none is null', () => {
    assert.equal(medianTenths([300, 100, 200]), 200);
    assert.equal(medianTenths([100, 201]), 151);
    assert.equal(medianTenths([]), null);
  });

  test('a whole group ranked at once gives each organisation the rank and percentile it has alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ count: fc.integer({ min: 0, max: 500 }), staff: fc.option(fc.integer({ min: 1, max: 20_000 })) }), { maxLength: 40 }),
        (rows) => {
          const t = benchmark(rows.map((r, key) => ({ key, count: r.count, staff: r.staff })));
          const values = t.rows.flatMap((r) => (r.rateTenths === null ? [] : [r.rateTenths]));
          return t.rows.every((r) =>
            r.rateTenths === null
              ? r.rank === null && r.percentile === null
              : r.rank === rankHighestFirst(values, r.rateTenths) && r.percentile === percentileRank(values, r.rateTenths),
          );
        },
      ),
    );
  });

  test('rank and percentile agree for any group: the higher the rate, the lower the rank number and the higher the percentile', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 }), (values) => {
        const sorted = [...values].sort((a, b) => b - a);
        for (let i = 1; i < sorted.length; i++) {
          const hi = sorted[i - 1] as number;
          const lo = sorted[i] as number;
          if (hi > lo && !(rankHighestFirst(values, hi) < rankHighestFirst(values, lo))) return false;
          if (hi > lo && !((percentileRank(values, hi) as number) > (percentileRank(values, lo) as number))) return false;
        }
        return true;
      }),
    );
  });
});

describe('months and financial years in England', () => {
  test('an incident at 00:30 BST on 1 April 2026 (23:30 UTC on 31 March) is in April and in financial year 2026/27', () => {
    const instant = new Date('2026-03-31T23:30:00Z');
    assert.equal(londonMonth(instant), '2026-04');
    assert.equal(financialYearOf(instant), 2026);
    assert.equal(financialYearLabel(financialYearOf(instant)), '2026/27');
  });

  test('the year turns at midnight on 1 April by the clock in England (BST): 23:59 on 31 March 2026 is 2025/26, 00:00 is 2026/27', () => {
    assert.equal(financialYearOf(new Date('2026-03-31T22:59:59Z')), 2025);
    assert.equal(financialYearOf(new Date('2026-03-31T23:00:00Z')), 2026);
  });

  test('New Year in England: 00:30 GMT on 1 January is January, and midwinter needs no offset', () => {
    assert.equal(londonMonth(new Date('2027-01-01T00:30:00Z')), '2027-01');
    assert.equal(londonMonth(new Date('2026-12-31T23:59:59Z')), '2026-12');
    assert.equal(financialYearOf(new Date('2027-01-01T00:30:00Z')), 2026);
  });

  test('month arithmetic across years, ranges and financial-year months', () => {
    assert.equal(addMonths('2026-01', -1), '2025-12');
    assert.equal(addMonths('2025-12', 1), '2026-01');
    assert.equal(addMonths('2026-04', -24), '2024-04');
    assert.deepEqual(monthsFrom('2025-11', '2026-02'), ['2025-11', '2025-12', '2026-01', '2026-02']);
    assert.deepEqual(monthsFrom('2026-02', '2025-11'), []);
    assert.equal(monthsFrom('2024-05', '2026-04').length, 24);
    assert.equal(financialYearOfMonth('2026-03'), 2025);
    assert.equal(financialYearOfMonth('2026-04'), 2026);
    assert.deepEqual(financialYearMonths(2010), { from: '2010-04', to: '2011-03' });
    assert.equal(financialYearLabel(2010), '2010/11');
    assert.equal(financialYearLabel(2099), '2099/00');
    assert.equal(monthLabel('2026-04'), 'Apr 2026');
    assert.equal(monthLabel('2026-04', true), 'April 2026');
    assert.throws(() => addMonths('2026-13', 1), RangeError);
  });
});
