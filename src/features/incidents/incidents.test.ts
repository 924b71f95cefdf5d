import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { organisation, site } from '../../../test/factories.ts';
import { formatReference, londonParts, londonYear } from '../../domain/incidents.ts';
import { auditRecord } from '../../platform/audit.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { report as buildReport, incidentsRepository } from './repository.ts';
import { incidentInput } from './schema.ts';

const t = await testApp();
const db = t.db.owner;

const count = async (table: 'incidents' | 'incident_drafts' | 'incident_people' | 'incident_events', orgId?: string) => {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
  if (orgId) q = q.where('org_id', '=', orgId);
  return Number((await q.executeTakeFirstOrThrow()).n);
};
const auditCount = async (action: string, objectId?: string) => {
  let q = db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('action', '=', action);
  if (objectId) q = q.where('object_id', '=', objectId);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

const orgAuditCount = async (action: string, orgId: string) =>
  Number(
    (
      await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow()
    ).n,
  );

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

/** A valid JSON report: a physical assault in the community, an hour ago. */
const report = (over: Record<string, unknown> = {}) => ({
  category: 'physical_assault',
  occurredAt: hoursAgo(1).toISOString(),
  locationKind: 'community',
  communityAddress: '12 Mill Lane, Testville',
  affected: [{ type: 'staff', name: 'Sam Carter', staffRole: 'Paramedic' }],
  assailants: [{ type: 'patient', name: 'Alex Smith', dateOfBirth: '1980-03-27', description: 'Tall, grey coat' }],
  injured: true,
  injuryDescription: 'Bruised arm',
  examinedWithin48h: 'not_yet',
  medicalFactors: 'no',
  aggravatingFactors: ['alcohol'],
  policeInvolved: true,
  policeAttended: true,
  policeOfficerName: 'PC Jones',
  policeOfficerNumber: '1234',
  policeStation: 'Testville',
  crimeReference: 'CR/2026/1',
  narrative: 'The patient punched the paramedic on the arm while being helped into the ambulance.',
  ...over,
});

/** The report form's fields for an incident `ago` hours ago at `siteId`. */
const form = (siteId: string, ago = 1, over: Record<string, string | string[]> = {}) => {
  const p = londonParts(hoursAgo(ago));
  return {
    idempotencyKey: randomUUID(),
    category: 'non_physical_assault',
    'occurredAt[day]': String(p.day),
    'occurredAt[month]': String(p.month),
    'occurredAt[year]': String(p.year),
    'occurredAt[time]': `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`,
    locationKind: 'site',
    siteId,
    'affected.0.type': 'staff',
    'affected.0.name': 'Jo Bloggs',
    'affected.0.staffRole': 'Staff nurse',
    injured: 'no',
    policeInvolved: 'no',
    narrative: 'A visitor shouted abuse at the nurse at the ward desk.',
    ...over,
  };
};

/** The references of the replies that created an incident (201), in order. */
const createdReferences = (replies: Awaited<ReturnType<Client['json']>>[]) =>
  replies
    .filter((r) => r.statusCode === 201)
    .map((r) => r.json().reference as string)
    .sort();
/** `n` references of an organisation and year, numbered on from `first`. */
const consecutiveReferences = (code: string, year: number, first: number, n: number) =>
  Array.from({ length: n }, (_, i) => formatReference(code, year, first + i));

const reporterWithSite = async () => {
  const m = await memberOf(t, 'reporter');
  const s = await site(db, { orgId: m.org.id, name: 'Hilltop Hospital' });
  return { ...m, site: s };
};

/** Each body is refused by the API with a 400 naming its field with its message; nothing is stored. */
async function refusedEach(client: Client, orgId: string, cases: [Record<string, unknown>, string, RegExp][]) {
  for (const [body, field, message] of cases) {
    const res = await client.json('POST', '/api/v1/incidents', body);
    assert.equal(res.statusCode, 400, res.body);
    const e = res.json().errors.find((x: { field: string }) => x.field === field);
    assert.ok(e, `${field} in ${res.body}`);
    assert.match(e.message, message);
  }
  assert.equal(await count('incidents', orgId), 0);
}

/** The hidden fields of the check page: the key and the fingerprint of the answers shown. */
const checkPage = async (client: Client, url = '/incidents/new/check') => {
  const res = await client.get(url);
  return {
    res,
    key: /name="idempotencyKey" value="([^"]+)"/.exec(res.body)?.[1] as string,
    reviewed: /name="reviewed" value="([0-9a-f]{64})"/.exec(res.body)?.[1] as string,
  };
};

describe('incident API: access', () => {
  test('anonymous requests get 401 problem details and nothing is written', async () => {
    await signedIn(t, [[null, 'administrator']]); // set-up is over once a user exists
    const anon = new Client(t.app);
    const before = await count('incidents');
    for (const res of [
      await anon.json('POST', '/api/v1/incidents', report()),
      await anon.get('/api/v1/incidents/mine'),
      await anon.get(`/api/v1/incidents/${randomUUID()}`),
    ]) {
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    }
    assert.equal(await count('incidents'), before);
  });

  test('a user without the reporter role in the acting organisation is refused (403)', async () => {
    const { client } = await memberOf(t, 'manager');
    assert.equal((await client.json('POST', '/api/v1/incidents', report())).statusCode, 403);
    assert.equal((await client.get('/api/v1/incidents/mine')).statusCode, 403);
    assert.equal((await client.get('/incidents/new')).statusCode, 403);
    assert.equal((await client.get('/incidents/mine')).statusCode, 403);
  });

  test('a script without the CSRF header cannot submit with the session cookie', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', payload: report(), headers: { cookie: client.cookieHeader() } });
    assert.equal(res.statusCode, 403);
    assert.equal(await count('incidents', org.id), 0);
  });
});

