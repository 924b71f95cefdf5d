import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, test } from 'node:test';
import { signedIn, testApp } from '../../../test/app.ts';
import { department, incident, organisation, site } from '../../../test/factories.ts';
import { PERSONAL_FIELD_LABELS, PERSONAL_FIELDS } from '../../domain/personal-data.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { inScope } from '../../platform/tenancy.ts';

/**
 * Issue 4 §14: personal data visible only to the roles that need it, and every read of it audited — including the
 * address of an incident in the community, the detail of the place and the description of injuries — and the
 * audit search answers "who has read case X's personal data?".
 */
const t = await testApp();
const db = t.db.owner;

const ADDRESS = '12 Mill Lane, Testville';
const DETAIL = 'Back bedroom, beside the bed of Mr Example';
const INJURY = 'Fractured left wrist';

/** An organisation with its LSMS, SMD and organisation administrator, and a lone-worker visit in the community. */
async function world() {
  const org = await organisation(db);
  const lsms = await signedIn(t, [[org.id, 'security_specialist']]);
  const smd = await signedIn(t, [[org.id, 'smd']]);
  const admin = await signedIn(t, [[org.id, 'administrator']]);
  const reference = `${org.code}-2026-${String(randomInt(1, 999_999)).padStart(6, '0')}`;
  const c = await incident(db, { orgId: org.id, siteId: null, reference, injured: true });
  await db.updateTable('incidents').set({ community_address: ADDRESS, location_detail: DETAIL, injury_description: INJURY }).where('id', '=', c.id).execute();
  return { org, lsms, smd, admin, c };
}

const personalReads = (incidentId: string) =>
  db.selectFrom('audit_events').select(['actor_id', 'detail']).where('action', '=', 'incident.read_personal').where('object_id', '=', incidentId).execute();

type Event = { action: string; at: string; objectId: string | null; actor: { id: string; email: string | null } | null; detail: unknown };

describe('issue 4 §14: the place and the injuries are personal data', () => {
  test('the SMD fetches a community incident through the API and the case page without its address, place detail or injury description, and nothing is recorded as a personal read', async () => {
    const w = await world();
    const res = await w.smd.client.get(`/api/v1/cases/${w.c.id}`);
    assert.equal(res.statusCode, 200);
    const report = res.json().report;
    assert.equal(report.location.kind, 'community');
    assert.equal(report.location.communityAddress, null);
    assert.equal(report.location.detail, null);
    assert.equal(report.injured, true, 'whether anyone was injured stays a case fact');
    assert.equal(report.injuryDescription, null);

    const page = await w.smd.client.get(`/cases/${w.c.id}`);
    assert.equal(page.statusCode, 200);
    for (const secret of [ADDRESS, DETAIL, INJURY, 'Mill Lane', 'Fractured']) assert.ok(!page.body.includes(secret), secret);
    assert.match(page.body, /In the community/, 'the SMD still sees that it happened in the community');
    // the page says what is hidden, every personal field by its label, the place and the injuries among them
    for (const field of PERSONAL_FIELDS) assert.ok(page.body.includes(PERSONAL_FIELD_LABELS[field]), `the notice names ${field}`);
    assert.deepEqual(
      res.json().hiddenPersonal,
      PERSONAL_FIELDS.map((f) => PERSONAL_FIELD_LABELS[f]),
    );
    assert.equal((await personalReads(w.c.id)).length, 0);
    const lsmsPage = await w.lsms.client.get(`/cases/${w.c.id}`);
    assert.ok(!lsmsPage.body.includes('Hidden from you'), 'the LSMS, who sees everything, gets no notice');
  });

  test('the SMD sees the site and department of an incident on a site, without the free-text detail', async () => {
    const w = await world();
    const s = await site(db, { orgId: w.org.id, name: 'Riverside General' });
    const d = await department(db, { orgId: w.org.id, siteId: s.id, name: 'Ward 7 Surgical' });
    const c = await incident(db, { orgId: w.org.id, siteId: s.id, departmentId: d.id });
    await db.updateTable('incidents').set({ location_detail: DETAIL }).where('id', '=', c.id).execute();
    const res = await w.smd.client.get(`/api/v1/cases/${c.id}`);
    assert.equal(res.json().report.location.siteName, 'Riverside General');
    assert.equal(res.json().report.location.departmentName, 'Ward 7 Surgical');
    assert.equal(res.json().report.location.detail, null);
    const page = await w.smd.client.get(`/cases/${c.id}`);
    assert.match(page.body, /Riverside General/);
    assert.match(page.body, /Ward 7 Surgical/);
    assert.ok(!page.body.includes(DETAIL));
  });

  test('the LSMS sees the address, the place detail and the injuries, on the page and through the API, and each read is audited naming them', async () => {
    const w = await world();
    const res = await w.lsms.client.get(`/api/v1/cases/${w.c.id}`);
    assert.equal(res.statusCode, 200);
    const report = res.json().report;
    assert.equal(report.location.communityAddress, ADDRESS);
    assert.equal(report.location.detail, DETAIL);
    assert.equal(report.injuryDescription, INJURY);
    const page = await w.lsms.client.get(`/cases/${w.c.id}`);
    assert.ok(page.body.includes('12 Mill Lane'));
    assert.ok(page.body.includes(INJURY));

    const reads = await personalReads(w.c.id);
    assert.equal(reads.length, 2);
    for (const r of reads) {
      assert.equal(r.actor_id, w.lsms.user.id);
      const fields = (r.detail as { fields: string[] }).fields;
      assert.ok(fields.includes('place') && fields.includes('injuries'), fields.join());
    }
  });
});

