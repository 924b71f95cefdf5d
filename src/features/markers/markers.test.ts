import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { memberOf, testApp } from '../../../test/app.ts';
import { incident, organisation } from '../../../test/factories.ts';
import { longDate } from '../../domain/dates.ts';
import { addMonths, latestReviewDate, londonToday, reviewDateProblem } from '../../domain/markers.ts';
import { inScope } from '../../platform/tenancy.ts';
import { markersService } from './service.ts';

const t = await testApp();
const db = t.db.owner;
const today = londonToday();
const inMonths = (m: number) => addMonths(today, m);

const orgA = await organisation(db);
const orgB = await organisation(db);
const incA = await incident(db, { orgId: orgA.id });
const incA2 = await incident(db, { orgId: orgA.id });
const incB = await incident(db, { orgId: orgB.id });
const lsms = await memberOf(t, 'security_specialist', orgA);
const smd = await memberOf(t, 'smd', orgA);
const manager = await memberOf(t, 'manager', orgA);

const count = async (table: 'warning_markers' | 'warning_marker_reviews' | 'warning_marker_incidents') =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const audits = async (action: string) =>
  Number(
    (
      await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .executeTakeFirstOrThrow()
    ).n,
  );

const addressMarker = (over: Record<string, unknown> = {}) => ({
  subjectKind: 'address',
  address: '12 Mill Lane, Testville',
  notPublicPlace: true,
  risk: 'A resident threatened a paramedic with a knife.',
  handlingAdvice: 'Attend in pairs and ask the police to attend.',
  reviewDue: inMonths(6),
  incidents: [incA.reference],
  ...over,
});

const create = async (body: Record<string, unknown>) => {
  const res = await lsms.client.json('POST', '/api/v1/markers', body);
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
};

describe('review date rule', () => {
  test('a review date must be after today and no more than 12 months ahead; month ends fall back', () => {
    assert.equal(addMonths('2026-01-31', 1), '2026-02-28');
    assert.equal(addMonths('2027-02-29'.replace('29', '28'), 12), '2028-02-28');
    assert.equal(latestReviewDate('2026-11-24'), '2027-11-24');
    assert.equal(reviewDateProblem('2027-11-24', '2026-11-24'), null);
    assert.match(reviewDateProblem('2027-11-25', '2026-11-24') ?? '', /no more than 12 months/);
    assert.match(reviewDateProblem('2026-11-24', '2026-11-24') ?? '', /in the future/);
  });
});