describe('incident API: submission', () => {
  test('a reporter submits a report and gets a reference at once; people, history and audit are written with it', async () => {
    const { client, org, user } = await memberOf(t, 'reporter');
    const res = await client.json('POST', '/api/v1/incidents', report());
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.equal(body.reference, `${org.code}-${londonYear(new Date())}-000001`);
    assert.equal(body.status, 'reported');
    assert.equal(body.statusLabel, 'Reported');
    assert.equal(body.categoryLabel, 'Physical assault');
    assert.equal(body.late, false);
    assert.equal(res.headers.location, `/api/v1/incidents/${body.id}`);
    assert.equal(body.narrative, undefined, 'the submission response does not echo personal data');
    const row = await db.selectFrom('incidents').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    assert.equal(row.reported_by, user.id);
    assert.equal(row.org_id, org.id);
    assert.deepEqual(row.aggravating_factors, ['alcohol']);
    assert.equal(row.police_attended, true);
    assert.equal(row.crime_reference, 'CR/2026/1');
    const people = await db.selectFrom('incident_people').selectAll().where('incident_id', '=', body.id).orderBy('involvement').execute();
    assert.deepEqual(
      people.map((p) => [p.involvement, p.person_type, p.name, p.date_of_birth]),
      [
        ['affected', 'staff', 'Sam Carter', null],
        ['assailant', 'patient', 'Alex Smith', '1980-03-27'],
      ],
    );
    const events = await db.selectFrom('incident_events').selectAll().where('incident_id', '=', body.id).execute();
    assert.deepEqual(
      events.map((e) => [e.from_status, e.to_status, e.actor_id]),
      [[null, 'reported', user.id]],
    );
    const a = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'incident.create')
      .where('object_id', '=', body.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(a.detail, { reference: body.reference, category: 'physical_assault', late: false, via: 'api' });
  });

  test('the same Idempotency-Key returns the same incident (200), never a second one', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const key = randomUUID();
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        payload: body,
        headers: { cookie: client.cookieHeader(), 'x-csrf-token': token, 'idempotency-key': key },
      });
    const body = report();
    await client.get('/accessibility');
    const token = /<meta name="csrf-token" content="([^"]*)"/.exec((await client.get('/accessibility')).body)?.[1] as string;
    const first = await send();
    const again = await send();
    assert.equal(first.statusCode, 201);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().id, first.json().id);
    assert.equal(again.json().reference, first.json().reference);
    assert.equal(await count('incidents', org.id), 1);
    assert.equal(await auditCount('incident.create', first.json().id), 1);
  });

  test('a concurrent double submit with one key makes exactly one incident, and every reply names it', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const token = /<meta name="csrf-token" content="([^"]*)"/.exec((await client.get('/accessibility')).body)?.[1] as string;
    const key = randomUUID();
    const body = report();
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/incidents',
          payload: body,
          headers: { cookie: client.cookieHeader(), 'x-csrf-token': token, 'idempotency-key': key },
        }),
      ),
    );
    assert.deepEqual(replies.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(replies.map((r) => r.json().id)).size, 1);
    assert.equal(await count('incidents', org.id), 1);
    // the losing transactions rolled back their counter increment: the next report is number 2
    const next = await client.json('POST', '/api/v1/incidents', report());
    assert.match(next.json().reference, /-000002$/);
  });

  test('the same key with a different report is refused (409) and nothing is written', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const token = /<meta name="csrf-token" content="([^"]*)"/.exec((await client.get('/accessibility')).body)?.[1] as string;
    const key = randomUUID();
    const send = (b: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        payload: b as object,
        headers: { cookie: client.cookieHeader(), 'x-csrf-token': token, 'idempotency-key': key },
      });
    assert.equal((await send(report())).statusCode, 201);
    const res = await send(report({ narrative: 'Something else entirely happened here.' }));
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().errors[0].field, 'idempotencyKey');
    assert.equal(await count('incidents', org.id), 1);
  });

  test('concurrent reports take consecutive references per organisation, and another organisation starts at 1', async () => {
    const a = await memberOf(t, 'reporter');
    const b = await memberOf(t, 'reporter');
    const replies = await Promise.all(Array.from({ length: 10 }, () => a.client.json('POST', '/api/v1/incidents', report())));
    assert.ok(replies.every((r) => r.statusCode === 201));
    const year = londonYear(new Date());
    const refs = replies.map((r) => r.json().reference).sort();
    assert.deepEqual(
      refs,
      Array.from({ length: 10 }, (_, i) => `${a.org.code}-${year}-${String(i + 1).padStart(6, '0')}`),
    );
    const other = await b.client.json('POST', '/api/v1/incidents', report());
    assert.equal(other.json().reference, `${b.org.code}-${year}-000001`);
  });

  test('reports sent together by several organisations are stored together, numbered per organisation without gaps (issue 4 benchmark)', async () => {
    const members = await Promise.all([memberOf(t, 'reporter'), memberOf(t, 'reporter'), memberOf(t, 'reporter')]);
    const year = londonYear(new Date());
    const retried = randomUUID();
    // one body for both sends of the retry: report() stamps the time it is called, and two calls a millisecond
    // apart are two different reports (the service rightly answered the second with 409)
    const retry = report({ narrative: 'Report 0-4: the patient pushed the nurse.' });
    const sends = members.flatMap((m, n) =>
      Array.from({ length: 6 }, (_, i) =>
        // the first organisation's reporter sends one report twice at once with the same key (a retry)
        n === 0 && i >= 4
          ? m.client.json('POST', '/api/v1/incidents', retry, { 'idempotency-key': retried })
          : m.client.json('POST', '/api/v1/incidents', report({ narrative: `Report ${n}-${i}: the patient pushed the nurse.` })),
      ),
    );
    const replies = await Promise.all(sends);
    for (const [n, m] of members.entries()) {
      const mine = replies.slice(n * 6, n * 6 + 6);
      const made = n === 0 ? 5 : 6;
      assert.deepEqual(
        [...new Set(mine.map((r) => r.json().reference))].sort(),
        Array.from({ length: made }, (_, i) => formatReference(m.org.code, year, i + 1)),
      );
      assert.equal(await count('incidents', m.org.id), made);
      assert.equal(await count('incident_people', m.org.id), made * 2);
      assert.equal(await count('incident_events', m.org.id), made);
      assert.equal(await orgAuditCount('incident.create', m.org.id), made);
      const counter = await db
        .selectFrom('incident_reference_counters')
        .select('last_value')
        .where('org_id', '=', m.org.id)
        .where('year', '=', year)
        .executeTakeFirstOrThrow();
      assert.equal(counter.last_value, made);
    }
    const [one, two] = [replies[4], replies[5]];
    assert.deepEqual([one?.statusCode, two?.statusCode].sort(), [200, 201]);
    assert.equal(one?.json().id, two?.json().id);
    // each report's narrative went to its own incident, in its own organisation
    for (const [n, m] of members.entries()) {
      const rows = await db.selectFrom('incidents').select(['narrative', 'reference']).where('org_id', '=', m.org.id).execute();
      assert.ok(rows.every((r) => r.narrative.startsWith(`Report ${n}-`)));
    }
    // rows committed by one transaction share its id (xmin): fewer transactions than reports means they went together
    const { rows: txs } = await sql<{ n: number }>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM incidents WHERE org_id = ANY(${members.map((m) => m.org.id)}::uuid[])
    `.execute(db);
    assert.ok((txs[0]?.n ?? 0) < 17, `17 reports in ${txs[0]?.n} transactions`);
  });

  test('a report the database refuses fails alone: the others sent with it are stored, and no number is skipped', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const year = londonYear(new Date());
    const refused = 'This narrative is refused by a constraint the test adds.';
    await sql`ALTER TABLE incidents ADD CONSTRAINT test_refuse CHECK (narrative <> ${sql.lit(refused)})`.execute(db);
    try {
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) => client.json('POST', '/api/v1/incidents', report(i === 3 ? { narrative: refused } : {}))),
      );
      assert.deepEqual(
        replies.map((r) => r.statusCode),
        [201, 201, 201, 500, 201, 201],
      );
      assert.deepEqual(createdReferences(replies), consecutiveReferences(org.code, year, 1, 5));
      assert.equal(await count('incidents', org.id), 5);
      assert.equal(await orgAuditCount('incident.create', org.id), 5);
    } finally {
      await sql`ALTER TABLE incidents DROP CONSTRAINT test_refuse`.execute(db);
    }
  });

  test('a retry of a committed report sent among new ones is answered with the first report, and no number is skipped', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const year = londonYear(new Date());
    const key = randomUUID();
    const sentTwice = report({ narrative: 'The first report, sent again below.' });
    const first = await client.json('POST', '/api/v1/incidents', sentTwice, { 'idempotency-key': key });
    assert.equal(first.statusCode, 201);
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i === 3
          ? client.json('POST', '/api/v1/incidents', sentTwice, { 'idempotency-key': key })
          : client.json('POST', '/api/v1/incidents', report({ narrative: `New report ${i}.` })),
      ),
    );
    assert.deepEqual(
      replies.map((r) => r.statusCode),
      [201, 201, 201, 200, 201, 201],
    );
    assert.equal(replies[3]?.json().id, first.json().id);
    assert.deepEqual(createdReferences(replies), consecutiveReferences(org.code, year, 2, 5));
    assert.equal(await count('incidents', org.id), 6);
    assert.equal(await orgAuditCount('incident.create', org.id), 6);
  });

  test('a batch holding a key a committed report has writes nothing and says so (WD002); its other reports are then stored together', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const year = londonYear(new Date());
    const key = randomUUID();
    await client.json('POST', '/api/v1/incidents', report(), { 'idempotency-key': key });
    const made = await db.selectFrom('incidents').select(['reported_by', 'reported_at']).where('org_id', '=', org.id).executeTakeFirstOrThrow();
    const batch = [randomUUID(), key, randomUUID()].map((k) => {
      const input = parse(incidentInput, report());
      const fresh = {
        orgId: org.id,
        year,
        reportedAt: made.reported_at,
        reportedBy: made.reported_by,
        reportedByToken: null,
        input,
        late: false,
        lateReason: null,
        idempotencyKey: k,
        fingerprint: 'f',
      };
      return buildReport(fresh, made.reported_by, auditRecord(null, { action: 'incident.create', orgId: org.id, objectType: 'incident' }));
    });
    const counter = async () =>
      (await db.selectFrom('incident_reference_counters').select('last_value').where('org_id', '=', org.id).where('year', '=', year).executeTakeFirstOrThrow())
        .last_value;
    await assert.rejects(
      sql`SELECT * FROM warden_report_incidents(${year}, ${JSON.stringify(batch)}::jsonb)`.execute(t.db.app),
      (err: { code?: string }) => err.code === 'WD002',
    );
    assert.equal(await count('incidents', org.id), 1);
    assert.equal(await counter(), 1, 'no number taken');
    // the repository then leaves the taken key out and stores the other two in one transaction
    const stored = await incidentsRepository.insertMany(t.db.app, year, batch);
    assert.equal(stored[1], null, 'the retry is not stored again');
    assert.deepEqual([stored[0]?.reference, stored[2]?.reference], [formatReference(org.code, year, 2), formatReference(org.code, year, 3)]);
    assert.equal(await count('incidents', org.id), 3);
    assert.equal(await counter(), 3);
    const { rows } = await sql<{ n: number }>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM incidents WHERE id = ANY(${[stored[0]?.id, stored[2]?.id]}::uuid[])
    `.execute(db);
    assert.equal(rows[0]?.n, 1, 'one transaction for the two');
  });

  test('a batch stored inside a scoped transaction leaves that transaction scoped to its organisation', async () => {
    const mine = await memberOf(t, 'reporter');
    const other = await memberOf(t, 'reporter');
    await other.client.json('POST', '/api/v1/incidents', report());
    const seen = await inScope(t.db.app, { orgId: mine.org.id }, async (tx) => {
      await incidentsRepository.insertMany(tx, londonYear(new Date()), []);
      return tx.selectFrom('incidents').select('org_id').execute();
    });
    assert.deepEqual(seen, [], 'no other organisation’s report comes into sight');
    assert.equal(await count('incidents', other.org.id), 1);
  });

  test('the reference sequence is per year: a new year starts again, an existing one carries on', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const year = londonYear(new Date());
    await db
      .insertInto('incident_reference_counters')
      .values([
        { org_id: org.id, year: year - 1, last_value: 41 },
        { org_id: org.id, year, last_value: 122 },
      ])
      .execute();
    const res = await client.json('POST', '/api/v1/incidents', report());
    assert.equal(res.json().reference, `${org.code}-${year}-000123`);
    const last = await db
      .selectFrom('incident_reference_counters')
      .select('last_value')
      .where('org_id', '=', org.id)
      .where('year', '=', year - 1)
      .executeTakeFirstOrThrow();
    assert.equal(last.last_value, 41);
  });

  test('references made by the database follow the domain rule, widening past 999,999', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const year = londonYear(new Date());
    await db.insertInto('incident_reference_counters').values({ org_id: org.id, year, last_value: 999_999 }).execute();
    const res = await client.json('POST', '/api/v1/incidents', report());
    assert.equal(res.json().reference, formatReference(org.code, year, 1_000_000));
  });

  test('a late report is accepted and flagged with its reason; a report within the shift is not', async () => {
    const { client } = await memberOf(t, 'reporter');
    const late = await client.json('POST', '/api/v1/incidents', report({ occurredAt: hoursAgo(20).toISOString() }));
    assert.equal(late.statusCode, 201);
    assert.equal(late.json().late, true);
    assert.match(late.json().lateReason, /20 hours after the incident, more than 12 hours \(003 §2\.2\.3\.7\)/);
    const afterShift = await client.json('POST', '/api/v1/incidents', report({ occurredAt: hoursAgo(3).toISOString(), shiftEnd: hoursAgo(1).toISOString() }));
    assert.equal(afterShift.json().late, true);
    assert.match(afterShift.json().lateReason, /after the end of the reporter's shift/);
    const inShift = await client.json('POST', '/api/v1/incidents', report({ occurredAt: hoursAgo(3).toISOString(), shiftEnd: hoursAgo(-2).toISOString() }));
    assert.equal(inShift.json().late, false);
  });

  test('bad input gets a clear message for the field, and nothing is written', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const foreign = await site(db);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [report({ category: undefined }), 'category', /Select the type of incident/],
      [report({ category: 'shoplifting' }), 'category', /Select the type of incident/],
      [report({ occurredAt: new Date(Date.now() + 3_600_000).toISOString() }), 'occurredAt', /must be in the past/],
      [report({ occurredAt: 'yesterday' }), 'occurredAt', /Enter the date and time/],
      [report({ propertyDescription: 'Phone', propertyValuePence: -100 }), 'propertyValuePence', /£0 or more/],
      [report({ assailants: [{ type: 'patient', dateOfBirth: '2999-01-01' }] }), 'assailants.0.dateOfBirth', /Date of birth must be in the past/],
      [report({ assailants: [{ name: 'No type' }] }), 'assailants.0.type', /Select who the person responsible was/],
      [report({ medicalFactors: undefined }), 'medicalFactors', /medical factors/],
      [report({ affected: [] }), 'affected.0.type', /Select who was affected/],
      [report({ communityAddress: undefined }), 'communityAddress', /Enter the address/],
      [report({ locationKind: 'site', siteId: foreign.id }), 'siteId', /Select the site from the list/],
      [report({ narrative: '   ' }), 'narrative', /Enter what happened/],
      [report({ injured: true, injuryDescription: undefined }), 'injuryDescription', /Describe the injuries/],
      [report({ shiftEnd: 'teatime' }), 'shiftEnd', /24-hour clock/],
      [report({ aggravatingFactors: ['sexist'] }), 'aggravatingFactors.0', /Select aggravating factors from the list/],
    ];
    for (const [body, field, message] of cases) {
      const res = await client.json('POST', '/api/v1/incidents', body);
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      const e = res.json().errors.find((x: { field: string }) => x.field === field);
      assert.ok(e, `${field} in ${res.body}`);
      assert.match(e.message, message);
    }
    const token = /<meta name="csrf-token" content="([^"]*)"/.exec((await client.get('/accessibility')).body)?.[1] as string;
    const badKey = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: report(),
      headers: { cookie: client.cookieHeader(), 'x-csrf-token': token, 'idempotency-key': 'has spaces in it' },
    });
    assert.equal(badKey.statusCode, 400);
    assert.equal(badKey.json().errors[0].field, 'Idempotency-Key');
    assert.equal(await count('incidents', org.id), 0);
    assert.equal(await orgAuditCount('incident.create', org.id), 0);
  });

  test('a "no" to the police question stores no police details', async () => {
    const { client } = await memberOf(t, 'reporter');
    const res = await client.json(
      'POST',
      '/api/v1/incidents',
      report({
        policeInvolved: false,
        policeAttended: undefined,
        policeOfficerName: undefined,
        policeOfficerNumber: undefined,
        policeStation: undefined,
        crimeReference: undefined,
      }),
    );
    const row = await db.selectFrom('incidents').selectAll().where('id', '=', res.json().id).executeTakeFirstOrThrow();
    assert.equal(row.police_involved, false);
    assert.equal(row.police_attended, false);
    assert.equal(row.police_officer_name, null);
    assert.equal(row.crime_reference, null);
  });
});

