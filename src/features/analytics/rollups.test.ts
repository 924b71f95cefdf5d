import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { memberOf, signedIn, testApp } from '../../../test/app.ts';
import { department, incident, organisation, redress, sanction, site, user } from '../../../test/factories.ts';
import { assertRollupsMatch, rolledUp } from '../../../test/rollups.ts';
import { inScope } from '../../platform/tenancy.ts';

/**
 * Roll-ups (issue 6 item 6): whatever happens to incidents (reported through the API or the form, copied in bulk,
 * reclassified in triage, moved to another site or month, closed and reopened, sanctioned, given redress,
 * deleted), every roll-up row equals a direct count over the incident tables. The direct counts below are
 * written independently of the triggers: plain GROUP BY over incidents, their sanctions and outcomes.
 */
const t = await testApp();
const db = t.db.owner;

const assertConsistent = (step: string) => assertRollupsMatch(db, step);

/** A JSON report as an integration sends it: a physical assault at a site (or in the community). */
const report = (over: Record<string, unknown> = {}) => ({
  category: 'physical_assault',
  occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
  locationKind: 'community',
  communityAddress: '12 Mill Lane, Testville',
  affected: [{ type: 'staff', name: 'Sam Carter', staffRole: 'Nurse' }],
  assailants: [{ type: 'patient', description: 'Tall, grey coat' }],
  injured: true,
  injuryDescription: 'Bruised arm',
  examinedWithin48h: 'not_yet',
  medicalFactors: 'yes',
  aggravatingFactors: [],
  policeInvolved: false,
  narrative: 'The patient hit the nurse on the arm.',
  ...over,
});