describe('placing markers', () => {
  test('the security specialist places an address marker linked to its incident, with a review date, and it is audited', async () => {
    const before = await audits('marker.create');
    const id = await create(addressMarker({ incidents: [incA.reference, incA2.reference.toLowerCase()] }));
    const res = await lsms.client.get(`/api/v1/markers/${id}`);
    assert.equal(res.statusCode, 200);
    const m = res.json() as { reviewDue: string; incidents: { reference: string }[]; reviews: { decision: string; nextReviewDue: string }[]; status: string };
    assert.equal(m.reviewDue, inMonths(6));
    assert.equal(m.status, 'active');
    assert.deepEqual(m.incidents.map((i) => i.reference).sort(), [incA.reference, incA2.reference].sort());
    assert.deepEqual(
      m.reviews.map((r) => [r.decision, r.nextReviewDue]),
      [['created', inMonths(6)]],
    );
    assert.equal(await audits('marker.create'), before + 1);
  });

  test('an individual marker is placed through the form, and the page shows it with links to its cases', async () => {
    const res = await lsms.client.post('/markers', {
      subjectKind: 'individual',
      personName: 'Alex Smith',
      personDateOfBirth: '1980-03-27',
      risk: 'Punched a nurse',
      handlingAdvice: 'See with security present',
      reviewDue: inMonths(12),
      incidents: incA.reference,
    });
    assert.equal(res.statusCode, 303, res.body);
    const page = await lsms.client.get(res.headers.location as string);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Alex Smith, born 27 March 1980/);
    assert.match(page.body, new RegExp(`href="/cases/${incA.id}">${incA.reference}<`));
    assert.match(page.body, /<caption[^>]*>\s*Decisions on this marker/);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no review date', { reviewDue: '' }, 'Enter the date the marker must be reviewed by'],
    ['a review date one day more than 12 months ahead', { reviewDue: nextDay(latestReviewDate(today)) }, 'no more than 12 months'],
    ['a review date in the past', { reviewDue: inMonths(-1) }, 'in the future'],
    ['an impossible review date', { reviewDue: '2026-02-30' }, 'real date'],
    ['no incident', { incidents: [] }, 'at least one incident'],
    ['an incident of another organisation', { incidents: [incB.reference] }, `No incident of your organisation has the reference ${incB.reference}`],
    ['an unknown incident', { incidents: ['XXX-2026-999999'] }, 'No incident of your organisation'],
    ['no address', { address: '' }, 'Enter the address'],
    ['an address not confirmed as private', { notPublicPlace: false }, 'not a public place'],
    ['no risk', { risk: ' ' }, 'Describe the risk'],
    ['no advice', { handlingAdvice: undefined }, 'advice for staff'],
    ['an unknown subject', { subjectKind: 'vehicle' }, 'address or an individual'],
    ['an individual with neither name nor description', { subjectKind: 'individual' }, 'name, or a description'],
  ];
  for (const [what, over, message] of bad)
    test(`the API refuses a marker with ${what} (400) and writes nothing`, async () => {
      const before = [await count('warning_markers'), await count('warning_marker_reviews'), await count('warning_marker_incidents')];
      const body = addressMarker(over);
      const res = await lsms.client.json('POST', '/api/v1/markers', body);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(res.body.includes(message), res.body);
      assert.deepEqual([await count('warning_markers'), await count('warning_marker_reviews'), await count('warning_marker_incidents')], before);
    });

  test('the new-marker and review forms render with labelled fields and the 12-month limit, and prefill an incident', async () => {
    const form = await lsms.client.get(`/markers/new?incident=${incA.reference}`);
    assert.equal(form.statusCode, 200);
    for (const id of ['address', 'personName', 'personDateOfBirth', 'risk', 'handlingAdvice', 'incidents', 'reviewDue'])
      assert.match(form.body, new RegExp(`<label[^>]*for="${id}"`));
    assert.match(form.body, new RegExp(`on or before ${longDate(latestReviewDate(today))}`));
    assert.match(form.body, new RegExp(`value="${incA.reference}"`));
    assert.match(form.body, /name="_csrf"/);
    const id = await create(addressMarker());
    const review = await lsms.client.get(`/markers/${id}/review`);
    assert.equal(review.statusCode, 200);
    for (const f of ['decision', 'reason', 'reviewDue', 'risk', 'handlingAdvice']) assert.match(review.body, new RegExp(`<label[^>]*for="${f}"`));
  });

  test('the form shows an error summary for bad input and keeps what was typed', async () => {
    const before = await count('warning_markers');
    const res = await lsms.client.post('/markers', {
      subjectKind: 'address',
      address: '1 Road',
      risk: 'Dog',
      handlingAdvice: '',
      reviewDue: '',
      incidents: '',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /There is a problem/);
    assert.match(res.body, /Enter the date the marker must be reviewed by/);
    assert.match(res.body, /at least one incident/);
    assert.match(res.body, /1 Road/);
    assert.equal(await count('warning_markers'), before);
  });

  test('the database refuses a marker without a review date, or with one more than 12 months after its decision', async () => {
    const row = {
      org_id: orgA.id,
      subject_kind: 'address' as const,
      address: '1 Road',
      not_public_place: true,
      risk: 'r',
      handling_advice: 'a',
      decided_on: '2026-01-10',
    };
    await assert.rejects(
      db
        .insertInto('warning_markers')
        .values({ ...row, review_due: null })
        .execute(),
      /check/,
    );
    await assert.rejects(
      db
        .insertInto('warning_markers')
        .values({ ...row, review_due: '2027-01-11' })
        .execute(),
      /check/,
    );
  });

  test('markers are never deleted: the application role may not delete them, their links or their trail', async () => {
    const id = await create(addressMarker());
    await assert.rejects(
      inScope(t.db.app, { orgId: orgA.id }, (tx) => tx.deleteFrom('warning_markers').where('id', '=', id).execute()),
      /permission denied/,
    );
    await assert.rejects(
      inScope(t.db.app, { orgId: orgA.id }, (tx) => tx.deleteFrom('warning_marker_reviews').where('marker_id', '=', id).execute()),
      /permission denied|append-only/,
    );
  });
});

describe('reviews and the due list', () => {
  test('keep, vary and remove are recorded in the trail with reason, reviewer and dates; removal keeps the marker', async () => {
    const id = await create(addressMarker({ reviewDue: inMonths(1) }));
    const kept = await lsms.client.json('POST', `/api/v1/markers/${id}/reviews`, { decision: 'kept', reason: 'Still a risk', reviewDue: inMonths(3) });
    assert.equal(kept.statusCode, 201, kept.body);
    const varied = await lsms.client.post(`/markers/${id}/review`, {
      decision: 'varied',
      reason: 'Police advice changed',
      reviewDue: inMonths(4),
      risk: 'Threats only, no weapon since',
      handlingAdvice: 'Attend in pairs.',
    });
    assert.equal(varied.statusCode, 303, varied.body);
    const removed = await lsms.client.json('POST', `/api/v1/markers/${id}/reviews`, { decision: 'removed', reason: 'Resident moved away' });
    assert.equal(removed.statusCode, 201, removed.body);
    const m = (await lsms.client.get(`/api/v1/markers/${id}`)).json() as {
      status: string;
      reviewDue: string | null;
      risk: string;
      reviews: {
        decision: string;
        reason: string;
        reviewer: string;
        previousReviewDue: string | null;
        nextReviewDue: string | null;
        changes: Record<string, unknown>;
      }[];
    };
    assert.equal(m.status, 'removed');
    assert.equal(m.reviewDue, null);
    assert.equal(m.risk, 'Threats only, no weapon since');
    assert.deepEqual(
      m.reviews.map((r) => [r.decision, r.reason, r.previousReviewDue, r.nextReviewDue]),
      [
        ['created', `Placed after incident ${incA.reference}`, null, inMonths(1)],
        ['kept', 'Still a risk', inMonths(1), inMonths(3)],
        ['varied', 'Police advice changed', inMonths(3), inMonths(4)],
        ['removed', 'Resident moved away', inMonths(4), null],
      ],
    );
    assert.equal(m.reviews[1]?.reviewer, lsms.user.name);
    assert.deepEqual(Object.keys(m.reviews[2]?.changes ?? {}).sort(), ['handlingAdvice', 'risk']);
    assert.equal((m.reviews[2]?.changes as { risk?: { from: string } } | undefined)?.risk?.from, 'A resident threatened a paramedic with a knife.');
    // a removed marker is still listed, and cannot be reviewed again
    const again = await lsms.client.json('POST', `/api/v1/markers/${id}/reviews`, { decision: 'kept', reason: 'x', reviewDue: inMonths(2) });
    assert.equal(again.statusCode, 400);
    const all = await lsms.client.get('/markers');
    assert.match(all.body, new RegExp(`/markers/${id}`));
  });

  const badReviews: [string, Record<string, unknown>, string][] = [
    ['no decision', { reason: 'x', reviewDue: inMonths(2) }, 'Select the review decision'],
    ['no reason', { decision: 'kept', reviewDue: inMonths(2) }, 'Enter the reason'],
    ['no next review date', { decision: 'kept', reason: 'x' }, 'Enter the date of the next review'],
    ['a next review more than 12 months ahead', { decision: 'kept', reason: 'x', reviewDue: inMonths(13) }, 'no more than 12 months'],
    [
      'a variation that changes nothing',
      { decision: 'varied', reason: 'x', reviewDue: inMonths(2), risk: 'A resident threatened a paramedic with a knife.' },
      'Change the risk',
    ],
  ];
  for (const [what, body, message] of badReviews)
    test(`a review with ${what} is refused (400) and nothing is written`, async () => {
      const id = await create(addressMarker());
      const before = await count('warning_marker_reviews');
      const res = await lsms.client.json('POST', `/api/v1/markers/${id}/reviews`, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(res.body.includes(message), res.body);
      assert.equal(await count('warning_marker_reviews'), before);
      const page = await lsms.client.post(`/markers/${id}/review`, body as Record<string, string>);
      assert.equal(page.statusCode, 400);
      assert.match(page.body, /There is a problem/);
      assert.equal(await count('warning_marker_reviews'), before);
    });

  test('the due list holds live markers whose review date has come, and not removed or later ones', async () => {
    const org = await organisation(db);
    const inc = await incident(db, { orgId: org.id });
    const { client } = await memberOf(t, 'security_specialist', org);
    const later = await client.json('POST', '/api/v1/markers', addressMarker({ incidents: [inc.reference], address: 'Later Road' }));
    assert.equal(later.statusCode, 201);
    // A marker whose review date has come: written as if decided a month ago (the service only allows future dates).
    const due = await db
      .insertInto('warning_markers')
      .values({
        org_id: org.id,
        subject_kind: 'address',
        address: 'Due Road',
        not_public_place: true,
        risk: 'r',
        handling_advice: 'a',
        decided_on: inMonths(-1),
        review_due: today,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await client.get('/api/v1/markers?due=1');
    assert.equal(res.statusCode, 200);
    const list = res.json() as { id: string; due: boolean }[];
    assert.deepEqual(
      list.map((m) => [m.id, m.due]),
      [[due.id, true]],
    );
    const page = await client.get('/markers?due=1');
    assert.match(page.body, /Due Road/);
    assert.doesNotMatch(page.body, /Later Road/);
    assert.match(page.body, /<caption[^>]*>\s*Warning markers due for review/);
    assert.equal(((await client.get('/api/v1/markers')).json() as unknown[]).length, 2);
  });

  test('`due` is optional; true/1 and false/0 are read as such, and an unknown value is a 400 naming the field', async () => {
    const { client } = await memberOf(t, 'security_specialist', await organisation(db));
    for (const q of ['', '?due=', '?due=0', '?due=false', '?due=1', '?due=true']) assert.equal((await client.get(`/api/v1/markers${q}`)).statusCode, 200, q);
    const listed = await audits('marker.list');
    for (const q of ['?due=yes', '?due=1&due=1']) {
      const res = await client.get(`/api/v1/markers${q}`);
      assert.equal(res.statusCode, 400, q);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.deepEqual(res.json().errors, [{ field: 'due', message: 'due must be true or false (or 1 or 0)' }], q);
    }
    const page = await client.get('/markers?due=yes');
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /due must be true or false \(or 1 or 0\)/);
    assert.equal(await audits('marker.list'), listed, 'a refused list is not read');
  });
});

describe('who may see and change markers', () => {
  test('the SMD and managers read markers (audited) but may not place or review them', async () => {
    const id = await create(addressMarker());
    const reads = await audits('marker.read');
    for (const who of [smd, manager]) {
      assert.equal((await who.client.get('/markers')).statusCode, 200);
      assert.equal((await who.client.get(`/markers/${id}`)).statusCode, 200);
      assert.equal((await who.client.get('/markers/new')).statusCode, 403);
      assert.equal((await who.client.json('POST', '/api/v1/markers', addressMarker())).statusCode, 403);
      assert.equal((await who.client.json('POST', `/api/v1/markers/${id}/reviews`, { decision: 'removed', reason: 'x' })).statusCode, 403);
    }
    assert.equal(await audits('marker.read'), reads + 2);
  });

  test('reporters and board members may not see markers; another organisation’s marker is not found', async () => {
    const id = await create(addressMarker());
    for (const role of ['reporter', 'board_viewer'] as const) {
      const { client } = await memberOf(t, role, orgA);
      assert.equal((await client.get('/markers')).statusCode, 403);
      assert.equal((await client.get('/api/v1/markers')).statusCode, 403);
    }
    const other = await memberOf(t, 'security_specialist', orgB);
    assert.equal((await other.client.get(`/api/v1/markers/${id}`)).statusCode, 404);
    assert.equal((await other.client.json('POST', `/api/v1/markers/${id}/reviews`, { decision: 'removed', reason: 'x' })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/markers' })).statusCode, 401);
  });

  test('the service checks access before anything else', async () => {
    const service = markersService(t.db.app);
    await assert.rejects(service.list(null, {}), /sign in/i);
  });
});

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