describe('incident API: documentation', () => {
  test('the OpenAPI document describes the incident endpoints, the body and the Idempotency-Key header', async () => {
    const res = await new Client(t.app).get('/api/v1/openapi.json');
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    const post = doc.paths['/api/v1/incidents'].post;
    assert.ok(post.requestBody.content['application/json'].schema.properties.narrative);
    assert.ok(post.parameters.some((p: { name: string; in: string }) => p.name === 'idempotency-key' && p.in === 'header'));
    assert.ok(post.responses['201'] && post.responses['200']);
    assert.ok(doc.paths['/api/v1/incidents/mine'].get);
    assert.ok(doc.paths['/api/v1/incidents/{id}'].get);
  });
});

describe('incident API: reading', () => {
  test('a reporter lists only their own reports; a colleague’s and another organisation’s are not found', async () => {
    const me = await memberOf(t, 'reporter');
    const colleague = await signedIn(t, [[me.org.id, 'reporter']]);
    const stranger = await memberOf(t, 'reporter');
    const mine = (await me.client.json('POST', '/api/v1/incidents', report())).json();
    const theirs = (await colleague.client.json('POST', '/api/v1/incidents', report())).json();
    const foreign = (await stranger.client.json('POST', '/api/v1/incidents', report())).json();
    const list = await me.client.get('/api/v1/incidents/mine');
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().map((i: { id: string }) => i.id),
      [mine.id],
    );
    for (const id of [theirs.id, foreign.id, 'not-a-uuid']) {
      const res = await me.client.get(`/api/v1/incidents/${id}`);
      assert.equal(res.statusCode, 404, id);
      assert.doesNotMatch(res.body, /Sam Carter|punched/);
    }
  });

  test('a reporter reads their own report in full, and the read of personal data is audited', async () => {
    const { client } = await memberOf(t, 'reporter');
    const created = (await client.json('POST', '/api/v1/incidents', report())).json();
    const before = await auditCount('incident.read_personal', created.id);
    const res = await client.get(`/api/v1/incidents/${created.id}`);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.reference, created.reference);
    assert.equal(body.narrative, report().narrative);
    assert.equal(body.affected[0].name, 'Sam Carter');
    assert.equal(body.assailants[0].dateOfBirth, '1980-03-27');
    assert.deepEqual(body.police.crimeReference, 'CR/2026/1');
    assert.deepEqual(
      body.history.map((h: { status: string }) => h.status),
      ['reported'],
    );
    assert.equal(body.outcomeSummary, null);
    assert.equal(await auditCount('incident.read_personal', created.id), before + 1);
  });

  test('row-level security keeps one organisation’s incidents from a transaction scoped to another', async () => {
    const a = await memberOf(t, 'reporter');
    const other = await organisation(db);
    const created = (await a.client.json('POST', '/api/v1/incidents', report())).json();
    const seen = await inScope(t.db.app, { orgId: other.id }, (tx) => tx.selectFrom('incidents').select('id').where('id', '=', created.id).execute());
    assert.equal(seen.length, 0);
    const own = await inScope(t.db.app, { orgId: a.org.id }, (tx) => tx.selectFrom('incidents').select('id').where('id', '=', created.id).execute());
    assert.equal(own.length, 1);
  });
});

