import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { type Client, signedIn, testApp } from '../../../test/app.ts';
import { incident, organisation, user } from '../../../test/factories.ts';
import { mailSink } from '../../../test/mail.ts';
import { main } from '../../cli.ts';
import { longDate } from '../../domain/dates.ts';
import { type Actor, systemActor } from '../../platform/access/roles.ts';
import { LOCKS } from '../../platform/locks.ts';
import { createMailer } from '../../platform/mail.ts';
import { createServices } from '../../services.ts';
import { startEscalationSchedule } from './schedule.ts';
import { casesService, londonDay } from './service.ts';

const sink = await mailSink();
const dataDir = await mkdtemp(join(tmpdir(), 'warden-cases-'));
after(() => rm(dataDir, { recursive: true, force: true }));
const t = await testApp({ mailer: createMailer({ smtpUrl: sink.url }), config: { dataDir } });
const db = t.db.owner;

const count = async (
  table: 'incident_events' | 'incident_versions' | 'case_log_entries' | 'case_sanctions' | 'case_attachments' | 'case_outcomes',
  incidentId: string,
) =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('incident_id', '=', incidentId)
        .executeTakeFirstOrThrow()
    ).n,
  );
const auditCount = async (action: string, objectId: string) =>
  Number(
    (
      await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .where('object_id', '=', objectId)
        .executeTakeFirstOrThrow()
    ).n,
  );
/** The subject of an overdue escalation e-mail (managers also get one when an investigation is assigned). */
const OVERDUE = /^Overdue/;
const row = (id: string) => db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** An organisation with its security specialist, SMD, two managers and a reporter, and one reported case. */
async function world() {
  const org = await organisation(db);
  const specialist = await signedIn(t, [[org.id, 'security_specialist']]);
  const smd = await signedIn(t, [[org.id, 'smd']]);
  const manager = await signedIn(t, [[org.id, 'manager']]);
  const otherManager = await signedIn(t, [[org.id, 'manager']]);
  const reporter = await signedIn(t, [[org.id, 'reporter']]);
  const c = await incident(db, {
    orgId: org.id,
    reportedBy: reporter.user.id,
    narrative: 'A visitor shouted at and then pushed the ward clerk.',
    people: [{ involvement: 'assailant', name: 'Pat Example' }],
  });
  return { org, specialist, smd, manager, otherManager, reporter, c };
}
type World = Awaited<ReturnType<typeof world>>;

const triageBody = (w: World, over: Record<string, unknown> = {}) => ({
  category: 'physical_assault',
  severity: 'medium',
  managerId: w.manager.user.id,
  ...over,
});
async function triaged(w: World) {
  const res = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/triage`, triageBody(w));
  assert.equal(res.statusCode, 200, res.body);
}

/** A multipart upload as a browser sends it, with the CSRF token from the case page. */
async function upload(
  client: Client,
  caseId: string,
  fileName: string,
  data: Buffer,
  contentType = 'application/octet-stream',
  url = `/cases/${caseId}/attachments`,
) {
  const page = await client.get(`/cases/${caseId}`);
  const csrf = /<meta name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1] ?? '';
  const boundary = `----warden${randomUUID()}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nPhoto of the corridor\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return t.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { cookie: client.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);

describe('who sees a case', () => {
  test('the security specialist opens any case of their organisation, with personal data, and the read is audited', async () => {
    const w = await world();
    const res = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /pushed the ward clerk/);
    assert.match(res.body, /Pat Example/);
    assert.match(res.body, /action="\/cases\/[^"]+\/triage"/);
    assert.equal(await auditCount('incident.read_personal', w.c.id), 1);
  });

  test('the SMD reads the case facts without personal data and cannot change anything', async () => {
    const w = await world();
    const res = await w.smd.client.get(`/cases/${w.c.id}`);
    assert.equal(res.statusCode, 200);
    assert.doesNotMatch(res.body, /Pat Example|ward clerk/);
    assert.doesNotMatch(res.body, /<form method="post" action="\/cases\//);
    const write = await w.smd.client.json('POST', `/api/v1/cases/${w.c.id}/triage`, triageBody(w));
    assert.equal(write.statusCode, 403);
    assert.equal((await row(w.c.id)).status, 'reported');
  });

  test('the page lists its parts at the top, the report first, each linking to its section; only the parts this reader has', async () => {
    const w = await world();
    const parts = (body: string) => {
      const nav = /<nav class="nhsuk-contents-list"[\s\S]*?<\/nav>/.exec(body)?.[0] ?? '';
      const hrefs = [...nav.matchAll(/href="#([a-z]+)"/g)].map((m) => m[1] as string);
      for (const id of hrefs) assert.match(body, new RegExp(`<h2 id="${id}">`), `#${id} is on the page`);
      const sections = [...body.matchAll(/<h2 id="([a-z]+)">/g)].map((m) => m[1]);
      assert.deepEqual(sections, hrefs, 'in the order the page has them');
      return hrefs;
    };
    const all = ['report', 'status', 'triage', 'investigation', 'log', 'attachments', 'sanctions', 'redress', 'support'];
    assert.deepEqual(parts((await w.specialist.client.get(`/cases/${w.c.id}`)).body), all);
    assert.deepEqual(
      parts((await w.smd.client.get(`/cases/${w.c.id}`)).body),
      all.filter((p) => p !== 'triage'),
      'no triage form for the SMD',
    );
  });

  test('a manager sees only the cases assigned to them', async () => {
    const w = await world();
    assert.equal((await w.manager.client.get(`/cases/${w.c.id}`)).statusCode, 404);
    await triaged(w);
    const res = await w.manager.client.get(`/cases/${w.c.id}`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /pushed the ward clerk/);
    assert.equal((await w.otherManager.client.get(`/cases/${w.c.id}`)).statusCode, 404);
    assert.equal((await w.otherManager.client.get(`/api/v1/cases/${w.c.id}`)).statusCode, 404);
  });

  test('a reporter cannot open the case page, and another organisation gets not found', async () => {
    const w = await world();
    assert.equal((await w.reporter.client.get(`/cases/${w.c.id}`)).statusCode, 403);
    const other = await organisation(db);
    const outsider = await signedIn(t, [[other.id, 'security_specialist']]);
    assert.equal((await outsider.client.get(`/cases/${w.c.id}`)).statusCode, 404);
    assert.equal((await outsider.client.json('POST', `/api/v1/cases/${w.c.id}/triage`, triageBody(w))).statusCode, 404);
    assert.equal((await new (w.reporter.client.constructor as typeof Client)(t.app).get(`/cases/${w.c.id}`)).statusCode, 302);
  });
});

describe('triage', () => {
  test('confirms the category, sets severity, assigns a manager with the default due date and moves to triaged', async () => {
    const w = await world();
    await triaged(w);
    const r = await row(w.c.id);
    assert.equal(r.status, 'triaged');
    assert.equal(r.severity, 'medium');
    assert.equal(r.assigned_manager_id, w.manager.user.id);
    assert.equal(r.investigation_due_on, londonDay(new Date(), 14));
    const events = await db.selectFrom('incident_events').selectAll().where('incident_id', '=', w.c.id).orderBy('at').execute();
    // (the factory writes the case without its 'reported' event)
    assert.deepEqual(
      events.map((e) => [e.from_status, e.to_status, e.actor_id]),
      [['reported', 'triaged', w.specialist.user.id]],
    );
    assert.equal(await count('incident_versions', w.c.id), 0);
    assert.equal(await auditCount('case.triage', w.c.id), 1);
  });

  test('the organisation sets the default number of days', async () => {
    const w = await world();
    const bad = await w.specialist.client.json('PUT', '/api/v1/cases/settings', { investigationDays: 0 });
    assert.equal(bad.statusCode, 400);
    const ok = await w.specialist.client.json('PUT', '/api/v1/cases/settings', { investigationDays: 7 });
    assert.equal(ok.statusCode, 200, ok.body);
    await triaged(w);
    assert.equal((await row(w.c.id)).investigation_due_on, londonDay(new Date(), 7));
  });

  test('changing the category needs a reason and keeps the old category as a version', async () => {
    const w = await world();
    const refused = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/triage`, triageBody(w, { category: 'non_physical_assault' }));
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /categoryReason/);
    assert.equal((await row(w.c.id)).category, 'physical_assault');
    assert.equal(await count('incident_versions', w.c.id), 0);
    const ok = await w.specialist.client.json(
      'POST',
      `/api/v1/cases/${w.c.id}/triage`,
      triageBody(w, { category: 'non_physical_assault', categoryReason: 'No contact: the clerk was shouted at' }),
    );
    assert.equal(ok.statusCode, 200, ok.body);
    const r = await row(w.c.id);
    assert.equal(r.category, 'non_physical_assault');
    assert.equal(r.version, 2);
    const v = await db.selectFrom('incident_versions').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.equal(v.version, 1);
    assert.equal((v.snapshot as { category: string }).category, 'physical_assault');
    assert.match(v.reason, /No contact/);
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(page.body, /Earlier versions/);
  });

  test('bad triage input on the page shows the error summary and writes nothing', async () => {
    const w = await world();
    const res = await w.specialist.client.post(`/cases/${w.c.id}/triage`, { category: 'nonsense', managerId: 'x' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /There is a problem/);
    assert.match(res.body, /href="#severity"/);
    assert.equal((await row(w.c.id)).status, 'reported');
    assert.equal(await count('incident_events', w.c.id), 0);
  });

  test('the triage form with the due date left blank uses the default', async () => {
    const w = await world();
    const res = await w.specialist.client.post(`/cases/${w.c.id}/triage`, { ...triageBody(w), categoryReason: '', dueOn: '' });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal((await row(w.c.id)).investigation_due_on, londonDay(new Date(), 14));
  });

  test('a manager of another organisation cannot be assigned', async () => {
    const w = await world();
    const other = await organisation(db);
    const stranger = await user(db, { roles: [[other.id, 'manager']] });
    const res = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/triage`, triageBody(w, { managerId: stranger.id }));
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /managerId/);
    assert.equal((await row(w.c.id)).assigned_manager_id, null);
  });
});