describe('roll-ups stay equal to a direct count of incidents', () => {
  test('through reporting, bulk COPY, triage, moves, closure, reopening, sanctions, redress and deletion', async () => {
    await assertConsistent('empty');
    const org = await organisation(db, { type: 'mental_health' });
    const other = await organisation(db, { type: 'acute' });
    const north = await site(db, { orgId: org.id, name: 'North' });
    const south = await site(db, { orgId: org.id, name: 'South' });
    const ward = await department(db, { orgId: org.id, siteId: north.id, name: 'Ward 5' });
    const reporter = await signedIn(t, [[org.id, 'reporter']]);
    const lsms = await memberOf(t, 'security_specialist', org);
    const manager = await signedIn(t, [[org.id, 'manager']]);

    // 1. Reports through the API, one at a time and 12 at once (concurrent submissions of one organisation).
    const first = await reporter.client.json('POST', '/api/v1/incidents', report({ locationKind: 'site', siteId: north.id, departmentId: ward.id }));
    assert.equal(first.statusCode, 201, first.body);
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        reporter.client.json(
          'POST',
          '/api/v1/incidents',
          report(
            i % 3 === 0
              ? { category: 'non_physical_assault', medicalFactors: undefined, injured: false, injuryDescription: undefined, examinedWithin48h: undefined }
              : {},
          ),
        ),
      ),
    );
    assert.deepEqual(
      burst.map((r) => r.statusCode),
      Array(12).fill(201),
    );
    await assertConsistent('after reporting through the API');

    // 2. Rows written directly (factories), in other months, years, sites and organisations.
    const reporterId = (await user(db, { roles: [[org.id, 'reporter']] })).id;
    const at = (iso: string) => new Date(iso);
    const old = await incident(db, {
      orgId: org.id,
      siteId: south.id,
      reportedBy: reporterId,
      occurredAt: at('2025-03-31T22:30:00Z'),
      reportedAt: at('2025-04-02T09:00:00Z'),
      late: true,
      medicalFactors: 'yes',
    });
    const theft = await incident(db, {
      orgId: org.id,
      siteId: north.id,
      departmentId: ward.id,
      reportedBy: reporterId,
      category: 'theft',
      medicalFactors: null,
      occurredAt: at('2025-01-10T10:00:00Z'),
      policeInvolved: true,
    });
    const community = await incident(db, { orgId: org.id, siteId: null, reportedBy: reporterId, occurredAt: at('2025-06-01T12:00:00Z'), injured: true });
    await incident(db, { orgId: other.id, occurredAt: at('2025-06-01T12:00:00Z') });
    await assertConsistent('after direct inserts');

    // 3. A bulk statement and a COPY: many rows in one statement each.
    await sql`
      INSERT INTO incidents (org_id, reference, category, occurred_at, reported_at, reported_by, location_kind, site_id, medical_factors, is_late,
        police_involved, narrative, idempotency_key, idempotency_fingerprint)
      SELECT ${org.id}, 'BULK-' || g, (ARRAY['physical_assault','theft','criminal_damage'])[1 + g % 3], timestamptz '2024-01-15 10:00Z' + g * interval '9 days',
        timestamptz '2024-01-16 10:00Z' + g * interval '9 days', ${reporterId}, 'site', CASE WHEN g % 2 = 0 THEN ${north.id}::uuid ELSE ${south.id}::uuid END,
        CASE WHEN g % 4 = 0 THEN 'yes' ELSE 'no' END, g % 5 = 0, g % 7 = 0, 'Bulk row', 'bulk-' || g, 'bulk'
      FROM generate_series(1, 200) g`.execute(db);
    const client = new pg.Client(t.db.url);
    await client.connect();
    try {
      const lines = Array.from(
        { length: 300 },
        (_, i) =>
          `${org.id}\tCOPY-${i}\t${i % 2 ? 'physical_assault' : 'lone_worker'}\t2023-0${1 + (i % 9)}-1${i % 10}T08:00:00Z\t2023-10-01T08:00:00Z\t${reporterId}\tsite\t${i % 3 ? north.id : south.id}\t${i % 3 === 0 ? ward.id : '\\N'}\t${i % 2 ? 'yes' : 'no'}\t${i % 4 === 0 ? 't' : 'f'}\tcopied\tcopy-${i}\tcopy\n`,
      );
      await pipeline(
        Readable.from(lines),
        client.query(
          copyFrom(
            'COPY incidents (org_id, reference, category, occurred_at, reported_at, reported_by, location_kind, site_id, department_id, medical_factors, is_late, narrative, idempotency_key, idempotency_fingerprint) FROM STDIN',
          ),
        ),
      );
    } finally {
      await client.end();
    }
    await assertConsistent('after a bulk INSERT and a COPY');

    // 4. Triage reclassifies (a physical assault becomes a non-physical one) and sets the investigation's due date.
    const firstId = (first.json() as { id: string }).id;
    const triage = await lsms.client.json('POST', `/api/v1/cases/${firstId}/triage`, {
      category: 'non_physical_assault',
      categoryReason: 'No contact was made',
      severity: 'low',
      managerId: manager.user.id,
    });
    assert.equal(triage.statusCode, 200, triage.body);
    await assertConsistent('after triage changed the category');

    // 5. Moved to another site and to another month and financial year (corrections by the owner).
    await db.updateTable('incidents').set({ site_id: south.id, department_id: null }).where('id', '=', theft.id).execute();
    await db
      .updateTable('incidents')
      .set({ occurred_at: at('2025-04-01T10:00:00Z') })
      .where('id', '=', old.id)
      .execute();
    await assertConsistent('after moving site and month');

    // 6. Sanctions and redress, then closure; reopening; a second sanction.
    const s = await lsms.client.json('POST', `/api/v1/cases/${firstId}/sanctions`, {
      sanction: 'caution',
      decidedOn: '2026-01-20',
      outcome: 'Cautioned by police',
      publicise: 'no',
      publicityReason: 'The victim asked for no publicity',
    });
    assert.equal(s.statusCode, 200, s.body);
    const r = await lsms.client.json('POST', `/api/v1/cases/${firstId}/redress`, { route: 'civil_recovery', soughtPence: 12000, recoveredPence: 4500 });
    assert.equal(r.statusCode, 200, r.body);
    await assertConsistent('after a sanction and redress');
    const closed = await lsms.client.json('POST', `/api/v1/cases/${firstId}/status`, {
      to: 'closed',
      statusReason: 'Concluded',
      lessonsLearned: 'Two staff on the ward at night',
    });
    assert.equal(closed.statusCode, 200, closed.body);
    await assertConsistent('after closing');
    const reopened = await lsms.client.json('POST', `/api/v1/cases/${firstId}/status`, { to: 'under_investigation', statusReason: 'New evidence' });
    assert.equal(reopened.statusCode, 200, reopened.body);
    await sanction(db, { orgId: org.id, incidentId: firstId, kind: 'civil', sanction: 'injunction' });
    await redress(db, { orgId: org.id, incidentId: firstId, route: 'compensation_order', soughtPence: 20000, recoveredPence: 20000 });
    await assertConsistent('after reopening, a second sanction and changed redress');

    // 7. The case moves bucket with its sanctions and redress: its category changes in a later triage.
    const retriage = await lsms.client.json('POST', `/api/v1/cases/${firstId}/triage`, {
      category: 'physical_assault',
      categoryReason: 'CCTV shows contact',
      severity: 'high',
      managerId: manager.user.id,
    });
    assert.equal(retriage.statusCode, 200, retriage.body);
    await assertConsistent('after a sanctioned case was reclassified');

    // 8. Bulk closure of the bulk rows (one UPDATE of 200 rows), a change nobody counts, and deletion.
    await sql`UPDATE incidents SET status = 'closed', closed_at = reported_at + interval '3 days 4 hours' WHERE reference LIKE 'BULK-%' AND org_id = ${org.id}`.execute(
      db,
    );
    await db.updateTable('incidents').set({ narrative: 'Corrected words only' }).where('id', '=', community.id).execute();
    await sanction(db, { orgId: org.id, incidentId: theft.id });
    await db.deleteFrom('case_sanctions').where('incident_id', '=', theft.id).execute();
    await db.deleteFrom('incidents').where('id', '=', community.id).execute();
    await db.deleteFrom('incidents').where('reference', 'like', 'COPY-1%').execute();
    await assertConsistent('after bulk closure, deletions and an uncounted change');

    // The operator's rebuild recomputes exactly what the triggers kept.
    const before = await rolledUp(db);
    await sql`SELECT warden_analytics_rebuild()`.execute(db);
    assert.deepEqual(await rolledUp(db), before);
  });

  test('the application role reads roll-ups of its own organisation only, and cannot write them', async () => {
    const a = await organisation(db);
    const b = await organisation(db);
    await incident(db, { orgId: a.id });
    await incident(db, { orgId: b.id });
    const seen = await inScope(t.db.app, { orgId: a.id }, (tx) => tx.selectFrom('incident_rollups').select('org_id').distinct().execute());
    assert.deepEqual(
      seen.map((r) => r.org_id),
      [a.id],
    );
    await assert.rejects(
      inScope(t.db.app, { orgId: a.id }, (tx) => sql`UPDATE incident_rollups SET incidents = incidents + 100 WHERE org_id = ${a.id}`.execute(tx)),
      /permission denied/,
    );
    await assert.rejects(
      inScope(t.db.app, { orgId: a.id }, (tx) =>
        sql`INSERT INTO incident_year_rollups (org_id, financial_year, incidents) VALUES (${a.id}, 2020, 5)`.execute(tx),
      ),
      /permission denied/,
    );
  });
});