describe('report pages', () => {
  test('anonymous visitors are sent to sign in', async () => {
    const res = await new Client(t.app).get('/incidents/new');
    assert.equal(res.statusCode, 302);
    assert.match(res.headers.location as string, /^\/sign-in\?next=%2Fincidents%2Fnew/);
  });

  test('the form shows every category with its definition, the late rule, the medical-factors definition and the sites', async () => {
    const { client } = await reporterWithSite();
    const res = await client.get('/incidents/new');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<h1[^>]*>Report an incident<\/h1>/);
    assert.match(res.body, /The intentional application of force to the person of another without lawful justification/);
    assert.match(res.body, /Lone-worker incident/);
    assert.match(res.body, /Near miss/);
    assert.match(res.body, /before the end of your shift/);
    assert.match(res.body, /severe learning disability/);
    assert.match(res.body, /Hilltop Hospital/);
    assert.match(res.body, /name="idempotencyKey" value="[0-9a-f-]{36}"/);
    assert.match(res.body, /name="_csrf"/);
  });

  test('a form sent as a browser sends it, with every optional field blank, is accepted', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const blanks = Object.fromEntries(
      [
        'shiftEnd',
        'departmentId',
        'locationDetail',
        'communityAddress',
        'affected.0.staffRole',
        'injuryDescription',
        'policeOfficerName',
        'policeOfficerNumber',
        'policeStation',
        'crimeReference',
        'cadNumber',
        'assailants.0.name',
        'assailants.0.dateOfBirth[day]',
        'assailants.0.dateOfBirth[month]',
        'assailants.0.dateOfBirth[year]',
        'assailants.0.description',
        'propertyDescription',
        'propertyValue',
        'witnesses',
      ].map((k) => [k, '']),
    );
    const res = await client.post('/incidents/new', { ...blanks, ...form(s.id, 1, { 'affected.0.staffRole': '' }), action: 'check' });
    assert.equal(res.statusCode, 303, res.body.match(/nhsuk-error-summary[\s\S]*?<\/ul>/)?.[0]);
    const cya = await client.get('/incidents/new/check');
    assert.match(cya.body, /Police not involved/);
    assert.equal(await count('incident_drafts', org.id), 1);
  });

  test('JSON nulls count as not given', async () => {
    const { client } = await memberOf(t, 'reporter');
    const res = await client.json(
      'POST',
      '/api/v1/incidents',
      report({ shiftEnd: null, witnesses: null, propertyValuePence: null, assailants: null, aggravatingFactors: null }),
    );
    assert.equal(res.statusCode, 201, res.body);
  });

  test('bad input on the form shows an error summary with each problem, and nothing is written', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const cases: [Record<string, string | string[]>, RegExp][] = [
      [{ ...form(s.id), category: '' }, /Select the type of incident/],
      [form(s.id, -2), /The date and time of the incident must be in the past/],
      [{ ...form(s.id), 'occurredAt[month]': '' }, /The date the incident happened must include a month/],
      [{ ...form(s.id), 'occurredAt[day]': '31', 'occurredAt[month]': '2' }, /must be a real date/],
      [{ ...form(s.id), 'occurredAt[time]': '25:00' }, /24-hour clock/],
      [{ ...form(s.id), propertyDescription: 'Phone', propertyValue: '-5' }, /The value must be £0 or more/],
      [{ ...form(s.id), propertyValue: 'lots' }, /Enter the value as an amount of money/],
      [
        {
          ...form(s.id),
          'assailants.0.type': 'visitor',
          'assailants.0.dateOfBirth[day]': '1',
          'assailants.0.dateOfBirth[month]': '1',
          'assailants.0.dateOfBirth[year]': '2999',
        },
        /Date of birth must be in the past/,
      ],
      [{ ...form(s.id), narrative: '' }, /Enter what happened/],
      [{ ...form(s.id), siteId: '' }, /Select the site where it happened/],
      [{ ...form(s.id), category: 'physical_assault' }, /Select whether medical factors contributed to the assault/],
    ];
    for (const [values, message] of cases) {
      const res = await client.post('/incidents/new', { ...values, action: 'check' });
      assert.equal(res.statusCode, 400, String(message));
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, /<title>Error: /);
      assert.match(res.body, message);
    }
    // Several problems are listed at once.
    const many = await client.post('/incidents/new', { ...form(s.id), category: '', narrative: '', propertyValue: '-1', action: 'check' });
    for (const m of [/Select the type of incident/, /Enter what happened/, /£0 or more/]) assert.match(many.body, m);
    // What was typed is kept.
    assert.match(many.body, /Jo Bloggs/);
    assert.equal(await count('incidents', org.id), 0);
    assert.equal(await count('incident_drafts', org.id), 0);
  });

  test('a report is saved as a draft, resumed later, and the draft can be deleted', async () => {
    const { client, org } = await reporterWithSite();
    const partial = { idempotencyKey: randomUUID(), category: 'theft', narrative: 'Half written: my locker was', propertyValue: '40' };
    const saved = await client.post('/incidents/new', { ...partial, action: 'draft' });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, '/incidents/new?saved=1');
    assert.equal(await count('incident_drafts', org.id), 1);
    const banner = await client.get('/incidents/new?saved=1');
    assert.match(banner.body, /Your draft has been saved/);
    // Later: the form comes back with what was typed, and the same idempotency key.
    const resumed = await client.get('/incidents/new');
    assert.match(resumed.body, /Half written: my locker was/);
    assert.match(resumed.body, new RegExp(`value="${partial.idempotencyKey}"`));
    assert.match(resumed.body, /value="theft" checked/);
    const list = await client.get('/incidents/mine');
    assert.match(list.body, /You have a report you have not sent yet/);
    assert.equal(await orgAuditCount('incident.draft_save', org.id), 1);
    const discard = await client.post('/incidents/new/discard', {});
    assert.equal(discard.statusCode, 303);
    assert.equal(await count('incident_drafts', org.id), 0);
    assert.doesNotMatch((await client.get('/incidents/new')).body, /Half written/);
    assert.equal(await orgAuditCount('incident.draft_discard', org.id), 1);
  });

  test('"Add another person" works without JavaScript and writes nothing', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const res = await client.post('/incidents/new', { ...form(s.id), action: 'add-affected' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /Person affected 2/);
    assert.match(res.body, /name="affected.1.name"/);
    assert.match(res.body, /Jo Bloggs/);
    const more = await client.post('/incidents/new', { ...form(s.id), action: 'add-assailant' });
    assert.match(more.body, /Person responsible 2/);
    assert.equal(await count('incident_drafts', org.id), 0);
  });

  test('a reporter checks their answers, sends the report, sees the reference, and finds it in their reports', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const values = form(s.id, 1, {
      aggravatingFactors: ['racist', 'alcohol'],
      propertyDescription: 'Glasses broken',
      propertyValue: '£120.50',
      witnesses: 'Pat, porter',
    });
    const check = await client.post('/incidents/new', { ...values, action: 'check' });
    assert.equal(check.statusCode, 303);
    assert.equal(check.headers.location, '/incidents/new/check');
    const cya = await client.get('/incidents/new/check');
    assert.equal(cya.statusCode, 200);
    assert.match(cya.body, /Check your answers before sending your report/);
    assert.match(cya.body, /Non-physical assault/);
    assert.match(cya.body, /Hilltop Hospital/);
    assert.match(cya.body, /Racist, Alcohol was involved/);
    assert.match(cya.body, /£120\.50/);
    assert.match(cya.body, /href="\/incidents\/new#category"/);
    assert.match(cya.body, /Send this report before/);
    assert.equal(await count('incidents', org.id), 0, 'nothing is sent before the reporter confirms');

    const sent = await client.post('/incidents/new/submit', { idempotencyKey: values.idempotencyKey });
    assert.equal(sent.statusCode, 303);
    const confirmation = await client.get(sent.headers.location as string);
    const year = londonYear(new Date());
    assert.match(confirmation.body, /Report sent/);
    assert.match(confirmation.body, new RegExp(`${org.code}-${year}-000001`));
    assert.equal(await count('incident_drafts', org.id), 0, 'the draft is gone once sent');
    const row = await db.selectFrom('incidents').selectAll().where('org_id', '=', org.id).executeTakeFirstOrThrow();
    assert.equal(row.property_value_pence, 12050);
    assert.equal(row.site_id, s.id);
    assert.equal(await auditCount('incident.create', row.id), 1);

    const list = await client.get('/incidents/mine');
    assert.match(list.body, new RegExp(`${org.code}-${year}-000001`));
    assert.match(list.body, /Reported/);
    const before = await auditCount('incident.read_personal', row.id);
    const detail = await client.get(`/incidents/mine/${row.id}`);
    assert.equal(detail.statusCode, 200);
    assert.match(detail.body, /A visitor shouted abuse at the nurse/);
    assert.match(detail.body, /Not decided yet/);
    assert.equal(await auditCount('incident.read_personal', row.id), before + 1);
  });

  test('sending the checked report twice, even at once, makes one incident and shows the same reference', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const values = form(s.id);
    await client.post('/incidents/new', { ...values, action: 'check' });
    const token = /<meta name="csrf-token" content="([^"]*)"/.exec((await client.get('/incidents/new/check')).body)?.[1] as string;
    const submit = () =>
      t.app.inject({
        method: 'POST',
        url: '/incidents/new/submit',
        payload: new URLSearchParams({ _csrf: token, idempotencyKey: values.idempotencyKey }).toString(),
        headers: { cookie: client.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      });
    const replies = await Promise.all([submit(), submit(), submit()]);
    const again = await submit();
    const locations = new Set([...replies, again].map((r) => r.headers.location));
    assert.equal(locations.size, 1, [...locations].join(' '));
    assert.match([...locations][0] as string, /^\/incidents\/mine\/[0-9a-f-]{36}\/confirmation$/);
    assert.equal(await count('incidents', org.id), 1);
  });

  test('a submission racing an uncommitted duplicate waits for it, then answers with the committed one', async () => {
    const { client, org, user, site: s } = await reporterWithSite();
    const values = form(s.id);
    await client.post('/incidents/new', { ...values, action: 'check' });
    const { reviewed } = await checkPage(client);
    let pending: ReturnType<typeof client.post> | undefined;
    const winner = await db.transaction().execute(async (trx) => {
      // Another request has inserted the incident with this key (and these answers) and deleted the draft, but
      // not committed yet.
      await trx.deleteFrom('incident_drafts').where('org_id', '=', org.id).execute();
      const row = await trx
        .insertInto('incidents')
        .values({
          org_id: org.id,
          reference: `${org.code}-1999-999999`,
          category: 'non_physical_assault',
          occurred_at: hoursAgo(1),
          reported_by: user.id,
          location_kind: 'community',
          community_address: 'elsewhere',
          narrative: 'the first attempt',
          idempotency_key: values.idempotencyKey,
          idempotency_fingerprint: reviewed,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      pending = client.post('/incidents/new/submit', { idempotencyKey: values.idempotencyKey, reviewed });
      await new Promise((r) => setTimeout(r, 300)); // the submission is now waiting on the unique key
      return row.id;
    });
    const res = await (pending as NonNullable<typeof pending>);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `/incidents/mine/${winner}/confirmation`);
    assert.equal(await count('incidents', org.id), 1);
    // the loser's reference number was rolled back with it: the counter was never left bumped
    const counter = await db.selectFrom('incident_reference_counters').select('last_value').where('org_id', '=', org.id).executeTakeFirst();
    assert.equal(counter, undefined);
  });

  test('a late report shows the rule before sending, and is accepted and flagged', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const values = form(s.id, 30);
    await client.post('/incidents/new', { ...values, action: 'check' });
    const cya = await client.get('/incidents/new/check');
    assert.match(cya.body, /This report will be marked as late/);
    assert.match(cya.body, /003 §2\.2\.3\.7/);
    const sent = await client.post('/incidents/new/submit', { idempotencyKey: values.idempotencyKey });
    const confirmation = await client.get(sent.headers.location as string);
    assert.match(confirmation.body, /marked as late/);
    const row = await db.selectFrom('incidents').select(['is_late', 'late_reason']).where('org_id', '=', org.id).executeTakeFirstOrThrow();
    assert.equal(row.is_late, true);
    assert.match(row.late_reason ?? '', /30 hours after the incident/);
  });

  test('the check page without a finished draft goes back to the form; a stale key does not submit', async () => {
    const { client, org } = await reporterWithSite();
    const res = await client.get('/incidents/new/check');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/incidents/new');
    const stale = await client.post('/incidents/new/submit', { idempotencyKey: randomUUID() });
    assert.equal(stale.headers.location, '/incidents/new/check');
    assert.equal(await count('incidents', org.id), 0);
  });

  test('a reporter cannot open a colleague’s report or another organisation’s, by page or confirmation', async () => {
    const me = await reporterWithSite();
    const colleague = await signedIn(t, [[me.org.id, 'reporter']]);
    const stranger = await memberOf(t, 'reporter');
    const theirs = (await colleague.client.json('POST', '/api/v1/incidents', report())).json();
    const foreign = (await stranger.client.json('POST', '/api/v1/incidents', report())).json();
    for (const id of [theirs.id, foreign.id]) {
      const page = await me.client.get(`/incidents/mine/${id}`);
      assert.equal(page.statusCode, 404);
      assert.doesNotMatch(page.body, /punched/);
      assert.equal((await me.client.get(`/incidents/mine/${id}/confirmation`)).statusCode, 404);
    }
    const list = await me.client.get('/incidents/mine');
    assert.doesNotMatch(list.body, new RegExp(theirs.reference));
    assert.match(list.body, /You have not sent any reports yet/);
  });
});

