import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assessLateness,
  CATEGORY_DEFINITIONS,
  canTransition,
  formatPence,
  formatReference,
  INCIDENT_CATEGORIES,
  INCIDENT_STATUSES,
  isAssault,
  LATE_AFTER_HOURS,
  LATE_RULE_TEXT,
  londonParts,
  londonTime,
  londonYear,
  MEDICAL_FACTORS_DEFINITION,
  parseReference,
  parseTimeOfDay,
  poundsToPence,
  requiresMedicalFactors,
  STATUS_TRANSITIONS,
  shiftEndAfter,
} from './incidents.ts';

const hours = (n: number) => n * 3_600_000;

describe('incident taxonomy', () => {
  test('every category has a label, a definition and a source', () => {
    assert.equal(INCIDENT_CATEGORIES.length, 10);
    for (const c of INCIDENT_CATEGORIES) {
      const d = CATEGORY_DEFINITIONS[c];
      assert.ok(d.label.length > 0 && d.definition.length > 20 && d.source.length > 0, c);
    }
  });

  test('physical assault uses the NHS SMS definition quoted in 004', () => {
    assert.equal(
      CATEGORY_DEFINITIONS.physical_assault.definition,
      'The intentional application of force to the person of another without lawful justification, resulting in physical injury or personal discomfort.',
    );
    assert.equal(CATEGORY_DEFINITIONS.physical_assault.source, '004');
  });

  test('the categories SPEC C2 lists are all offered', () => {
    const labels = Object.values(CATEGORY_DEFINITIONS).map((d) => d.label);
    for (const expected of [
      'Physical assault',
      'Non-physical assault',
      'Theft',
      'Criminal damage',
      'Burglary',
      'Unauthorised access or security breach',
      'Loss or theft of drugs, prescription forms or hazardous materials',
      'Maternity or paediatric security breach',
      'Lone-worker incident',
      'Near miss',
    ])
      assert.ok(labels.includes(expected), expected);
  });

  test('assaults need a person affected; only physical assault needs the medical-factors answer', () => {
    assert.equal(isAssault('physical_assault'), true);
    assert.equal(isAssault('non_physical_assault'), true);
    assert.equal(isAssault('theft'), false);
    assert.equal(requiresMedicalFactors('physical_assault'), true);
    assert.equal(requiresMedicalFactors('non_physical_assault'), false);
  });

  test('the medical-factors definition names illness, mental ill health, learning disability and treatment', () => {
    for (const words of ['medical illness', 'mental ill health', 'severe learning disability', 'treatment'])
      assert.match(MEDICAL_FACTORS_DEFINITION, new RegExp(words));
  });
});

describe('case statuses', () => {
  test('a case runs from reported through triage and investigation to closure', () => {
    assert.ok(canTransition('reported', 'triaged'));
    assert.ok(canTransition('triaged', 'under_investigation'));
    assert.ok(canTransition('under_investigation', 'awaiting_decision'));
    assert.ok(canTransition('awaiting_decision', 'closed'));
  });

  test('a case cannot skip triage or go back to "reported", and every status has a rule', () => {
    assert.equal(canTransition('reported', 'under_investigation'), false);
    assert.equal(canTransition('reported', 'closed'), false);
    for (const s of INCIDENT_STATUSES) {
      assert.ok(STATUS_TRANSITIONS[s]);
      assert.equal(canTransition(s, 'reported'), false);
    }
  });
});

describe('references', () => {
  test('are the organisation code, the year and a six-digit number', () => {
    assert.equal(formatReference('rxx', 2026, 123), 'RXX-2026-000123');
    assert.equal(formatReference('5QT', 2027, 1), '5QT-2027-000001');
  });

  test('grow wider past 999,999 rather than wrap', () => {
    assert.equal(formatReference('RXX', 2026, 1_000_000), 'RXX-2026-1000000');
  });

  test('refuse a zero or fractional number and a year without four digits', () => {
    assert.throws(() => formatReference('RXX', 2026, 0), RangeError);
    assert.throws(() => formatReference('RXX', 2026, 1.5), RangeError);
    assert.throws(() => formatReference('RXX', 26, 1), RangeError);
  });

  test('parse back into their parts, and anything else is not a reference', () => {
    assert.deepEqual(parseReference('rxx-2026-000123'), { orgCode: 'RXX', year: 2026, sequence: 123 });
    assert.equal(parseReference('RXX-2026-123'), null);
    assert.equal(parseReference('not a reference'), null);
  });
});