describe('issue 4 §14: who has read a case’s personal data (audit search by object)', () => {
  test('after the LSMS reads a case, searching by its reference lists the read with who and when, on the API and the page', async () => {
    const w = await world();
    const other = await incident(db, { orgId: w.org.id });
    const before = Date.now();
    assert.equal((await w.lsms.client.get(`/cases/${w.c.id}`)).statusCode, 200);
    assert.equal((await w.lsms.client.get(`/cases/${other.id}`)).statusCode, 200);

    for (const auditor of [w.admin, w.lsms]) {
      const res = await auditor.client.get(`/api/v1/audit-events?object=${w.c.reference.toLowerCase()}`);
      assert.equal(res.statusCode, 200);
      const events = res.json().events as Event[];
      const reads = events.filter((e) => e.action === 'incident.read_personal');
      assert.equal(reads.length, 1, 'the read of this case, not of the other one');
      assert.equal(reads[0]?.objectId, w.c.id);
      assert.equal(reads[0]?.actor?.id, w.lsms.user.id);
      assert.equal(reads[0]?.actor?.email, w.lsms.user.email);
      assert.ok(Date.parse(reads[0]?.at as string) >= before - 1000);
      assert.ok(
        events.every((e) => e.objectId === w.c.id),
        'only events about this case',
      );
    }
    // by the case's id too
    const byId = (await w.admin.client.get(`/api/v1/audit-events?object=${w.c.id}&action=incident.read_personal`)).json().events as Event[];
    assert.deepEqual(
      byId.map((e) => e.objectId),
      [w.c.id],
    );

    const page = await w.admin.client.get(`/audit?object=${encodeURIComponent(w.c.reference)}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="object"[^>]*value="[^"]*"/);
    assert.ok(page.body.includes(w.lsms.user.email), 'who');
    assert.match(page.body, /incident\.read_personal/);
    assert.ok(page.body.includes(w.c.reference), 'the case by its reference');
    assert.match(page.body, /<time datetime="/, 'when');
    assert.ok(!page.body.includes(other.id), 'not the other case');
  });

  test('the LSMS’s case page links to the case’s audit trail, which lists that read; the SMD, who cannot search the audit trail, gets no link', async () => {
    const w = await world();
    const page = await w.lsms.client.get(`/cases/${w.c.id}`);
    assert.equal(page.statusCode, 200);
    const href = page.body.match(/href="(\/audit\?object=[^"]+)"[^>]*>Audit trail of this case</)?.[1];
    assert.equal(href, `/audit?object=${encodeURIComponent(w.c.reference)}`, 'the link names the case by its reference');
    const trail = await w.lsms.client.get(href as string);
    assert.equal(trail.statusCode, 200);
    assert.match(trail.body, /incident\.read_personal/, 'the read the page just made');
    assert.ok(trail.body.includes(w.lsms.user.email), 'by whom');

    const smdPage = await w.smd.client.get(`/cases/${w.c.id}`);
    assert.equal(smdPage.statusCode, 200);
    assert.ok(!smdPage.body.includes('Audit trail of this case'), 'no link the SMD could not follow');
    assert.equal((await w.smd.client.get(href as string)).statusCode, 403);
  });

  test('older exports, which recorded one read naming their cases in the detail, are found by the reference of a case they held', async () => {
    const w = await world();
    const lsms: Actor = {
      kind: 'user',
      userId: w.lsms.user.id,
      name: w.lsms.user.name,
      email: w.lsms.user.email,
      orgId: w.org.id,
      roles: ['security_specialist'],
      globalRoles: [],
      requestId: 'legacy-export',
    };
    // as exports wrote them before they recorded one event per case
    const legacyExport = (orgId: string, references: string[]) =>
      inScope(t.db.app, { all: true }, (tx) =>
        audit(tx, lsms, { action: 'incident.read_personal', orgId, objectType: 'case_list', detail: { via: 'export_csv', fields: ['narrative'], references } }),
      );
    await legacyExport(w.org.id, ['ZZZ-2026-000001', w.c.reference]);
    await legacyExport(w.org.id, ['ZZZ-2026-000002']);
    const elsewhere = await organisation(db);
    await legacyExport(elsewhere.id, [w.c.reference]);

    for (const object of [w.c.reference, w.c.id]) {
      const events = (await w.admin.client.get(`/api/v1/audit-events?object=${object}`)).json().events as Event[];
      assert.equal(events.length, 1, object);
      assert.deepEqual((events[0]?.detail as { references?: string[] } | undefined)?.references, ['ZZZ-2026-000001', w.c.reference]);
      assert.equal(events[0]?.actor?.id, w.lsms.user.id);
    }
  });

  test('another organisation’s auditors cannot see the reads of the case, by reference or by id', async () => {
    const w = await world();
    await w.lsms.client.get(`/cases/${w.c.id}`);
    const elsewhere = await organisation(db);
    for (const role of ['administrator', 'security_specialist'] as const) {
      const auditor = await signedIn(t, [[elsewhere.id, role]]);
      for (const object of [w.c.reference, w.c.id]) {
        const res = await auditor.client.get(`/api/v1/audit-events?object=${object}`);
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json().events, [], `${role} ${object}`);
      }
      const page = await auditor.client.get(`/audit?object=${w.c.reference}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /No events match these filters/);
      assert.ok(!page.body.includes(w.lsms.user.email));
    }
  });

  test('a malformed reference gets a clear message on the page and 400 problem details from the API, and no search is recorded', async () => {
    const w = await world();
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('action', '=', 'audit.search')
            .where('actor_id', '=', w.admin.user.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const page = await w.admin.client.get('/audit?object=RXX-26-123');
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /nhsuk-error-summary/);
    assert.match(page.body, /href="#object">\s*Enter a case reference like RXX-2026-000123, or the id of an object/);
    assert.match(page.body, /id="object"[^>]*value="RXX-26-123"/);

    const res = await w.admin.client.get('/api/v1/audit-events?object=not%20a%20case');
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.ok(res.json().errors.some((e: { field: string; message: string }) => e.field === 'object' && /RXX-2026-000123/.test(e.message)));
    assert.equal(await count(), before);
  });

  test('anonymous visitors and roles without the audit search cannot search by object', async () => {
    const w = await world();
    const { Client } = await import('../../../test/app.ts');
    assert.equal((await new Client(t.app).get(`/api/v1/audit-events?object=${w.c.reference}`)).statusCode, 401);
    assert.equal((await w.smd.client.get(`/api/v1/audit-events?object=${w.c.reference}`)).statusCode, 403);
    assert.equal((await w.smd.client.get(`/audit?object=${w.c.reference}`)).statusCode, 403);
  });
});