describe('report form: one idempotency key, one report (issue 4 item 3)', () => {
  test('a second tab that edits the sent form makes a new report under a new key: the edits are kept, nothing is stuck', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const values = form(s.id);
    // tab 1 checks and sends the form: report A
    await client.post('/incidents/new', { ...values, action: 'check' });
    const first = await checkPage(client);
    const sent = await client.post('/incidents/new/submit', { idempotencyKey: first.key, reviewed: first.reviewed });
    const a = await db.selectFrom('incidents').select(['id', 'reference']).where('org_id', '=', org.id).executeTakeFirstOrThrow();
    assert.equal(sent.headers.location, `/incidents/mine/${a.id}/confirmation`);
    // tab 2 still has the form with the same key; the reporter edits it and continues
    const edited = { ...values, narrative: 'A visitor shouted abuse, then threw a cup at the nurse.' };
    const saved = await client.post('/incidents/new', { ...edited, action: 'check' });
    assert.equal(saved.headers.location, '/incidents/new/check');
    const second = await checkPage(client);
    assert.notEqual(second.key, values.idempotencyKey, 'a new key for a new report');
    assert.match(second.res.body, /You have already sent a report from this form/);
    assert.match(second.res.body, new RegExp(a.reference));
    assert.match(second.res.body, /threw a cup/);
    const res = await client.post('/incidents/new/submit', { idempotencyKey: second.key, reviewed: second.reviewed });
    const b = await db.selectFrom('incidents').select(['id', 'narrative']).where('org_id', '=', org.id).where('id', '<>', a.id).executeTakeFirstOrThrow();
    assert.equal(res.headers.location, `/incidents/mine/${b.id}/confirmation`);
    assert.match(b.narrative, /threw a cup/);
    assert.equal(await count('incidents', org.id), 2);
    assert.equal(await count('incident_drafts', org.id), 0, 'no draft left behind');
  });

  test('the same answers sent again from the form (back button, second tab) return the report already made', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const values = form(s.id);
    await client.post('/incidents/new', { ...values, action: 'check' });
    const sent = await client.post('/incidents/new/submit', { idempotencyKey: values.idempotencyKey });
    const again = await client.post('/incidents/new', { ...values, action: 'check' });
    assert.equal(again.statusCode, 303);
    assert.equal(again.headers.location, sent.headers.location);
    assert.equal(await count('incidents', org.id), 1);
    assert.equal(await count('incident_drafts', org.id), 0);
  });

  test('a draft holding other answers under a key already used is never sent as the earlier report: kept under a new key', async () => {
    const { client, org, user, site: s } = await reporterWithSite();
    const values = form(s.id);
    await client.post('/incidents/new', { ...values, action: 'check' });
    await client.post('/incidents/new/submit', { idempotencyKey: values.idempotencyKey });
    // a save from another tab that raced the submission left other answers in a draft under the used key
    const other = { ...values, narrative: 'Other answers saved by the racing tab.' };
    await db
      .insertInto('incident_drafts')
      .values({ org_id: org.id, user_id: user.id, data: JSON.stringify(other) })
      .execute();
    const res = await client.post('/incidents/new/submit', { idempotencyKey: values.idempotencyKey });
    assert.equal(res.headers.location, '/incidents/new/check?changed=1');
    assert.equal(await count('incidents', org.id), 1);
    const draft = await db.selectFrom('incident_drafts').select('data').where('org_id', '=', org.id).executeTakeFirstOrThrow();
    const kept = draft.data as Record<string, string>;
    assert.equal(kept.narrative, other.narrative, 'nothing typed is lost');
    assert.notEqual(kept.idempotencyKey, values.idempotencyKey);
    const page = await checkPage(client, '/incidents/new/check?changed=1');
    assert.match(page.res.body, /Your answers have changed/);
    assert.match(page.res.body, /You have already sent a report from this form/);
    await client.post('/incidents/new/submit', { idempotencyKey: page.key, reviewed: page.reviewed });
    assert.equal(await count('incidents', org.id), 2);
    assert.equal(await count('incident_drafts', org.id), 0);
  });

  test('answers changed in another tab after they were checked are not sent: the new answers are shown to check', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const values = form(s.id);
    await client.post('/incidents/new', { ...values, action: 'check' });
    const tab1 = await checkPage(client);
    await client.post('/incidents/new', { ...values, narrative: 'Changed in the second tab.', action: 'check' });
    const res = await client.post('/incidents/new/submit', { idempotencyKey: tab1.key, reviewed: tab1.reviewed });
    assert.equal(res.headers.location, '/incidents/new/check?changed=1');
    assert.equal(await count('incidents', org.id), 0);
    const page = await checkPage(client, '/incidents/new/check?changed=1');
    assert.match(page.res.body, /Your answers have changed/);
    assert.match(page.res.body, /Changed in the second tab/);
  });
});