describe('status changes', () => {
  test('an illegal transition is refused and nothing is written', async () => {
    const w = await world();
    const res = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/status`, { to: 'awaiting_decision' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /cannot be moved/);
    assert.equal((await row(w.c.id)).status, 'reported');
    assert.equal(await count('incident_events', w.c.id), 0);
    const unknown = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/status`, { to: 'deleted' });
    assert.equal(unknown.statusCode, 400);
  });

  test('closing needs a reason, lessons learned, and a sanction or the advice and reasons for none', async () => {
    const w = await world();
    await triaged(w);
    const url = `/api/v1/cases/${w.c.id}/status`;
    const bare = await w.specialist.client.json('POST', url, { to: 'closed' });
    assert.equal(bare.statusCode, 400);
    for (const field of ['statusReason', 'lessonsLearned', 'Record the sanction applied']) assert.match(bare.body, new RegExp(field));
    const noAdvice = await w.specialist.client.json('POST', url, { to: 'closed', statusReason: 'Done', lessonsLearned: 'Review the visiting policy' });
    assert.equal(noAdvice.statusCode, 400);
    assert.match(noAdvice.body, /advice received/);
    assert.equal((await row(w.c.id)).status, 'triaged');

    const badAdvice = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/no-sanction`, { adviceFrom: 'Police', advice: '' });
    assert.equal(badAdvice.statusCode, 400);
    assert.equal(await count('case_outcomes', w.c.id), 0);
    const advice = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/no-sanction`, {
      adviceFrom: 'PC Jones, Testville police',
      advice: 'Not in the public interest to prosecute',
      noSanctionReasons: 'The visitor apologised in writing; first incident',
    });
    assert.equal(advice.statusCode, 200, advice.body);
    const closed = await w.specialist.client.json('POST', url, {
      to: 'closed',
      statusReason: 'Investigation complete',
      lessonsLearned: 'Review the visiting policy',
    });
    assert.equal(closed.statusCode, 200, closed.body);
    const r = await row(w.c.id);
    assert.equal(r.status, 'closed');
    assert.equal(r.lessons_learned, 'Review the visiting policy');
    assert.ok(r.closed_at);
    const last = await db.selectFrom('incident_events').selectAll().where('incident_id', '=', w.c.id).orderBy('at', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual([last.from_status, last.to_status, last.reason, last.actor_id], ['triaged', 'closed', 'Investigation complete', w.specialist.user.id]);

    // reopening needs a reason too
    const reopenBare = await w.specialist.client.json('POST', url, { to: 'under_investigation' });
    assert.equal(reopenBare.statusCode, 400);
    const reopen = await w.specialist.client.json('POST', url, { to: 'under_investigation', statusReason: 'New evidence' });
    assert.equal(reopen.statusCode, 200);
    assert.equal((await row(w.c.id)).closed_at, null);
  });

  test('a case with a sanction closes; the sanction records its publicity decision', async () => {
    const w = await world();
    await triaged(w);
    const bad = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/sanctions`, {
      sanction: 'caution',
      decidedOn: '2026-13-01',
      outcome: 'Cautioned',
      publicise: 'maybe',
    });
    assert.equal(bad.statusCode, 400);
    for (const f of ['decidedOn', 'publicise', 'publicityReason']) assert.match(bad.body, new RegExp(f));
    assert.equal(await count('case_sanctions', w.c.id), 0);
    const ok = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/sanctions`, {
      sanction: 'caution',
      decidedOn: '2026-11-20',
      outcome: 'Cautioned by police',
      publicise: 'yes',
      publicityReason: 'Deterrence: staff newsletter, no names',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const s = await db.selectFrom('case_sanctions').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([s.kind, s.sanction, s.publicise], ['criminal', 'caution', true]);
    const closed = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/status`, {
      to: 'closed',
      statusReason: 'Sanctioned',
      lessonsLearned: 'Clerk desk screen installed',
    });
    assert.equal(closed.statusCode, 200, closed.body);
  });

  test('closing from the page without lessons learned shows the error summary', async () => {
    const w = await world();
    await triaged(w);
    const res = await w.specialist.client.post(`/cases/${w.c.id}/status`, { to: 'closed_nfa', statusReason: 'Duplicate' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /href="#lessonsLearned"/);
    assert.equal((await row(w.c.id)).status, 'triaged');
  });
});

describe("the manager's investigation", () => {
  test('the assigned manager records and completes it; nobody else can', async () => {
    const w = await world();
    await triaged(w);
    const url = `/api/v1/cases/${w.c.id}/investigation`;
    assert.equal((await w.otherManager.client.json('POST', url, { findings: 'x' })).statusCode, 404);
    assert.equal((await w.specialist.client.json('POST', url, { findings: 'x' })).statusCode, 403);
    const incomplete = await w.manager.client.json('POST', url, { complete: 'yes' });
    assert.equal(incomplete.statusCode, 400);
    const page = await w.manager.client.post(`/cases/${w.c.id}/investigation`, {
      findings: 'Visitor frustrated by waiting',
      contributingFactors: 'Long wait, no updates',
      actionsTaken: 'Visiting times signage',
      welfareSupport: 'Occupational health referral',
      complete: 'yes',
    });
    assert.equal(page.statusCode, 303);
    const inv = await db.selectFrom('case_investigations').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.equal(inv.findings, 'Visitor frustrated by waiting');
    assert.ok(inv.completed_at);
    assert.equal((await w.manager.client.json('POST', url, { findings: 'changed' })).statusCode, 400);
    assert.equal(await auditCount('case.investigation_complete', w.c.id), 1);
  });
});

describe('investigation log, redress, support', () => {
  test('log entries are appended with author and date; a police entry needs a crime reference or officer', async () => {
    const w = await world();
    const url = `/api/v1/cases/${w.c.id}/log`;
    const bad = await w.specialist.client.json('POST', url, { kind: 'police', occurredOn: '2026-11-20', entryText: 'Called police' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /crimeReference/);
    assert.equal(await count('case_log_entries', w.c.id), 0);
    const ok = await w.specialist.client.json('POST', url, {
      kind: 'police',
      occurredOn: '2026-11-20',
      entryText: 'Statement given',
      crimeReference: 'CR/77',
      officer: 'PC Jones',
      cpsDecision: 'Charge authorised',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(page.body, /CPS decision: Charge authorised/);
    await assert.rejects(db.deleteFrom('case_log_entries').where('incident_id', '=', w.c.id).execute(), /append-only/);
    const form = await w.specialist.client.post(`/cases/${w.c.id}/log`, { kind: '', occurredOn: 'yesterday' });
    assert.equal(form.statusCode, 400);
    assert.match(form.body, /href="#occurredOn"/);
  });

  test('redress amounts must be non-negative pounds; a valid one is stored in pence', async () => {
    const w = await world();
    const bad = await w.specialist.client.post(`/cases/${w.c.id}/redress`, { soughtPence: '-5', recoveredPence: 'lots', route: 'civil_recovery' });
    assert.equal(bad.statusCode, 400);
    assert.equal(await count('case_outcomes', w.c.id), 0);
    const ok = await w.specialist.client.post(`/cases/${w.c.id}/redress`, { soughtPence: '£250.50', recoveredPence: '100', route: 'compensation_order' });
    assert.equal(ok.statusCode, 303);
    const o = await db.selectFrom('case_outcomes').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([o.redress_sought_pence, o.redress_recovered_pence, o.redress_route], [25050, 10000, 'compensation_order']);
    const api = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/redress`, { soughtPence: -1, route: 'civil_recovery' });
    assert.equal(api.statusCode, 400);
  });

  test('support offered and the outcome fed back show on the reporter’s own page', async () => {
    const w = await world();
    const bad = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/support`, { feedbackSummary: 'Cautioned' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /feedbackOn/);
    const ok = await w.specialist.client.post(`/cases/${w.c.id}/support`, {
      supportOffered: 'Occupational health and TRiM',
      supportOfferedOn: '2026-11-21',
      supportTakenUp: 'yes',
      supportTakenUpOn: '2026-11-22',
      acknowledgementSentOn: '2026-11-21',
      feedbackOn: '2026-11-23',
      feedbackSummary: 'The visitor received a written warning.',
    });
    assert.equal(ok.statusCode, 303);
    const mine = await w.reporter.client.get(`/incidents/mine/${w.c.id}`);
    assert.equal(mine.statusCode, 200);
    assert.match(mine.body, /The visitor received a written warning\./);
    assert.match(mine.body, /Occupational health and TRiM/);
  });

  test('000 §7.2.6: the reporter is e-mailed that there is news when the outcome is fed back, without what it says', async () => {
    const w = await world();
    const NEWS = /^News about your report/;
    const url = `/api/v1/cases/${w.c.id}/support`;
    const send = async (body: Record<string, unknown>) => assert.equal((await w.specialist.client.json('POST', url, body)).statusCode, 200);
    await send({ supportOffered: 'Occupational health', supportOfferedOn: '2026-11-21' });
    await send({ feedbackOn: '2026-11-23', feedbackSummary: 'Pat Example was given a written warning.' });
    const mail = await sink.waitFor(w.reporter.user.email, { subject: NEWS });
    assert.equal(mail.subject, `News about your report ${w.c.reference}`);
    const link = new RegExp(`^Your report: \\S*?(/incidents/mine/${w.c.id}\\?for=${w.org.id})$`, 'm').exec(mail.text)?.[1];
    assert.ok(link, `a link to their own report page, in their organisation: ${mail.text}`);
    assert.equal((await w.reporter.client.get(link)).statusCode, 200, 'the link opens it');
    assert.doesNotMatch(mail.text, /Pat Example|written warning|Occupational/, 'what was fed back stays behind the sign-in');

    await send({ acknowledgementSentOn: '2026-11-24' }); // the feedback unchanged
    await send({ feedbackOn: '2026-11-25', feedbackSummary: 'Pat Example was also banned from the ward.' });
    await sink.waitFor(w.reporter.user.email, { subject: NEWS, skip: 1 });
    assert.equal(sink.to(w.reporter.user.email, NEWS).length, 2, 'one e-mail per new feedback, none for other changes');
  });
});

describe('attachments', () => {
  test('a PNG is stored outside the web root and downloaded only by entitled users, audited both ways', async () => {
    const w = await world();
    await triaged(w);
    const res = await upload(w.specialist.client, w.c.id, 'corridor.png', PNG, 'image/png');
    assert.equal(res.statusCode, 303, res.body);
    const a = await db.selectFrom('case_attachments').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.equal(a.content_type, 'image/png');
    assert.deepEqual(await readdir(join(dataDir, 'attachments', w.org.id)), [a.id]);

    assert.equal(await auditCount('case.attachment_upload', w.c.id), 1);
    const viaApi = await upload(
      w.specialist.client,
      w.c.id,
      'statement.pdf',
      Buffer.from('%PDF-1.4\n%test\n'),
      'application/pdf',
      `/api/v1/cases/${w.c.id}/attachments`,
    );
    assert.equal(viaApi.statusCode, 201, viaApi.body);
    assert.equal(await count('case_attachments', w.c.id), 2);

    const url = `/cases/${w.c.id}/attachments/${a.id}`;
    const dl = await w.specialist.client.get(url);
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.headers['content-disposition'], 'attachment; filename="corridor.png"');
    assert.equal(dl.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual(dl.rawPayload, PNG);
    assert.equal((await w.manager.client.get(url)).statusCode, 200);
    assert.equal(await auditCount('case.attachment_download', w.c.id), 2);
    assert.equal((await w.smd.client.get(url)).statusCode, 403);
    assert.equal((await w.reporter.client.get(url)).statusCode, 403);
    assert.equal((await w.otherManager.client.get(url)).statusCode, 404);
    const other = await organisation(db);
    const outsider = await signedIn(t, [[other.id, 'security_specialist']]);
    assert.equal((await outsider.client.get(url)).statusCode, 404);
  });

  test('a .png that is really HTML, a disallowed type and a file over 10 MB are refused and nothing is stored', async () => {
    const w = await world();
    const spoof = await upload(w.specialist.client, w.c.id, 'photo.png', Buffer.from('<html><script>alert(1)</script></html>'), 'image/png');
    assert.equal(spoof.statusCode, 400);
    assert.match(spoof.body, /content is not a PNG/);
    const exe = await upload(w.specialist.client, w.c.id, 'tool.exe', PNG);
    assert.equal(exe.statusCode, 400);
    const big = await upload(w.specialist.client, w.c.id, 'big.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * 1024 * 1024 + 10, 0x20)]));
    assert.equal(big.statusCode, 400);
    assert.match(big.body, /smaller than 10 MB/);
    assert.equal(await count('case_attachments', w.c.id), 0);
    await assert.rejects(readdir(join(dataDir, 'attachments', w.org.id)));
    assert.equal((await upload(w.smd.client, w.c.id, 'corridor.png', PNG)).statusCode, 403);
    // the API answers with problem details
    const api = await upload(w.specialist.client, w.c.id, 'photo.jpg', PNG, 'image/jpeg', `/api/v1/cases/${w.c.id}/attachments`);
    assert.equal(api.statusCode, 400);
    assert.match(api.body, /content is not a JPG/);
  });
});

describe('overdue escalation', () => {
  /** The world's case, reported `days` ago. */
  const reportedDaysAgo = (w: World, days: number) =>
    db
      .updateTable('incidents')
      .set({ reported_at: new Date(Date.now() - days * 86_400_000) })
      .where('id', '=', w.c.id)
      .execute();
  /** The section of the overdue page listing cases with no investigation assigned ('' when the page has none). */
  const unassignedSection = (body: string) => body.match(/<h2 id="unassigned">[\s\S]*?(?=<h2|<\/main>)/)?.[0] ?? '';

  test('the overdue page lists the open cases with no investigation 30 days after report, for the security team and SMD (002 std 4.1)', async () => {
    const w = await world();
    await reportedDaysAgo(w, 45);
    const page = await w.specialist.client.get('/cases/overdue');
    assert.equal(page.statusCode, 200);
    const section = unassignedSection(page.body);
    assert.match(section, new RegExp(`href="/cases/${w.c.id}">${w.c.reference}<`), 'the case reported 45 days ago, linked');
    assert.match(section, /Not yet/, 'not escalated yet');
    assert.match(unassignedSection((await w.smd.client.get('/cases/overdue')).body), new RegExp(w.c.reference));
    // a manager has no unassigned cases of their own: no such section, and the case is nowhere on their page
    const managers = await w.manager.client.get('/cases/overdue');
    assert.equal(unassignedSection(managers.body), '', 'no unassigned section for a manager');
    assert.doesNotMatch(managers.body, new RegExp(w.c.reference));
    // the API gives the same, with the day it became overdue
    const api = await w.specialist.client.get('/api/v1/cases/overdue-unassigned');
    assert.equal(api.statusCode, 200);
    const mine = (JSON.parse(api.body) as { reference: string; overdueSince: string }[]).find((r) => r.reference === w.c.reference);
    assert.equal(mine?.overdueSince, londonDay(new Date(Date.now() - 15 * 86_400_000)));
    assert.deepEqual(JSON.parse((await w.manager.client.get('/api/v1/cases/overdue-unassigned')).body), []);
    assert.equal((await w.reporter.client.get('/api/v1/cases/overdue-unassigned')).statusCode, 403);
    // the case list's overdue filter, linked from the section, shows it too
    const href = section.match(/href="(\/cases\?overdue=1)"/)?.[1];
    assert.equal(href, '/cases?overdue=1', 'a link to the overdue cases in the case list');
    assert.match((await w.specialist.client.get(href as string)).body, new RegExp(w.c.reference), 'in the case list');
    // once an investigation is assigned, its due date decides: the case leaves the section
    await triaged(w);
    assert.doesNotMatch(unassignedSection((await w.specialist.client.get('/cases/overdue')).body), new RegExp(w.c.reference));
  });

  test('an open case with no investigation 30 days after report is e-mailed to the security specialists once (002 std 4.1)', async () => {
    const w = await world();
    await reportedDaysAgo(w, 31);
    const young = await incident(db, { orgId: w.org.id, reportedBy: w.reporter.user.id });
    const closed = await incident(db, { orgId: w.org.id, reportedBy: w.reporter.user.id, status: 'closed_nfa' });
    await db
      .updateTable('incidents')
      .set({ reported_at: new Date(Date.now() - 60 * 86_400_000) })
      .where('id', '=', closed.id)
      .execute();
    const escalatedIn = (r: { escalated: { reference: string }[] }, reference: string) => r.escalated.some((e) => e.reference === reference);

    const first = await t.services.cases.escalateOverdue(new Date(), systemActor);
    assert.deepEqual(
      first.escalated.find((e) => e.reference === w.c.reference)?.recipients,
      [w.specialist.user.email],
      'the security specialists, whose triage it awaits; nobody is assigned',
    );
    assert.ok(!escalatedIn(first, young.reference), 'reported today: not overdue');
    assert.ok(!escalatedIn(first, closed.reference), 'closed: not overdue');
    const mail = await sink.waitFor(w.specialist.user.email);
    assert.match(mail.subject, new RegExp(`no investigation.*${w.c.reference}`));
    assert.match(mail.text, new RegExp(`/cases/${w.c.id}`));
    assert.doesNotMatch(mail.text, /Pat Example|ward clerk/, 'no personal data by e-mail');
    assert.equal(sink.to(w.manager.user.email).length, 0);
    const recorded = await db.selectFrom('case_escalations').select(['due_on']).where('incident_id', '=', w.c.id).execute();
    assert.deepEqual(
      recorded.map((r) => r.due_on),
      [londonDay(new Date(Date.now() - 86_400_000))],
      'recorded against the day it became overdue (reported 31 days ago + 30)',
    );
    assert.equal(await auditCount('case.escalate_overdue', w.c.id), 1);
    const listed = unassignedSection((await w.specialist.client.get('/cases/overdue')).body);
    const caseRow = listed.match(new RegExp(`<tr(?:(?!</tr>)[\\s\\S])*${w.c.reference}(?:(?!</tr>)[\\s\\S])*</tr>`))?.[0] ?? '';
    assert.match(caseRow, new RegExp(w.c.reference), 'still listed: escalating is not resolving');
    assert.doesNotMatch(caseRow, /Not yet/, 'the page says when it was escalated');

    const second = await t.services.cases.escalateOverdue(new Date(), systemActor);
    assert.ok(!escalatedIn(second, w.c.reference), 'once, not every hour');
    assert.equal(sink.to(w.specialist.user.email).length, 1);
    // with a repeat interval, again once it has passed
    await w.specialist.client.json('PUT', '/api/v1/cases/settings', { investigationDays: 14, escalationRepeatDays: 2 });
    assert.ok(!escalatedIn(await t.services.cases.escalateOverdue(new Date(Date.now() + 86_400_000), systemActor), w.c.reference));
    assert.ok(escalatedIn(await t.services.cases.escalateOverdue(new Date(Date.now() + 3 * 86_400_000), systemActor), w.c.reference));
    await sink.waitFor(w.specialist.user.email, { skip: 1 });
  });

  test('several unassigned cases of an organisation go to each specialist in one e-mail, each case recorded', async () => {
    const w = await world();
    const second = await signedIn(t, [[w.org.id, 'security_specialist']]);
    await reportedDaysAgo(w, 35);
    const more = [
      await incident(db, { orgId: w.org.id, reportedBy: w.reporter.user.id, reportedAt: new Date(Date.now() - 40 * 86_400_000) }),
      await incident(db, { orgId: w.org.id, reportedBy: w.reporter.user.id, reportedAt: new Date(Date.now() - 50 * 86_400_000) }),
    ];
    const run = await t.services.cases.escalateOverdue(new Date(), systemActor);
    const cases = [w.c, ...more];
    for (const c of cases)
      assert.deepEqual(
        run.escalated.find((e) => e.reference === c.reference)?.recipients.sort(),
        [w.specialist.user.email, second.user.email].sort(),
        `${c.reference} escalated to both specialists`,
      );
    for (const person of [w.specialist, second]) {
      const mail = await sink.waitFor(person.user.email);
      assert.equal(mail.subject, '3 overdue cases with no investigation');
      for (const c of cases)
        assert.match(mail.text, new RegExp(`- Case ${c.reference}, reported on \\d{4}-\\d{2}-\\d{2}: \\S*/cases/${c.id}\\?for=${w.org.id}$`, 'm'));
      assert.match(mail.text, new RegExp(`/cases/overdue\\?for=${w.org.id}$`, 'm'), 'a link to the overdue page, in the organisation');
      assert.equal(sink.to(person.user.email).length, 1, 'one e-mail, not one per case');
    }
    for (const c of cases) assert.equal(await auditCount('case.escalate_overdue', c.id), 1);
  });

  test('an organisation with no security specialist: the unassigned case is not marked escalated, so it is once one is appointed', async () => {
    const org = await organisation(db);
    const reporter = await user(db, { roles: [[org.id, 'reporter']] });
    const c = await incident(db, { orgId: org.id, reportedBy: reporter.id });
    await db
      .updateTable('incidents')
      .set({ reported_at: new Date(Date.now() - 40 * 86_400_000) })
      .where('id', '=', c.id)
      .execute();
    const before = await t.services.cases.escalateOverdue(new Date(), systemActor);
    assert.ok(!before.escalated.some((e) => e.reference === c.reference), 'nobody to tell');
    assert.equal(await auditCount('case.escalate_overdue', c.id), 0);
    const lsms = await user(db, { roles: [[org.id, 'security_specialist']] });
    const after = await t.services.cases.escalateOverdue(new Date(), systemActor);
    assert.deepEqual(after.escalated.find((e) => e.reference === c.reference)?.recipients, [lsms.email]);
    await sink.waitFor(lsms.email);
  });

  test('lists overdue investigations and e-mails the manager and specialists once', async () => {
    const w = await world();
    await triaged(w);
    await db.updateTable('case_investigations').set({ due_on: '2026-01-01' }).where('incident_id', '=', w.c.id).execute();
    const page = await w.specialist.client.get('/cases/overdue');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(w.c.reference));
    assert.match((await w.manager.client.get('/cases/overdue')).body, new RegExp(w.c.reference));
    assert.doesNotMatch((await w.otherManager.client.get('/cases/overdue')).body, new RegExp(w.c.reference));

    const first = await t.services.cases.escalateOverdue(new Date(), systemActor);
    const mine = first.escalated.find((e) => e.reference === w.c.reference);
    assert.ok(mine);
    const toManager = await sink.waitFor(w.manager.user.email, { subject: OVERDUE });
    assert.match(toManager.subject, new RegExp(w.c.reference));
    assert.doesNotMatch(toManager.text, /Pat Example|ward clerk/);
    await sink.waitFor(w.specialist.user.email);
    const second = await t.services.cases.escalateOverdue(new Date(), systemActor);
    assert.equal(
      second.escalated.find((e) => e.reference === w.c.reference),
      undefined,
    );
    assert.equal(sink.to(w.manager.user.email, OVERDUE).length, 1);
    assert.equal(await auditCount('case.escalate_overdue', w.c.id), 1);

    // with a repeat interval set, it is sent again once the interval has passed
    await w.specialist.client.json('PUT', '/api/v1/cases/settings', { investigationDays: 14, escalationRepeatDays: 3 });
    const tooSoon = await t.services.cases.escalateOverdue(new Date(Date.now() + 86_400_000), systemActor);
    assert.equal(
      tooSoon.escalated.find((e) => e.reference === w.c.reference),
      undefined,
    );
    const later = await t.services.cases.escalateOverdue(new Date(Date.now() + 4 * 86_400_000), systemActor);
    assert.ok(later.escalated.find((e) => e.reference === w.c.reference));
    await sink.waitFor(w.manager.user.email, { skip: 1, subject: OVERDUE });
  });

  test('runs at the same time (two Warden processes, or the hourly run and cron) e-mail each person once', async () => {
    const w = await world();
    await triaged(w);
    await db.updateTable('case_investigations').set({ due_on: '2026-01-01' }).where('incident_id', '=', w.c.id).execute();
    const runs = await Promise.all([1, 2, 3].map(() => t.services.cases.escalateOverdue(new Date(), systemActor)));
    assert.equal(runs.flatMap((r) => r.escalated).filter((e) => e.reference === w.c.reference).length, 1);
    assert.equal(sink.to(w.manager.user.email, OVERDUE).length, 1);
    assert.equal(sink.to(w.specialist.user.email).length, 1);
    assert.equal(await auditCount('case.escalate_overdue', w.c.id), 1);
  });

  test('a run that finds another under way does nothing and says so', async () => {
    const w = await world();
    await triaged(w);
    await db.updateTable('case_investigations').set({ due_on: '2026-01-01' }).where('incident_id', '=', w.c.id).execute();
    const other = new pg.Client(t.db.url);
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [LOCKS.escalateOverdue]);
      const blocked = await t.services.cases.escalateOverdue(new Date(), systemActor);
      assert.deepEqual(blocked, { escalated: [], busy: true });
      assert.equal(sink.to(w.manager.user.email, OVERDUE).length, 0);
      await other.query('SELECT pg_advisory_unlock($1)', [LOCKS.escalateOverdue]);
      const after = await t.services.cases.escalateOverdue(new Date(), systemActor);
      assert.equal(after.busy, false);
      assert.ok(after.escalated.some((e) => e.reference === w.c.reference));
    } finally {
      await other.end();
    }
  });

  test('`warden start` escalates on its own schedule, without cron (issue 4 item 6)', async () => {
    const w = await world();
    await triaged(w);
    await db.updateTable('case_investigations').set({ due_on: '2026-01-01' }).where('incident_id', '=', w.c.id).execute();
    type Run = Awaited<ReturnType<typeof t.services.cases.escalateOverdue>>;
    let stop = async () => {};
    const firstRun = new Promise<Run>((onRun, onError) => {
      stop = startEscalationSchedule(t.services.cases, { firstAfterMs: 0, intervalMs: 60_000, onRun, onError });
    });
    try {
      const result = await firstRun;
      assert.ok(result.escalated.some((e) => e.reference === w.c.reference));
      await sink.waitFor(w.manager.user.email, { subject: OVERDUE });
      await sink.waitFor(w.specialist.user.email);
    } finally {
      await stop();
    }
  });

  test('a completed investigation is not overdue', async () => {
    const w = await world();
    await triaged(w);
    await db.updateTable('case_investigations').set({ due_on: '2026-01-01', completed_at: new Date() }).where('incident_id', '=', w.c.id).execute();
    const r = await t.services.cases.escalateOverdue(new Date(), systemActor);
    assert.equal(
      r.escalated.find((e) => e.reference === w.c.reference),
      undefined,
    );
  });
});

test('corrections keep the previous narrative as a version', async () => {
  const w = await world();
  const bad = await w.specialist.client.post(`/cases/${w.c.id}/correction`, { narrative: 'Corrected', correctionReason: '' });
  assert.equal(bad.statusCode, 400);
  assert.equal(await count('incident_versions', w.c.id), 0);
  const ok = await w.specialist.client.post(`/cases/${w.c.id}/correction`, {
    narrative: 'The visitor pushed the ward clerk once.',
    correctionReason: 'Reporter clarified',
  });
  assert.equal(ok.statusCode, 303);
  const v = await db.selectFrom('incident_versions').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
  assert.match((v.snapshot as { narrative: string }).narrative, /shouted at and then pushed/);
  assert.equal((await row(w.c.id)).narrative, 'The visitor pushed the ward clerk once.');
  // nothing is deleted
  await assert.rejects(db.deleteFrom('incident_versions').where('incident_id', '=', w.c.id).execute(), /append-only/);
});

test('`warden escalate-overdue` (run by cron) e-mails about overdue investigations', async () => {
  const w = await world();
  await triaged(w);
  await db.updateTable('case_investigations').set({ due_on: '2026-02-01' }).where('incident_id', '=', w.c.id).execute();
  let out = '';
  const code = await main(['escalate-overdue'], {
    out: (text) => (out += `${text}\n`),
    err: () => {},
    env: { DATABASE_URL: t.db.url, SMTP_URL: sink.url, WARDEN_DATA_DIR: dataDir },
  });
  assert.equal(code, 0);
  assert.match(out, new RegExp(`escalated ${w.c.reference} to 2 recipient`));
  await sink.waitFor(w.manager.user.email, { subject: OVERDUE });
  await sink.waitFor(w.specialist.user.email);
});

test('`warden escalate-overdue` without SMTP_URL refuses and records nothing, so a run with e-mail still escalates', async () => {
  const w = await world();
  await triaged(w);
  await db.updateTable('case_investigations').set({ due_on: '2026-02-01' }).where('incident_id', '=', w.c.id).execute();
  const run = async (env: Record<string, string>) => {
    const io = { out: '', err: '' };
    const code = await main(['escalate-overdue'], {
      out: (text) => (io.out += `${text}\n`),
      err: (text) => (io.err += `${text}\n`),
      env: { DATABASE_URL: t.db.url, WARDEN_DATA_DIR: dataDir, ...env },
    });
    return { code, ...io };
  };
  const refused = await run({});
  assert.equal(refused.code, 2);
  assert.match(refused.err, /SMTP_URL is not set.*nothing was escalated/);
  assert.equal(refused.out, '');
  const sent = await run({ SMTP_URL: sink.url });
  assert.equal(sent.code, 0);
  assert.match(sent.out, new RegExp(`escalated ${w.c.reference} to 2 recipient`));
  await sink.waitFor(w.manager.user.email, { subject: OVERDUE });
});

test('the service itself refuses to escalate when e-mail only reaches the log, and records nothing', async () => {
  const w = await world();
  await triaged(w);
  await db.updateTable('case_investigations').set({ due_on: '2026-02-01' }).where('incident_id', '=', w.c.id).execute();
  const logged: string[] = [];
  const withoutMail = createServices(
    t.db.app,
    { sessionIdleMinutes: 60, sessionMaxHours: 12, dataDir },
    { mailer: createMailer({}, (line) => logged.push(line)) },
  );
  assert.equal(withoutMail.cases.canEscalate, false);
  assert.equal(t.services.cases.canEscalate, true);
  await assert.rejects(withoutMail.cases.escalateOverdue(new Date(), systemActor), /SMTP_URL is not set.*nothing was escalated/);
  assert.deepEqual(logged, []);
  assert.equal(await auditCount('case.escalate_overdue', w.c.id), 0);
  const run = await t.services.cases.escalateOverdue(new Date(), systemActor);
  assert.ok(
    run.escalated.some((e) => e.reference === w.c.reference),
    'not marked escalated by the refused run',
  );
});

test('every case form refuses an empty submission with the error summary, and writes nothing', async () => {
  const w = await world();
  await triaged(w);
  const before = await row(w.c.id);
  for (const path of ['status', 'triage', 'correction', 'log', 'sanctions', 'no-sanction', 'redress', 'attachments']) {
    const res = await w.specialist.client.post(`/cases/${w.c.id}/${path}`, {});
    assert.equal(res.statusCode, 400, path);
    assert.match(res.body, /There is a problem/, path);
  }
  const settings = await w.specialist.client.post('/cases/settings', { investigationDays: 'two weeks' });
  assert.equal(settings.statusCode, 400);
  assert.match(settings.body, /href="#investigationDays"/);
  const after = await row(w.c.id);
  assert.deepEqual([after.version, after.status, after.updated_at], [before.version, before.status, before.updated_at]);
  for (const table of ['incident_versions', 'case_log_entries', 'case_sanctions', 'case_attachments', 'case_outcomes'] as const)
    assert.equal(await count(table, w.c.id), 0, table);
  assert.equal((await db.selectFrom('case_settings').selectAll().where('org_id', '=', w.org.id).execute()).length, 0);
});

test('the JSON API gives the SMD the case without personal data', async () => {
  const w = await world();
  const res = await w.smd.client.get(`/api/v1/cases/${w.c.id}`);
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.reference, w.c.reference);
  assert.equal(body.report.narrative, null);
  assert.equal(body.personalData, false);
  const spec = (await w.specialist.client.get(`/api/v1/cases/${w.c.id}`)).json();
  assert.match(spec.report.narrative, /ward clerk/);
});

const ADVICE = {
  adviceFrom: 'PC Jones, Testville police',
  advice: 'Not in the public interest to prosecute',
  noSanctionReasons: 'The visitor apologised in writing; first incident',
};
/** Triages the case, records the 002 std 4.2 advice and closes it. */
async function closedCase(w: World, lessonsLearned = 'Review the visiting policy') {
  await triaged(w);
  const advice = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/no-sanction`, ADVICE);
  assert.equal(advice.statusCode, 200, advice.body);
  const closed = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/status`, {
    to: 'closed',
    statusReason: 'Investigation complete',
    lessonsLearned,
  });
  assert.equal(closed.statusCode, 200, closed.body);
}

describe('a closed case (issue 4 item 5: changes after closure are status events)', () => {
  test('refuses every write but victim support on the API, with a message to reopen it, and writes nothing', async () => {
    const w = await world();
    await closedCase(w);
    const before = await row(w.c.id);
    const outcomeBefore = await db.selectFrom('case_outcomes').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    const writes: [string, Record<string, unknown>][] = [
      ['log', { kind: 'note', occurredOn: '2026-11-20', entryText: 'Late note' }],
      ['sanctions', { sanction: 'caution', decidedOn: '2026-11-20', outcome: 'Cautioned', publicise: 'no', publicityReason: 'None' }],
      ['no-sanction', { adviceFrom: 'Someone else', advice: 'Different advice', noSanctionReasons: 'Changed after closure' }],
      ['redress', { soughtPence: 100, route: 'civil_recovery' }],
      ['corrections', { narrative: 'Rewritten after closure', correctionReason: 'Because' }],
    ];
    for (const [path, body] of writes) {
      const res = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/${path}`, body);
      assert.equal(res.statusCode, 400, path);
      assert.match(res.body, /This case is closed\. Reopen it first/, path);
    }
    const inv = await w.manager.client.json('POST', `/api/v1/cases/${w.c.id}/investigation`, { findings: 'After closure' });
    assert.equal(inv.statusCode, 400);
    assert.match(inv.body, /This case is closed/);
    const file = await upload(w.specialist.client, w.c.id, 'corridor.png', PNG, 'image/png', `/api/v1/cases/${w.c.id}/attachments`);
    assert.equal(file.statusCode, 400);
    assert.match(file.body, /This case is closed/);

    const after = await row(w.c.id);
    assert.deepEqual([after.narrative, after.version, after.updated_at], [before.narrative, before.version, before.updated_at]);
    for (const table of ['case_log_entries', 'case_sanctions', 'case_attachments'] as const) assert.equal(await count(table, w.c.id), 0, table);
    assert.deepEqual(await db.selectFrom('case_outcomes').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow(), outcomeBefore);
    const inv2 = await db.selectFrom('case_investigations').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.equal(inv2.findings, null);

    // once reopened (a recorded status event), the log takes entries again
    const reopen = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/status`, { to: 'under_investigation', statusReason: 'New evidence' });
    assert.equal(reopen.statusCode, 200, reopen.body);
    const log = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/log`, writes[0]?.[1]);
    assert.equal(log.statusCode, 200, log.body);
  });

  test('the page hides the forms that would change it and shows the reason on a forced post', async () => {
    const w = await world();
    await closedCase(w);
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /This case is closed/);
    for (const path of ['triage', 'correction', 'log', 'sanctions', 'no-sanction', 'redress', 'attachments'])
      assert.doesNotMatch(page.body, new RegExp(`action="/cases/[^"]+/${path}"`), path);
    // reopening and the victim support form stay
    assert.match(page.body, /action="\/cases\/[^"]+\/status"/);
    assert.match(page.body, /action="\/cases\/[^"]+\/support"/);
    assert.doesNotMatch((await w.manager.client.get(`/cases/${w.c.id}`)).body, /action="\/cases\/[^"]+\/investigation"/);
    const forced = await w.specialist.client.post(`/cases/${w.c.id}/sanctions`, {
      sanction: 'caution',
      decidedOn: '2026-11-20',
      outcome: 'Cautioned',
      publicise: 'no',
      publicityReason: 'None',
    });
    assert.equal(forced.statusCode, 400);
    assert.match(forced.body, /There is a problem/);
    assert.match(forced.body, /This case is closed/);
    assert.equal(await count('case_sanctions', w.c.id), 0);
  });

  test('000 §7.2.6: the outcome can still be fed back to the reporter after closure, audited', async () => {
    const w = await world();
    await closedCase(w);
    const res = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/support`, {
      feedbackOn: '2026-11-30',
      feedbackSummary: 'The case was closed with police advice not to prosecute.',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await row(w.c.id)).outcome_summary, 'The case was closed with police advice not to prosecute.');
    assert.match((await w.reporter.client.get(`/incidents/mine/${w.c.id}`)).body, /police advice not to prosecute/);
    assert.equal(await auditCount('case.support', w.c.id), 1);
  });
});

describe('history is kept, not overwritten', () => {
  test('002 std 4.2: each no-sanction advice is a new version; the latest is current, earlier ones shown and audited with content', async () => {
    const w = await world();
    await triaged(w);
    const url = `/api/v1/cases/${w.c.id}/no-sanction`;
    assert.equal((await w.specialist.client.json('POST', url, ADVICE)).statusCode, 200);
    const second = { adviceFrom: 'Trust solicitor', advice: 'Civil route not proportionate', noSanctionReasons: 'Assailant has since died' };
    assert.equal((await w.specialist.client.json('POST', url, second)).statusCode, 200);

    const versions = await db.selectFrom('case_no_sanction_advice').select(['advice_from']).where('incident_id', '=', w.c.id).orderBy('created_at').execute();
    assert.deepEqual(
      versions.map((v) => v.advice_from),
      [ADVICE.adviceFrom, 'Trust solicitor'],
    );
    await assert.rejects(db.deleteFrom('case_no_sanction_advice').where('incident_id', '=', w.c.id).execute(), /append-only/);

    const api = (await w.specialist.client.get(`/api/v1/cases/${w.c.id}`)).json();
    assert.equal(api.noSanction.adviceFrom, 'Trust solicitor');
    assert.deepEqual(
      api.earlierNoSanction.map((x: { adviceFrom: string; reasons: string }) => [x.adviceFrom, x.reasons]),
      [[ADVICE.adviceFrom, ADVICE.noSanctionReasons]],
    );
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(page.body, /Earlier no-sanction advice/);
    assert.match(page.body, /The visitor apologised in writing; first incident/);
    assert.match(page.body, /Assailant has since died/);

    const audits = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'case.no_sanction')
      .where('object_id', '=', w.c.id)
      .orderBy('seq')
      .execute();
    const last = audits.at(-1)?.detail as { before: { reasons: string }; after: { reasons: string } };
    assert.equal(last.before.reasons, ADVICE.noSanctionReasons);
    assert.equal(last.after.reasons, 'Assailant has since died');
  });

  test('000 §6.1.5: reopening and closing again keeps the lessons learned at each closure', async () => {
    const w = await world();
    await closedCase(w, 'Review the visiting policy');
    const status = `/api/v1/cases/${w.c.id}/status`;
    assert.equal((await w.specialist.client.json('POST', status, { to: 'under_investigation', statusReason: 'New evidence' })).statusCode, 200);
    const again = await w.specialist.client.json('POST', status, {
      to: 'closed_nfa',
      statusReason: 'Evidence reviewed',
      lessonsLearned: 'Install a screen at the desk',
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((await row(w.c.id)).lessons_learned, 'Install a screen at the desk');
    const api = (await w.specialist.client.get(`/api/v1/cases/${w.c.id}`)).json();
    assert.deepEqual(
      api.lessons.map((l: { status: string; lessonsLearned: string }) => [l.status, l.lessonsLearned]),
      [
        ['closed', 'Review the visiting policy'],
        ['closed_nfa', 'Install a screen at the desk'],
      ],
    );
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(page.body, /Review the visiting policy/);
    assert.match(page.body, /Install a screen at the desk/);
  });
});

describe('API updates keep what they are not sent (issue 4 items 9, 10)', () => {
  test('support: fields not sent keep their values, the reporter still sees the support offered, null clears one field', async () => {
    const w = await world();
    const url = `/api/v1/cases/${w.c.id}/support`;
    const first = await w.specialist.client.json('POST', url, {
      supportOffered: 'Occupational health and TRiM',
      supportOfferedOn: '2026-11-21',
      acknowledgementSentOn: '2026-11-21',
    });
    assert.equal(first.statusCode, 200, first.body);
    const feedback = await w.specialist.client.json('POST', url, { feedbackOn: '2026-11-23', feedbackSummary: 'A written warning was given.' });
    assert.equal(feedback.statusCode, 200, feedback.body);
    const o = await db.selectFrom('case_outcomes').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual(
      [o.support_offered, o.support_offered_on, o.acknowledgement_sent_on, o.feedback_on, o.feedback_summary],
      ['Occupational health and TRiM', '2026-11-21', '2026-11-21', '2026-11-23', 'A written warning was given.'],
    );
    assert.match((await row(w.c.id)).support_offered ?? '', /Occupational health and TRiM/);
    assert.match((await w.reporter.client.get(`/incidents/mine/${w.c.id}`)).body, /Occupational health and TRiM/);

    const cleared = await w.specialist.client.json('POST', url, { acknowledgementSentOn: null });
    assert.equal(cleared.statusCode, 200, cleared.body);
    const o2 = await db.selectFrom('case_outcomes').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([o2.acknowledgement_sent_on, o2.support_offered, o2.feedback_on], [null, 'Occupational health and TRiM', '2026-11-23']);
    const audits = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'case.support')
      .where('object_id', '=', w.c.id)
      .orderBy('seq')
      .execute();
    const last = audits.at(-1)?.detail as { before: Record<string, unknown>; after: Record<string, unknown> };
    assert.equal(last.before.acknowledgementSentOn, '2026-11-21');
    assert.equal(last.after.acknowledgementSentOn, null);
  });

  test('redress and the investigation: a partial update keeps the rest', async () => {
    const w = await world();
    await triaged(w);
    const redress = `/api/v1/cases/${w.c.id}/redress`;
    assert.equal((await w.specialist.client.json('POST', redress, { soughtPence: 25000, route: 'civil_recovery' })).statusCode, 200);
    const more = await w.specialist.client.json('POST', redress, { recoveredPence: 10000 });
    assert.equal(more.statusCode, 200, more.body);
    const o = await db.selectFrom('case_outcomes').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([o.redress_sought_pence, o.redress_recovered_pence, o.redress_route], [25000, 10000, 'civil_recovery']);

    const inv = `/api/v1/cases/${w.c.id}/investigation`;
    assert.equal((await w.manager.client.json('POST', inv, { findings: 'Frustrated by waiting', actionsTaken: 'Signage' })).statusCode, 200);
    const done = await w.manager.client.json('POST', inv, { welfareSupport: 'OH referral', complete: 'yes' });
    assert.equal(done.statusCode, 200, done.body);
    const i = await db.selectFrom('case_investigations').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([i.findings, i.actions_taken, i.welfare_support], ['Frustrated by waiting', 'Signage', 'OH referral']);
    assert.ok(i.completed_at);
  });

  test('item 10: support taken up needs its date, which the page and API show', async () => {
    const w = await world();
    const url = `/api/v1/cases/${w.c.id}/support`;
    const bare = await w.specialist.client.json('POST', url, { supportOffered: 'TRiM', supportOfferedOn: '2026-11-21', supportTakenUp: 'yes' });
    assert.equal(bare.statusCode, 400);
    assert.match(bare.body, /supportTakenUpOn/);
    assert.equal(await count('case_outcomes', w.c.id), 0);
    const page = await w.specialist.client.post(`/cases/${w.c.id}/support`, {
      supportOffered: 'TRiM',
      supportOfferedOn: '2026-11-21',
      supportTakenUp: 'yes',
      supportTakenUpOn: '',
    });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /href="#supportTakenUpOn"/);
    const ok = await w.specialist.client.json('POST', url, {
      supportOffered: 'TRiM',
      supportOfferedOn: '2026-11-21',
      supportTakenUp: 'yes',
      supportTakenUpOn: '2026-11-24',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await w.specialist.client.get(`/api/v1/cases/${w.c.id}`)).json().support.supportTakenUpOn, '2026-11-24');
    assert.match((await w.specialist.client.get(`/cases/${w.c.id}`)).body, /Yes, on 24 November 2026/);
  });
});

test('003 §2.2.3.7: the case page shows the LSMS that a report was late, and why', async () => {
  const w = await world();
  const late = await incident(db, { orgId: w.org.id, reportedBy: w.reporter.user.id, late: true });
  await db
    .updateTable('incidents')
    .set({ late_reason: 'Submitted 3 days after the incident, more than 24 hours (003 §2.2.3.7)' })
    .where('id', '=', late.id)
    .execute();
  const page = await w.specialist.client.get(`/cases/${late.id}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Reported late/);
  assert.match(page.body, /Yes: Submitted 3 days after the incident/);
  assert.match((await w.specialist.client.get(`/cases/${w.c.id}`)).body, /Reported late[\s\S]{0,200}No/);
});