describe('clock time in England', () => {
  test('winter times are GMT and summer times are BST', () => {
    assert.equal(londonTime(2026, 1, 15, 14, 30).toISOString(), '2026-01-15T14:30:00.000Z');
    assert.equal(londonTime(2026, 7, 1, 14, 30).toISOString(), '2026-07-01T13:30:00.000Z');
  });

  test('a time skipped when the clocks go forward resolves to the hour after', () => {
    // 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 never shows on a clock.
    assert.equal(londonTime(2026, 3, 29, 1, 30).toISOString(), '2026-03-29T01:30:00.000Z');
  });

  test('round-trips through londonParts', () => {
    const d = londonTime(2026, 8, 31, 23, 45);
    assert.deepEqual(londonParts(d), { year: 2026, month: 8, day: 31, hour: 23, minute: 45, second: 0 });
  });

  test('the reference year is the year in England', () => {
    assert.equal(londonYear(new Date('2025-12-31T23:59:00Z')), 2025);
    assert.equal(londonYear(new Date('2026-01-01T00:01:00Z')), 2026);
    assert.equal(londonYear(new Date('2026-07-01T00:30:00Z')), 2026, 'midsummer, in BST');
  });

  test('the reference year agrees with the clock in England around every new year from 2000 to 2100', () => {
    for (let year = 2000; year <= 2100; year++) {
      const midnight = Date.UTC(year, 0, 1);
      for (let minutes = -180; minutes <= 180; minutes += 7) {
        const instant = new Date(midnight + minutes * 60_000);
        assert.equal(londonYear(instant), londonParts(instant).year, instant.toISOString());
      }
    }
  });

  test('times of day are read on the 24-hour clock', () => {
    assert.deepEqual(parseTimeOfDay('14:30'), { hour: 14, minute: 30 });
    assert.deepEqual(parseTimeOfDay(' 9:05 '), { hour: 9, minute: 5 });
    assert.deepEqual(parseTimeOfDay('0905'), { hour: 9, minute: 5 });
    assert.deepEqual(parseTimeOfDay('14.30'), { hour: 14, minute: 30 });
    for (const bad of ['24:00', '12:60', 'noon', '1:5', ''] as const) assert.equal(parseTimeOfDay(bad), null, bad);
  });
});

describe('the late-report rule (003 §2.2.3.7)', () => {
  const occurredAt = new Date('2026-01-15T10:00:00Z');

  test(`without a shift end, a report up to ${LATE_AFTER_HOURS} hours after the incident is on time`, () => {
    const r = assessLateness({ occurredAt, reportedAt: new Date(occurredAt.getTime() + hours(12)) });
    assert.deepEqual(r, { late: false, deadline: new Date('2026-01-15T22:00:00Z'), reason: null });
  });

  test(`without a shift end, a report more than ${LATE_AFTER_HOURS} hours after is late, with the reason`, () => {
    const r = assessLateness({ occurredAt, reportedAt: new Date(occurredAt.getTime() + hours(12) + 60_000) });
    assert.equal(r.late, true);
    assert.match(r.reason ?? '', /12 hours after the incident, more than 12 hours \(003 §2\.2\.3\.7\)/);
    const days = assessLateness({ occurredAt, reportedAt: new Date(occurredAt.getTime() + hours(24 * 3)) });
    assert.match(days.reason ?? '', /3 days after/);
  });

  test('with a shift end, the shift end is the deadline, earlier or later than 12 hours', () => {
    const shortShift = new Date(occurredAt.getTime() + hours(2));
    const late = assessLateness({ occurredAt, reportedAt: new Date(occurredAt.getTime() + hours(3)), shiftEndsAt: shortShift });
    assert.equal(late.late, true);
    assert.match(late.reason ?? '', /after the end of the reporter's shift/);
    const longDay = new Date(occurredAt.getTime() + hours(13));
    const onTime = assessLateness({ occurredAt, reportedAt: new Date(occurredAt.getTime() + hours(12.5)), shiftEndsAt: longDay });
    assert.equal(onTime.late, false);
  });

  test('a shift end given as a time of day is the first such time at or after the incident', () => {
    const night = londonTime(2026, 1, 15, 23, 0);
    assert.equal(shiftEndAfter(night, { hour: 7, minute: 0 }).toISOString(), '2026-01-16T07:00:00.000Z');
    const day = londonTime(2026, 7, 1, 10, 0);
    assert.equal(shiftEndAfter(day, { hour: 19, minute: 30 }).toISOString(), '2026-07-01T18:30:00.000Z');
    assert.equal(shiftEndAfter(day, { hour: 10, minute: 0 }).toISOString(), day.toISOString());
  });

  test('the rule shown to reporters cites the procedure and says late reports are accepted', () => {
    assert.match(LATE_RULE_TEXT, /003 §2\.2\.3\.7/);
    assert.match(LATE_RULE_TEXT, /still accepted/);
  });
});

describe('money', () => {
  test('pounds as typed become whole pence', () => {
    assert.equal(poundsToPence('120.50'), 12050);
    assert.equal(poundsToPence('£1,250'), 125000);
    assert.equal(poundsToPence('0.5'), 50);
    assert.equal(poundsToPence('-5'), -500);
    for (const bad of ['abc', '1.234', '', '£']) assert.equal(poundsToPence(bad), null, bad);
  });

  test('pence are shown as pounds', () => {
    assert.equal(formatPence(125050), '£1,250.50');
    assert.equal(formatPence(0), '£0.00');
  });
});