describe('yes/no questions with details given (003 §3.2.4, §3.2.6–3.2.7)', () => {
  test('API: police or injury details without a "yes" are refused naming the question, never dropped', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const theft = { category: 'theft', medicalFactors: undefined, injured: undefined, injuryDescription: undefined, examinedWithin48h: undefined };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        report({ policeInvolved: undefined, policeAttended: undefined }),
        'policeInvolved',
        /You gave .*a crime reference number: select whether the police were involved/,
      ],
      [
        report({ policeInvolved: false, policeAttended: undefined }),
        'policeInvolved',
        /You answered no to whether the police were involved but gave .*the officer’s name/,
      ],
      [
        report({ policeInvolved: null, policeAttended: true, policeOfficerName: null, policeOfficerNumber: null, policeStation: null, crimeReference: null }),
        'policeInvolved',
        /the police attended/,
      ],
      [report({ ...theft, injuryDescription: 'Cut hand' }), 'injured', /You gave a description of the injuries: select whether anyone was injured/],
      [
        report({ ...theft, injured: false, examinedWithin48h: 'yes' }),
        'injured',
        /You answered no to whether anyone was injured but gave an answer about their examination/,
      ],
    ];
    await refusedEach(client, org.id, cases);
    // a "no" with nothing behind it is a report
    const plain = await client.json(
      'POST',
      '/api/v1/incidents',
      report({ policeInvolved: false, policeAttended: false, policeOfficerName: null, policeOfficerNumber: null, policeStation: null, crimeReference: null }),
    );
    assert.equal(plain.statusCode, 201, plain.body);
  });

  test('form: a crime reference typed with the police question unanswered is shown back with the question asked', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const res = await client.post('/incidents/new', { ...form(s.id), policeInvolved: '', crimeReference: 'CR/77/26', action: 'check' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /nhsuk-error-summary/);
    assert.match(res.body, /You gave a crime reference number: select whether the police were involved/);
    assert.match(res.body, /value="CR\/77\/26"/, 'what was typed is kept');
    const no = await client.post('/incidents/new', { ...form(s.id), injured: 'no', injuryDescription: 'Scratched arm', action: 'check' });
    assert.equal(no.statusCode, 400);
    assert.match(no.body, /You answered no to whether anyone was injured but gave a description of the injuries/);
    assert.equal(await count('incident_drafts', org.id), 0);
    assert.equal(await count('incidents', org.id), 0);
  });
});