/** The "Asked for by reporters" part of the /markers page (empty when it is not shown). */
const requestsOf = (body: string) => body.match(/<h2 id="requests">[\s\S]*?<h2 id="markers">/)?.[0] ?? '';
/** The security specialist places an address marker justified by the world's case, through the API. */
async function placeMarker(w: World) {
  const res = await w.specialist.client.json('POST', '/api/v1/markers', {
    subjectKind: 'address',
    address: 'Flat 2, 3 Mill Lane',
    notPublicPlace: true,
    risk: 'A relative threatened a nurse.',
    handlingAdvice: 'Visit in pairs.',
    reviewDue: londonDay(new Date(), 90),
    incidents: [w.c.reference],
  });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

test('003 §3.2.11: a reporter’s request for a warning marker reaches the LSMS on the case and the markers page, until a marker is placed', async () => {
  const w = await world();
  const reason = 'A relative at the flat threatened the nurse: visit in pairs.';
  await db.updateTable('incidents').set({ marker_requested: true, marker_reason: reason }).where('id', '=', w.c.id).execute();

  const lsmsCase = await w.specialist.client.get(`/cases/${w.c.id}`);
  assert.match(lsmsCase.body, /The reporter asked for a warning marker/);
  assert.match(lsmsCase.body, new RegExp(`href="/markers/new\\?incident=${w.c.reference}">Place a warning marker for this case`));
  assert.match(lsmsCase.body, /visit in pairs/, 'the reason, with the report');
  assert.match(lsmsCase.body, /Their reason is in the report below/);
  const smdCase = await w.smd.client.get(`/cases/${w.c.id}`);
  assert.match(smdCase.body, /The reporter asked for a warning marker/, 'the SMD reads markers');
  assert.doesNotMatch(smdCase.body, /visit in pairs/, 'but not the reason, which describes people as the narrative does');
  assert.doesNotMatch(smdCase.body, /Their reason is in the report below/, 'nor a pointer to it');
  assert.doesNotMatch(smdCase.body, /Place a warning marker/);
  assert.match(requestsOf((await w.specialist.client.get('/markers')).body), new RegExp(`href="/cases/${w.c.id}">${w.c.reference}<`));
  assert.equal(requestsOf((await w.smd.client.get('/markers')).body), '', 'the SMD decides nothing here');

  const marker = await placeMarker(w);
  const after = await w.specialist.client.get(`/cases/${w.c.id}`);
  assert.doesNotMatch(after.body, /The reporter asked for a warning marker/);
  assert.match(after.body, new RegExp(`href="/markers/${marker}">Warning marker</a>: active`));
  assert.equal(requestsOf((await w.specialist.client.get('/markers')).body), '', 'no longer waiting');
});

describe('003 §2.2.3.9, §3.2.11: the LSMS decides that a requested marker is not needed', () => {
  const REASON = 'The incident happened in the main reception, a public place.';
  const decisions = (incidentId: string) => db.selectFrom('marker_request_decisions').selectAll().where('incident_id', '=', incidentId).execute();
  const requested = async () => {
    const w = await world();
    await db.updateTable('incidents').set({ marker_requested: true, marker_reason: 'The visitor comes every week.' }).where('id', '=', w.c.id).execute();
    return w;
  };
  const waitingLine = async (client: Client) => /(\d+) requests? for a warning marker to answer/.exec((await client.get('/')).body)?.[1];

  test('on the form, with a reason: the case keeps the decision, the request leaves the lists, the reporter is told; audited', async () => {
    const w = await requested();
    assert.equal(await waitingLine(w.specialist.client), '1', 'the home page counts the request');
    assert.equal(await waitingLine(w.smd.client), undefined, 'the SMD answers none');
    assert.match((await w.reporter.client.get(`/incidents/mine/${w.c.id}`)).body, /Warning marker you asked for[\s\S]{0,200}has not decided yet/);
    const api = await w.specialist.client.get('/api/v1/markers/requests');
    assert.deepEqual(
      (api.json() as { reference: string }[]).map((r) => r.reference),
      [w.c.reference],
    );
    assert.match(requestsOf((await w.specialist.client.get('/markers')).body), new RegExp(`href="/cases/${w.c.id}/marker-request/decline">No marker needed`));
    const casePage = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(casePage.body, new RegExp(`href="/cases/${w.c.id}/marker-request/decline">Decide that no marker is needed`));

    const form = await w.specialist.client.get(`/cases/${w.c.id}/marker-request/decline`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Why is no warning marker needed\?/);
    const blank = await w.specialist.client.post(`/cases/${w.c.id}/marker-request/decline`, { reason: '  ' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /nhsuk-error-summary[\s\S]*href="#reason">\s*Enter why no warning marker is needed/);
    assert.equal((await decisions(w.c.id)).length, 0, 'nothing written');

    const sent = await w.specialist.client.post(`/cases/${w.c.id}/marker-request/decline`, { reason: REASON });
    assert.equal(sent.statusCode, 303, sent.body);
    assert.equal(sent.headers.location, `/cases/${w.c.id}#markers`);
    const [d] = await decisions(w.c.id);
    assert.equal(d?.reason, REASON);
    assert.equal(d?.decided_by, w.specialist.user.id);
    assert.equal(await auditCount('marker.request_decline', w.c.id), 1);

    const after = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(after.body, /It was decided that none is needed: .* by /);
    assert.match(after.body, /a public place/, 'the LSMS reads why');
    assert.doesNotMatch(after.body, /Decide that no marker is needed/);
    assert.match(after.body, /Place a warning marker for this case/, 'a marker can still be placed');
    const smdCase = await w.smd.client.get(`/cases/${w.c.id}`);
    assert.match(smdCase.body, /It was decided that none is needed/);
    assert.doesNotMatch(smdCase.body, /a public place/, 'the reason may describe people: not for the SMD');
    assert.equal(requestsOf((await w.specialist.client.get('/markers')).body), '');
    assert.equal((await w.specialist.client.get('/api/v1/markers/requests')).json().length, 0);
    assert.equal(await waitingLine(w.specialist.client), '0');

    const mine = await w.reporter.client.get(`/incidents/mine/${w.c.id}`);
    assert.match(mine.body, /decided that no marker is needed/);
    assert.doesNotMatch(mine.body, /a public place/, 'the decision is the reporter’s to know, not its reason');
    assert.equal((await w.reporter.client.get(`/api/v1/incidents/${w.c.id}`)).json().markerAnswer, 'not_needed');
    const again = await w.specialist.client.post(`/cases/${w.c.id}/marker-request/decline`, { reason: 'Again' });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /already been decided/);

    // a marker placed later answers the request too; the decision stays on the record
    await placeMarker(w);
    assert.equal((await w.reporter.client.get(`/api/v1/incidents/${w.c.id}`)).json().markerAnswer, 'placed');
    assert.equal((await decisions(w.c.id)).length, 1);
  });

  test('through the API: only the LSMS of the organisation, only for an open case whose reporter asked, once; nothing written otherwise', async () => {
    const w = await requested();
    const decline = (client: Client, id = w.c.id, body: unknown = { reason: REASON }) =>
      client.json('POST', `/api/v1/cases/${id}/marker-request/decline`, body);
    assert.equal((await decline(w.smd.client)).statusCode, 403);
    assert.equal((await decline(w.manager.client)).statusCode, 403);
    assert.equal((await decline(w.reporter.client)).statusCode, 403);
    const other = await world();
    assert.equal((await decline(other.specialist.client)).statusCode, 404, 'another organisation’s case is not found');
    const missing = await decline(w.specialist.client, w.c.id, {});
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().errors[0].field, 'reason');
    assert.equal((await decline(w.specialist.client, w.c.id, { reason: 'x'.repeat(2001) })).statusCode, 400);
    const notAsked = await decline(other.specialist.client, other.c.id);
    assert.equal(notAsked.statusCode, 409);
    assert.match(notAsked.json().detail, /did not ask for a warning marker/);
    const closed = await requested();
    await db.updateTable('incidents').set({ status: 'closed_nfa' }).where('id', '=', closed.c.id).execute();
    assert.equal((await decline(closed.specialist.client, closed.c.id)).statusCode, 409);
    assert.match((await closed.specialist.client.get(`/cases/${closed.c.id}/marker-request/decline`)).body, /This case is closed/);
    assert.equal((await closed.reporter.client.get(`/api/v1/incidents/${closed.c.id}`)).json().markerAnswer, 'not_placed', 'closed unanswered: not "waiting"');
    assert.equal((await decisions(w.c.id)).length + (await decisions(other.c.id)).length + (await decisions(closed.c.id)).length, 0);

    const ok = await decline(w.specialist.client);
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().reference, w.c.reference);
    assert.equal((await decline(w.specialist.client)).statusCode, 409, 'decided once');
    assert.equal((await decisions(w.c.id)).length, 1);
    await assert.rejects(
      db.updateTable('marker_request_decisions').set({ reason: 'rewritten' }).where('incident_id', '=', w.c.id).execute(),
      /append-only|not allowed|cannot/i,
      'the decision is never rewritten',
    );
  });

  test('a request already answered by a marker cannot be decided against', async () => {
    const w = await requested();
    await placeMarker(w);
    const res = await w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/marker-request/decline`, { reason: REASON });
    assert.equal(res.statusCode, 409);
    assert.match(res.json().detail, /already been placed/);
    assert.match((await w.specialist.client.get(`/cases/${w.c.id}/marker-request/decline`)).body, /This request has been answered/);
  });
});

describe('the manager is e-mailed about the investigation asked of them (003 §2.3.1, §7.5.4)', () => {
  const ASSIGNED = /^Investigation assigned to you/;
  test('when asked to investigate, when the due date moves, and when it is given to another manager; never for a refused or unchanged triage', async () => {
    const w = await world();
    await triaged(w);
    const assigned = await sink.waitFor(w.manager.user.email, { subject: ASSIGNED });
    const due = (await row(w.c.id)).investigation_due_on as string;
    assert.match(assigned.subject, new RegExp(w.c.reference));
    assert.match(assigned.text, new RegExp(`\\(physical assault\\), due on ${longDate(due)}\\.`));
    assert.match(assigned.text, new RegExp(`/cases/${w.c.id}\\?for=${w.org.id}$`, 'm'), 'a link to the case, in its organisation');
    assert.doesNotMatch(assigned.text, /Pat Example|ward clerk|shouted/, 'no personal data or narrative by e-mail');
    assert.equal(sink.to(w.otherManager.user.email).length, 0);

    const triage = (over: Record<string, unknown>) => w.specialist.client.json('POST', `/api/v1/cases/${w.c.id}/triage`, triageBody(w, over));
    assert.equal((await triage({ severity: 'high' })).statusCode, 200, 'only the severity changes');
    const later = londonDay(new Date(), 30);
    assert.equal((await triage({ dueOn: later })).statusCode, 400, 'a new due date needs a reason');
    // e-mails go out after the answer: triage another case and wait for its e-mail, by when any e-mail the two
    // requests above had sent would have arrived
    await triaged({ ...w, c: await incident(db, { orgId: w.org.id, reportedBy: w.reporter.user.id }) });
    await sink.waitFor(w.manager.user.email, { skip: 1, subject: ASSIGNED });
    assert.deepEqual(
      sink.to(w.manager.user.email).map((m) => m.subject.replace(/case \S+$/, 'case')),
      ['Investigation assigned to you: case', 'Investigation assigned to you: case'],
      'nothing sent for an unchanged assignment or a refused triage',
    );

    assert.equal((await triage({ dueOn: later, assignmentReason: 'Waiting for the CCTV' })).statusCode, 200);
    const moved = await sink.waitFor(w.manager.user.email, { subject: /^Investigation due date changed/ });
    assert.match(moved.text, new RegExp(`now due on ${longDate(later)}, not ${longDate(due)}`));

    assert.equal((await triage({ managerId: w.otherManager.user.id, dueOn: later, assignmentReason: 'On leave' })).statusCode, 200);
    const handedOver = await sink.waitFor(w.otherManager.user.email, { subject: ASSIGNED });
    assert.match(handedOver.text, new RegExp(`due on ${longDate(later)}`));
    const released = await sink.waitFor(w.manager.user.email, { subject: /^Investigation given to another manager/ });
    assert.match(released.text, /You no longer need to carry it out/);
    assert.doesNotMatch(released.text, /On leave/, 'the reason stays in Warden');
    assert.equal(sink.to(w.manager.user.email).length, 4);
  });

  test('a failure to send is logged and the triage still stands', async () => {
    const w = await world();
    const lines: string[] = [];
    const service = casesService(t.db.app, {
      mailer: createMailer({ smtpUrl: 'smtp://127.0.0.1:9' }),
      attachmentsDir: join(dataDir, 'attachments'),
      log: (line) => lines.push(line),
    });
    const actor: Actor = {
      kind: 'user',
      userId: w.specialist.user.id,
      name: w.specialist.user.name,
      email: w.specialist.user.email,
      orgId: w.org.id,
      roles: ['security_specialist'],
      globalRoles: [],
    };
    const result = await service.triage(actor, w.c.id, triageBody(w));
    assert.equal((await row(w.c.id)).assigned_manager_id, w.manager.user.id);
    assert.equal(result.dueOn, (await row(w.c.id)).investigation_due_on);
    for (let waited = 0; lines.length === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] as string, new RegExp(`could not send "Investigation assigned to you: case ${w.c.reference}" to ${w.manager.user.email}`));
  });
});

describe('re-triage keeps the earlier assignment (issue 4 items 5, 6)', () => {
  test('changing the manager or the due date needs a reason; the earlier assignment is kept and the history says so', async () => {
    const w = await world();
    await triaged(w);
    const first = await row(w.c.id);
    const url = `/api/v1/cases/${w.c.id}/triage`;
    // the same triage again, due date not given: keeps the due date, needs no reason, records nothing new
    const same = await w.specialist.client.json('POST', url, triageBody(w, { severity: 'high' }));
    assert.equal(same.statusCode, 200, same.body);
    assert.equal((await row(w.c.id)).investigation_due_on, first.investigation_due_on);
    assert.equal(await count('incident_events', w.c.id), 1);

    const later = londonDay(new Date(), 30);
    const noReason = await w.specialist.client.json('POST', url, triageBody(w, { dueOn: later }));
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /assignmentReason/);
    const swapNoReason = await w.specialist.client.json('POST', url, triageBody(w, { managerId: w.otherManager.user.id }));
    assert.equal(swapNoReason.statusCode, 400);
    assert.match(swapNoReason.body, /another manager/);
    assert.equal((await row(w.c.id)).assigned_manager_id, w.manager.user.id);

    await w.manager.client.json('POST', `/api/v1/cases/${w.c.id}/investigation`, { findings: 'Started: spoke to the clerk' });
    const swap = await w.specialist.client.json(
      'POST',
      url,
      triageBody(w, { managerId: w.otherManager.user.id, dueOn: later, assignmentReason: 'Mo is on long-term leave' }),
    );
    assert.equal(swap.statusCode, 200, swap.body);
    const kept = await db.selectFrom('case_investigation_history').selectAll().where('incident_id', '=', w.c.id).execute();
    assert.deepEqual(
      kept.map((k) => [k.manager_id, k.due_on, k.findings, k.reason]),
      [[w.manager.user.id, first.investigation_due_on, 'Started: spoke to the clerk', 'Mo is on long-term leave']],
    );
    const inv = await db.selectFrom('case_investigations').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([inv.manager_id, inv.due_on, inv.findings], [w.otherManager.user.id, later, 'Started: spoke to the clerk']);
    const last = await db.selectFrom('incident_events').selectAll().where('incident_id', '=', w.c.id).orderBy('at', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual([last.from_status, last.to_status], ['triaged', 'triaged']);
    assert.match(last.reason ?? '', /reassigned from .* to .*Mo is on long-term leave/);
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(page.body, /Earlier assignments/);
    assert.match(page.body, /Mo is on long-term leave/);
    // the reporter's progress shows "Triaged" once: the reassignment kept the status, and its reason is not theirs
    const mine = (await w.reporter.client.get(`/api/v1/incidents/${w.c.id}`)).json();
    assert.deepEqual(
      mine.history.map((h: { status: string }) => h.status),
      ['triaged'],
    );
    assert.ok(!JSON.stringify(mine).includes('long-term leave'), 'the reason stays with the security team');
    await assert.rejects(db.deleteFrom('case_investigation_history').where('incident_id', '=', w.c.id).execute(), /append-only/);
  });

  test('the triage form, pre-filled with an overdue due date, saves a new severity without a reason', async () => {
    const w = await world();
    await triaged(w);
    await db.updateTable('case_investigations').set({ due_on: '2026-01-01' }).where('incident_id', '=', w.c.id).execute();
    const page = await w.specialist.client.get(`/cases/${w.c.id}`);
    assert.match(page.body, /name="dueOn"[^>]*value="2026-01-01"|value="2026-01-01"[^>]*name="dueOn"/);
    const res = await w.specialist.client.post(`/cases/${w.c.id}/triage`, {
      ...triageBody(w, { severity: 'high' }),
      dueOn: '2026-01-01',
      assignmentReason: '',
    });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal((await row(w.c.id)).severity, 'high');
  });

  test('a completed investigation given to another manager starts a new one they can edit; the completed one is kept', async () => {
    const w = await world();
    await triaged(w);
    const done = await w.manager.client.json('POST', `/api/v1/cases/${w.c.id}/investigation`, { findings: 'Frustrated by waiting', complete: 'yes' });
    assert.equal(done.statusCode, 200, done.body);
    const swap = await w.specialist.client.json(
      'POST',
      `/api/v1/cases/${w.c.id}/triage`,
      triageBody(w, { managerId: w.otherManager.user.id, assignmentReason: 'New evidence needs a fresh look' }),
    );
    assert.equal(swap.statusCode, 200, swap.body);
    const inv = await db.selectFrom('case_investigations').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.deepEqual([inv.manager_id, inv.findings, inv.completed_at], [w.otherManager.user.id, null, null]);
    const kept = await db.selectFrom('case_investigation_history').selectAll().where('incident_id', '=', w.c.id).executeTakeFirstOrThrow();
    assert.equal(kept.findings, 'Frustrated by waiting');
    const edit = await w.otherManager.client.json('POST', `/api/v1/cases/${w.c.id}/investigation`, { findings: 'Second look' });
    assert.equal(edit.statusCode, 200, edit.body);
    const api = (await w.specialist.client.get(`/api/v1/cases/${w.c.id}`)).json();
    assert.equal(api.earlierInvestigations[0].findings, 'Frustrated by waiting');
    assert.ok(api.earlierInvestigations[0].completedAt);
    // the SMD sees that there was an earlier assignment, not what it found
    const smd = (await w.smd.client.get(`/api/v1/cases/${w.c.id}`)).json();
    assert.equal(smd.earlierInvestigations[0].findings, null);
  });
});

test('issue 4 item 5: earlier versions show what they said, the narrative only to roles that may read it, and the read is audited', async () => {
  const w = await world();
  const ok = await w.specialist.client.post(`/cases/${w.c.id}/correction`, {
    narrative: 'The visitor pushed the ward clerk once.',
    correctionReason: 'Reporter clarified',
  });
  assert.equal(ok.statusCode, 303);
  const page = await w.specialist.client.get(`/cases/${w.c.id}`);
  assert.match(page.body, /What it said/);
  assert.match(page.body, /Physical assault: A visitor shouted at and then pushed the ward clerk\./);
  const api = (await w.specialist.client.get(`/api/v1/cases/${w.c.id}`)).json();
  assert.equal(api.versions[0].narrative, 'A visitor shouted at and then pushed the ward clerk.');
  const reads = await db.selectFrom('audit_events').select('detail').where('action', '=', 'incident.read_personal').where('object_id', '=', w.c.id).execute();
  assert.ok(reads.length >= 2);
  assert.ok(reads.every((r) => (r.detail as { via: string }).via === 'case and earlier versions'));

  const smdPage = await w.smd.client.get(`/cases/${w.c.id}`);
  assert.match(smdPage.body, /Earlier versions/);
  assert.doesNotMatch(smdPage.body, /shouted at/);
  assert.equal((await w.smd.client.get(`/api/v1/cases/${w.c.id}`)).json().versions[0].narrative, null);
});