describe('the reporter asks for a warning marker (003 §2.2.3.9, §3.2.11)', () => {
  const REASON = 'The son at this address threatened crews with a knife: attend with the police.';

  test('API: a yes with its reason is stored, shown back to the reporter, and sent with the batch path too', async () => {
    const { client } = await memberOf(t, 'reporter');
    const created = await client.json('POST', '/api/v1/incidents', report({ markerRequested: true, markerReason: REASON }));
    assert.equal(created.statusCode, 201, created.body);
    const row = await db.selectFrom('incidents').select(['marker_requested', 'marker_reason']).where('id', '=', created.json().id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { marker_requested: true, marker_reason: REASON });
    const mine = await client.get(`/api/v1/incidents/${created.json().id}`);
    assert.deepEqual(mine.json().markerRequest, { requested: true, reason: REASON });
    // left out, it is a "no"
    const plain = (await client.json('POST', '/api/v1/incidents', report())).json();
    assert.deepEqual((await client.get(`/api/v1/incidents/${plain.id}`)).json().markerRequest, { requested: false, reason: null });
  });

  test('API: a reason without a yes, or a yes without a reason, is refused naming the question, and nothing is written', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [report({ markerReason: REASON }), 'markerRequested', /You said why staff should be warned: select whether you are asking for a warning marker/],
      [report({ markerRequested: false, markerReason: REASON }), 'markerRequested', /You answered no to a warning marker but said why/],
      [report({ markerRequested: true }), 'markerReason', /Enter why staff should be warned/],
    ];
    await refusedEach(client, org.id, cases);
  });

  test('form: a reason with the question unanswered is shown back with the question asked, and nothing is kept', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const res = await client.post('/incidents/new', { ...form(s.id), markerRequested: '', markerReason: REASON, action: 'check' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /nhsuk-error-summary/);
    assert.match(res.body, /href="#markerRequested"[^>]*>\s*You said why staff should be warned: select whether you are asking for a warning marker/);
    assert.match(res.body, /The son at this address threatened crews with a knife/, 'what was typed is kept');
    assert.equal(await count('incident_drafts', org.id), 0);
    assert.equal(await count('incidents', org.id), 0);
  });

  test('form: the question is asked, and the check page and the reporter’s page show the answer', async () => {
    const { client, site: s } = await reporterWithSite();
    const res = await client.get('/incidents/new');
    assert.match(res.body, /Should colleagues be warned before they go there\? \(optional\)/);
    assert.match(res.body, /name="markerReason"/);
    const next = await client.post('/incidents/new', { ...form(s.id), markerRequested: 'yes', markerReason: REASON, action: 'check' });
    assert.equal(next.statusCode, 303, next.body);
    const check = await checkPage(client);
    assert.match(check.res.body, /Warning marker[\s\S]*?Asked for: The son at this address threatened crews with a knife/);
    const sent = await client.post('/incidents/new/submit', { idempotencyKey: check.key, reviewed: check.reviewed });
    assert.equal(sent.statusCode, 303, sent.body);
    const id = (await db.selectFrom('incidents').select('id').where('marker_reason', '=', REASON).orderBy('reported_at', 'desc').executeTakeFirstOrThrow()).id;
    assert.match((await client.get(`/incidents/mine/${id}`)).body, /Asked for: The son at this address/);
  });
});

describe('NUL characters in text (PostgreSQL cannot store them)', () => {
  test('API: a NUL in any text field is a 400 naming the field, not a server error; nothing is written', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const cases: [Record<string, unknown>, string][] = [
      [report({ narrative: 'He hit me\u0000' }), 'narrative'],
      [report({ crimeReference: 'CR\u00001' }), 'crimeReference'],
      [report({ communityAddress: '\u0000' }), 'communityAddress'],
      [report({ affected: [{ type: 'staff', name: 'Sam\u0000' }] }), 'affected.0.name'],
      [report({ assailants: [{ type: 'patient', description: 'Tall\u0000' }] }), 'assailants.0.description'],
      [report({ witnesses: 'Pat\u0000' }), 'witnesses'],
    ];
    for (const [body, field] of cases) {
      const res = await client.json('POST', '/api/v1/incidents', body);
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      const e = res.json().errors.find((x: { field: string }) => x.field === field);
      assert.ok(e, `${field} in ${res.body}`);
      // the schema's message, or the platform's general guard (http/validation) when it answers first
      assert.match(e.message, /NUL/);
    }
    assert.equal(await count('incidents', org.id), 0);
  });

  test('form: a NUL in a field is shown in the error summary on continue and on save as draft; nothing is saved', async () => {
    const { client, org, site: s } = await reporterWithSite();
    const check = await client.post('/incidents/new', { ...form(s.id), narrative: 'Shouting\u0000', action: 'check' });
    assert.equal(check.statusCode, 400);
    assert.match(check.body, /nhsuk-error-summary/);
    assert.match(check.body, /Remove the hidden NUL character from what happened/);
    const draft = await client.post('/incidents/new', { ...form(s.id), witnesses: 'Pat\u0000', 'assailants.0.name': 'Al\u0000', action: 'draft' });
    assert.equal(draft.statusCode, 400);
    assert.match(draft.body, /nhsuk-error-summary/);
    assert.match(draft.body, /Remove the hidden NUL character from the witnesses/);
    assert.match(draft.body, /Remove the hidden NUL character from the name of person responsible 1/);
    const date = await client.post('/incidents/new', { ...form(s.id), 'occurredAt[day]': '1\u0000', action: 'draft' });
    assert.equal(date.statusCode, 400);
    assert.match(date.body, /the date and time it happened/);
    assert.equal(await count('incident_drafts', org.id), 0);
    assert.equal(await count('incidents', org.id), 0);
  });
});

describe('the reporter’s view of a corrected report (000 §7.2.6)', () => {
  test('after the security team corrects the narrative, the reporter still sees what they reported, and that it was corrected', async () => {
    const me = await memberOf(t, 'reporter');
    const lsms = await signedIn(t, [[me.org.id, 'security_specialist']]);
    const created = (await me.client.json('POST', '/api/v1/incidents', report())).json();
    const before = (await me.client.get(`/api/v1/incidents/${created.id}`)).json();
    assert.equal(before.corrected, false);
    assert.equal(before.correctedAt, null);
    const fix = await lsms.client.json('POST', `/api/v1/cases/${created.id}/corrections`, {
      narrative: 'LSMS wording: the patient struck the paramedic with a closed fist.',
      correctionReason: 'Clarified from the crew’s statement',
    });
    assert.equal(fix.statusCode, 200, fix.body);
    const api = (await me.client.get(`/api/v1/incidents/${created.id}`)).json();
    assert.equal(api.narrative, report().narrative, 'the reporter’s own words');
    assert.equal(api.category, 'physical_assault');
    assert.equal(api.corrected, true);
    assert.ok(api.correctedAt);
    assert.equal(api.occurredAt, created.occurredAt);
    const page = await me.client.get(`/incidents/mine/${created.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /The patient punched the paramedic on the arm/);
    assert.doesNotMatch(page.body, /LSMS wording/);
    assert.match(page.body, /The security team corrected this report on/);
    // the case itself holds the correction
    const row = await db.selectFrom('incidents').select('narrative').where('id', '=', created.id).executeTakeFirstOrThrow();
    assert.match(row.narrative, /LSMS wording/);
  });
});

describe('draft API (issue 4 item 15)', () => {
  const drafts = '/api/v1/incident-drafts';
  const bearer = (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, payload: payload as object | undefined, headers: { authorization: `Bearer ${token}`, ...headers } });

  test('anonymous callers get 401 and people without the reporter role 403; nothing is written', async () => {
    const anon = new Client(t.app);
    const { client, org } = await memberOf(t, 'manager');
    const id = randomUUID();
    for (const [method, url] of [
      ['GET', drafts],
      ['POST', drafts],
      ['GET', `${drafts}/${id}`],
      ['PUT', `${drafts}/${id}`],
      ['DELETE', `${drafts}/${id}`],
      ['POST', `${drafts}/${id}/submit`],
    ] as const) {
      const a = method === 'GET' ? await anon.get(url) : await t.app.inject({ method, url, payload: {} });
      assert.equal(a.statusCode, 401, `${method} ${url}`);
      const m = method === 'GET' ? await client.get(url) : await client.json(method, url, {});
      assert.equal(m.statusCode, 403, `${method} ${url}`);
    }
    assert.equal(await count('incident_drafts', org.id), 0);
  });

  test('with a personal token a reporter starts a draft, finishes it, sends it once, and a retry returns the same report', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const token = (await client.json('POST', '/api/v1/api-tokens/personal', { name: 'App', role: 'reporter', expiresIn: '30' })).json().token as string;
    const started = await bearer(token, 'POST', drafts, { category: 'physical_assault', narrative: 'Started on the ward.' });
    assert.equal(started.statusCode, 201, started.body);
    const d = started.json();
    assert.equal(started.headers.location, `${drafts}/${d.id}`);
    assert.equal(d.complete, false);
    assert.equal(d.report.narrative, 'Started on the ward.');
    assert.ok(d.problems.some((p: { field: string }) => p.field === 'occurredAt'));
    // an incomplete draft is refused, naming what is missing, and kept
    const early = await bearer(token, 'POST', `${drafts}/${d.id}/submit`);
    assert.equal(early.statusCode, 400);
    assert.ok(early.json().errors.some((e: { field: string }) => e.field === 'occurredAt'));
    assert.equal(await count('incident_drafts', org.id), 1);
    const saved = await bearer(token, 'PUT', `${drafts}/${d.id}`, report());
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal(saved.json().complete, true);
    assert.deepEqual(saved.json().problems, []);
    const list = await bearer(token, 'GET', drafts);
    assert.deepEqual(
      list.json().map((x: { id: string }) => x.id),
      [d.id],
    );
    const sent = await bearer(token, 'POST', `${drafts}/${d.id}/submit`);
    assert.equal(sent.statusCode, 201, sent.body);
    assert.match(sent.json().reference, new RegExp(`^${org.code}-`));
    const again = await bearer(token, 'POST', `${drafts}/${d.id}/submit`);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().id, sent.json().id);
    assert.equal(await count('incidents', org.id), 1);
    assert.equal(await count('incident_drafts', org.id), 0);
    assert.deepEqual((await bearer(token, 'GET', drafts)).json(), []);
    const row = await db.selectFrom('incidents').select(['narrative', 'crime_reference']).where('id', '=', sent.json().id).executeTakeFirstOrThrow();
    assert.equal(row.narrative, report().narrative);
    assert.equal(row.crime_reference, 'CR/2026/1');
  });

  test('concurrent submissions of one draft make one incident', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const d = (await client.json('POST', drafts, report())).json();
    const replies = await Promise.all(Array.from({ length: 4 }, () => client.json('POST', `${drafts}/${d.id}/submit`, {})));
    assert.deepEqual(replies.map((r) => r.statusCode).sort(), [200, 200, 200, 201]);
    assert.equal(new Set(replies.map((r) => r.json().id)).size, 1);
    assert.equal(await count('incidents', org.id), 1);
  });

  test('an Idempotency-Key already used for a different report is refused (409) and the draft is kept', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const key = randomUUID();
    assert.equal((await client.json('POST', '/api/v1/incidents', report(), { 'idempotency-key': key })).statusCode, 201);
    const d = (await client.json('POST', drafts, report({ narrative: 'A different report.' }))).json();
    const res = await client.json('POST', `${drafts}/${d.id}/submit`, {}, { 'idempotency-key': key });
    assert.equal(res.statusCode, 409);
    assert.equal(await count('incidents', org.id), 1);
    assert.equal(await count('incident_drafts', org.id), 1);
  });

  test('another person’s draft, or another organisation’s, is not found for reading, saving, deleting or sending', async () => {
    const me = await memberOf(t, 'reporter');
    const colleague = await signedIn(t, [[me.org.id, 'reporter']]);
    const stranger = await memberOf(t, 'reporter');
    const theirs = (await colleague.client.json('POST', drafts, report())).json();
    const foreign = (await stranger.client.json('POST', drafts, report())).json();
    for (const id of [theirs.id, foreign.id, 'not-a-uuid']) {
      const read = await me.client.get(`${drafts}/${id}`);
      assert.equal(read.statusCode, 404, id);
      assert.doesNotMatch(read.body, /punched/);
      assert.equal((await me.client.json('PUT', `${drafts}/${id}`, report({ narrative: 'Overwritten' }))).statusCode, 404);
      assert.equal((await me.client.json('DELETE', `${drafts}/${id}`, undefined)).statusCode, 404);
      assert.equal((await me.client.json('POST', `${drafts}/${id}/submit`, {})).statusCode, 404);
    }
    assert.deepEqual((await me.client.get(drafts)).json(), []);
    assert.equal(await count('incident_drafts', me.org.id), 1, 'the colleague’s draft is untouched');
    assert.equal(await count('incidents', me.org.id), 0);
    const kept = await colleague.client.get(`${drafts}/${theirs.id}`);
    assert.equal(kept.json().report.narrative, report().narrative);
  });

  test('bad input is refused naming the field, and nothing is written', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const foreign = await site(db);
    const cases: [unknown, string, RegExp][] = [
      [{ category: 'shoplifting' }, 'category', /Select the type of incident/],
      [{ occurredAt: 'yesterday' }, 'occurredAt', /Enter the date and time/],
      [{ narrative: 'Hit\u0000' }, 'narrative', /NUL/],
      [{ affected: [{ type: 'staff', name: 'Sam\u0000' }] }, 'affected.0.name', /NUL/],
      [{ locationKind: 'site', siteId: foreign.id }, 'siteId', /Select the site from the list/],
      [{ narrative: 'x'.repeat(10_001) }, 'narrative', /10,000 characters or fewer/],
      [['not', 'an', 'object'], 'form', /JSON object/],
    ];
    for (const [body, field, message] of cases) {
      const res = await client.json('POST', drafts, body);
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      const e = res.json().errors.find((x: { field: string }) => x.field === field);
      assert.ok(e, `${field} in ${res.body}`);
      assert.match(e.message, message);
    }
    const d = (await client.json('POST', drafts, { narrative: 'Kept as it was.' })).json();
    const bad = await client.json('PUT', `${drafts}/${d.id}`, { narrative: 'Changed\u0000' });
    assert.equal(bad.statusCode, 400);
    assert.equal((await client.get(`${drafts}/${d.id}`)).json().report.narrative, 'Kept as it was.');
    const badKey = await client.json('POST', `${drafts}/${d.id}/submit`, {}, { 'idempotency-key': 'has spaces' });
    assert.equal(badKey.statusCode, 400);
    assert.equal(await count('incident_drafts', org.id), 1);
    assert.equal(await count('incidents', org.id), 0);
  });

  test('a draft is deleted (204), audited, and then not found; the report form’s draft is a separate one', async () => {
    const { client, org } = await reporterWithSite();
    await client.post('/incidents/new', { idempotencyKey: randomUUID(), narrative: 'The form’s own draft', action: 'draft' });
    const d = (await client.json('POST', drafts, {})).json();
    assert.equal(await count('incident_drafts', org.id), 2);
    assert.deepEqual(
      (await client.get(drafts)).json().map((x: { id: string }) => x.id),
      [d.id],
    );
    const del = await client.json('DELETE', `${drafts}/${d.id}`, undefined);
    assert.equal(del.statusCode, 204);
    assert.equal((await client.get(`${drafts}/${d.id}`)).statusCode, 404);
    assert.equal(await auditCount('incident.draft_discard', d.id), 1);
    assert.match((await client.get('/incidents/new')).body, /The form’s own draft/);
  });

  test('a service token, which is no person, has no drafts (403) and still reports directly', async () => {
    const { org } = await memberOf(t, 'reporter');
    const admin = await signedIn(t, [[null, 'administrator']]);
    const made = await admin.client.json('POST', '/api/v1/api-tokens/service', { name: 'Feed', orgId: org.id, role: 'reporter', expiresIn: 'never' });
    assert.equal(made.statusCode, 201, made.body);
    const token = made.json().token as string;
    const res = await bearer(token, 'POST', drafts, report());
    assert.equal(res.statusCode, 403);
    assert.match(res.json().detail, /Drafts belong to a person/);
    assert.equal((await bearer(token, 'POST', '/api/v1/incidents', report())).statusCode, 201);
    assert.equal(await count('incident_drafts', org.id), 0);
  });

  test('the OpenAPI document describes the draft endpoints', async () => {
    const doc = (await new Client(t.app).get('/api/v1/openapi.json')).json();
    assert.ok(doc.paths['/api/v1/incident-drafts'].get && doc.paths['/api/v1/incident-drafts'].post);
    assert.ok(doc.paths['/api/v1/incident-drafts'].post.requestBody.content['application/json'].schema.properties.narrative);
    const one = doc.paths['/api/v1/incident-drafts/{id}'];
    assert.ok(one.get && one.put && one.delete);
    const submit = doc.paths['/api/v1/incident-drafts/{id}/submit'].post;
    assert.ok(submit.parameters.some((p: { name: string; in: string }) => p.name === 'idempotency-key' && p.in === 'header'));
    assert.ok(submit.responses['201'] && submit.responses['200']);
  });
});
