import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { incident, organisation } from '../../../test/factories.ts';
import { HIDDEN_IN_AUDIT } from '../../domain/personal-data.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { inScope } from '../../platform/tenancy.ts';
import { verifyAuditChain } from './verify.ts';

const t = await testApp();
const tag = () => `t${randomBytes(4).toString('hex')}`;

type Person = { id: string; name: string; email: string };
const asActor = (u: Person, orgId: string | null): Actor => ({
  kind: 'user',
  userId: u.id,
  name: u.name,
  email: u.email,
  orgId,
  roles: [],
  globalRoles: [],
  requestId: `req-${tag()}`,
});

/** Writes an event as the running service would. */
const event = (actor: Actor | null, action: string, orgId: string | null, outcome: 'success' | 'denied' | 'failure' = 'success') =>
  inScope(t.db.app, { all: true }, (tx) => audit(tx, actor, { action, orgId, objectType: 'site', objectId: `obj-${action}`, outcome }));

type Page = {
  page: number;
  pageSize: number;
  hasNext: boolean;
  events: { action: string; organisation: { id: string } | null; actor: { email: string } | null }[];
};
const api = async (client: Client, query = '') => {
  const res = await client.get(`/api/v1/audit-events${query}`);
  return { res, body: res.json() as Page };
};

describe('audit trail search: access', () => {
  test('anonymous visitors are sent to sign in, and the API answers 401', async () => {
    await signedIn(t, [[null, 'administrator']]); // once a user exists, set-up is over
    const page = await new Client(t.app).get('/audit');
    assert.equal(page.statusCode, 302);
    assert.match(page.headers.location as string, /^\/sign-in\?next=%2Faudit/);
    const res = await new Client(t.app).get('/api/v1/audit-events');
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test('a reporter is refused (403) on the page and the API, the refusal is audited, and there is no menu link', async () => {
    const { client, user, org } = await memberOf(t, 'reporter');
    const home = await client.get('/');
    assert.doesNotMatch(home.body, /href="\/audit"/);
    const page = await client.get('/audit');
    assert.equal(page.statusCode, 403);
    assert.match(page.body, /You do not have access to this page/);
    const res = await client.get('/api/v1/audit-events');
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().status, 403);
    const refused = await t.db.owner
      .selectFrom('audit_events')
      .select(['org_id', 'outcome', 'detail'])
      .where('actor_id', '=', user.id)
      .where('action', '=', 'access.denied')
      .orderBy('id')
      .execute();
    assert.equal(refused.length, 2);
    assert.equal(refused[0]?.org_id, org.id);
    assert.deepEqual(
      refused.map((r) => (r.detail as { url: string }).url),
      ['/audit', '/api/v1/audit-events'],
    );
  });

  test('a security specialist sees only their own organisation’s events, and has the menu link', async () => {
    const { client, user, org } = await memberOf(t, 'security_specialist');
    const other = await organisation(t.db.owner);
    const mine = `${tag()}.mine`;
    const theirs = `${tag()}.theirs`;
    await event(asActor(user, org.id), mine, org.id);
    await event(null, theirs, other.id);
    await event(null, `${theirs}.nowhere`, null);

    const page = await client.get('/audit');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1[^>]*>Audit trail<\/h1>/);
    assert.match((await client.get('/')).body, /<a class="nhsuk-header__navigation-link" href="\/audit">Audit trail<\/a>/);
    assert.ok(page.body.includes(mine));
    assert.ok(page.body.includes(user.email));
    assert.ok(!page.body.includes(theirs));
    assert.doesNotMatch(page.body, /id="org"/, 'no organisation filter for an organisation-scoped searcher');

    const { res, body } = await api(client);
    assert.equal(res.statusCode, 200);
    assert.ok(body.events.some((e) => e.action === mine));
    assert.ok(body.events.every((e) => e.organisation?.id === org.id));
  });

  test('an organisation administrator sees their own organisation’s events only, and cannot name another organisation', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const other = await organisation(t.db.owner);
    const theirs = `${tag()}.theirs`;
    await event(null, theirs, other.id);
    const { body } = await api(client);
    assert.ok(body.events.every((e) => e.organisation?.id === org.id));
    const { res } = await api(client, `?org=${other.id}`);
    assert.equal(res.statusCode, 403);
    const page = await client.get(`/audit?org=${other.id}`);
    assert.equal(page.statusCode, 403);
    assert.ok(!page.body.includes(theirs));
  });

  test('a deployment-wide administrator sees every organisation’s events and can filter by one', async () => {
    const { client } = await signedIn(t, [[null, 'administrator']]);
    const [a, b] = [await organisation(t.db.owner), await organisation(t.db.owner)];
    const prefix = tag();
    await event(null, `${prefix}.a`, a.id);
    await event(null, `${prefix}.b`, b.id);
    await event(null, `${prefix}.none`, null);

    const { body } = await api(client, `?action=${prefix}`);
    assert.deepEqual(body.events.map((e) => e.action).sort(), [`${prefix}.a`, `${prefix}.b`, `${prefix}.none`]);
    const onlyA = await api(client, `?action=${prefix}&org=${a.id}`);
    assert.deepEqual(
      onlyA.body.events.map((e) => e.action),
      [`${prefix}.a`],
    );

    const page = await client.get(`/audit?action=${prefix}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="org"/);
    assert.ok(page.body.includes(a.name), 'organisation names are offered and shown');
    for (const x of ['a', 'b', 'none']) assert.ok(page.body.includes(`${prefix}.${x}`));
  });
});

describe('audit trail search: personal data (issue 4 §14)', () => {
  test('the investigation’s words are in the trail for the security specialist, hidden from administrators', async () => {
    const { org, client: lsms } = await memberOf(t, 'security_specialist');
    const manager = await signedIn(t, [[org.id, 'manager']]);
    const admin = await signedIn(t, [[org.id, 'administrator']]);
    const wide = await signedIn(t, [[null, 'administrator']]);
    const c = await incident(t.db.owner, { orgId: org.id });
    const triage = await lsms.json('POST', `/api/v1/cases/${c.id}/triage`, { category: 'physical_assault', severity: 'medium', managerId: manager.user.id });
    assert.equal(triage.statusCode, 200, triage.body);
    const words = `Jo Bloggs (bed 4) hit the nurse ${tag()}`;
    const rec = await manager.client.json('POST', `/api/v1/cases/${c.id}/investigation`, {
      findings: words,
      welfareSupport: 'Referred to occupational health',
    });
    assert.equal(rec.statusCode, 200, rec.body);

    type Detail = { before: Record<string, string | null>; after: Record<string, string | null>; reference: string };
    const detailFor = async (client: Client, query: string) => {
      const { res, body } = await api(client, `?action=case.investigation_update${query}`);
      assert.equal(res.statusCode, 200, res.body);
      const e = (body.events as unknown as { objectId: string; detail: Detail }[]).find((x) => x.objectId === c.id);
      assert.ok(e, 'the event is found');
      return e.detail;
    };
    const seen = await detailFor(lsms, '');
    assert.equal(seen.after.findings, words, 'the security specialist reads what changed');
    assert.equal(seen.before.findings, null);
    for (const [who, client, query] of [
      ['organisation administrator', admin.client, ''],
      ['deployment-wide administrator', wide.client, `&org=${org.id}`],
    ] as const) {
      const hidden = await detailFor(client, query);
      assert.equal(hidden.after.findings, HIDDEN_IN_AUDIT, `${who}: that there were findings, not what they say`);
      assert.equal(hidden.after.welfareSupport, HIDDEN_IN_AUDIT);
      assert.equal(hidden.before.findings, null, `${who}: "was empty" still reads as such`);
      assert.equal(hidden.reference, c.reference, `${who}: the facts of the event stay`);
      const page = await client.get(`/audit?action=case.investigation_update${query}`);
      assert.equal(page.statusCode, 200);
      assert.ok(!page.body.includes('Jo Bloggs'), `${who}: not on the page either`);
    }
  });

  test('every free text of a case in the trail (reasons, advice, support, feedback, lessons) is hidden from administrators too', async () => {
    const { org, client: lsms } = await memberOf(t, 'security_specialist');
    const [first, second] = [await signedIn(t, [[org.id, 'manager']]), await signedIn(t, [[org.id, 'manager']])];
    const admin = await signedIn(t, [[org.id, 'administrator']]);
    const c = await incident(t.db.owner, { orgId: org.id });
    const secret = tag();
    const words = {
      assignmentReason: `Jo Bloggs on ward 4 knows the patient ${secret}`,
      adviceFrom: `DC Smith ${secret}`,
      advice: `Mr Example has dementia ${secret}`,
      noSanctionReasons: `Mr Example was confused ${secret}`,
      supportOffered: `Counselling for anxiety ${secret}`,
      feedbackSummary: `Mr Example moved ward ${secret}`,
      lessonsLearned: `Staff on ward 4 to pair up with Mr Example ${secret}`,
    };
    const post = async (path: string, body: Record<string, unknown>) => {
      const res = await lsms.json('POST', `/api/v1/cases/${c.id}/${path}`, body);
      assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
    };
    const triage = { category: 'physical_assault', severity: 'medium' };
    await post('triage', { ...triage, managerId: first.user.id });
    await post('triage', { ...triage, managerId: second.user.id, assignmentReason: words.assignmentReason });
    await post('no-sanction', { adviceFrom: words.adviceFrom, advice: words.advice, noSanctionReasons: words.noSanctionReasons });
    await post('support', {
      supportOffered: words.supportOffered,
      supportOfferedOn: '2026-11-20',
      feedbackOn: '2026-11-21',
      feedbackSummary: words.feedbackSummary,
    });
    await post('status', { to: 'closed', statusReason: 'No sanction: advice recorded', lessonsLearned: words.lessonsLearned });

    const trail = async (client: Client) => {
      const { res } = await api(client, `?object=${c.id}&action=case.`);
      assert.equal(res.statusCode, 200, res.body);
      return res.body;
    };
    const full = await trail(lsms);
    for (const [key, text] of Object.entries(words)) assert.ok(full.includes(text), `the security specialist reads the ${key}`);
    const hidden = await trail(admin.client);
    assert.ok(!hidden.includes(secret), `the administrator reads none of it: ${hidden}`);
    assert.ok(hidden.includes(HIDDEN_IN_AUDIT), 'only that there was text');
    assert.ok(!(await admin.client.get(`/audit?object=${c.id}&action=case.`)).body.includes(secret), 'not on the page either');
  });
});

describe('audit trail search: filters and pages', () => {
  test('filters by action prefix, actor e-mail and outcome', async () => {
    const { client, user, org } = await memberOf(t, 'security_specialist');
    const colleague = await signedIn(t, [[org.id, 'reporter']]);
    const prefix = tag();
    await event(asActor(user, org.id), `${prefix}.site.update`, org.id);
    await event(asActor(colleague.user, org.id), `${prefix}.site.create`, org.id);
    await event(asActor(colleague.user, org.id), `${prefix}.incident.read`, org.id, 'denied');
    await event(asActor(colleague.user, org.id), `${prefix}_site.lookalike`, org.id); // `_` must not match any character

    const actions = async (q: string) => (await api(client, q)).body.events.map((e) => e.action).sort();
    assert.deepEqual(await actions(`?action=${prefix}.site.`), [`${prefix}.site.create`, `${prefix}.site.update`]);
    assert.deepEqual(await actions(`?action=${prefix}.&actor=${encodeURIComponent(colleague.user.email.toUpperCase())}`), [
      `${prefix}.incident.read`,
      `${prefix}.site.create`,
    ]);
    assert.deepEqual(await actions(`?action=${prefix}&outcome=denied`), [`${prefix}.incident.read`]);

    const page = await client.get(`/audit?action=${prefix}.site.&outcome=success`);
    assert.ok(page.body.includes(`${prefix}.site.update`));
    assert.ok(!page.body.includes(`${prefix}.incident.read`));
    assert.match(page.body, /id="action"[^>]*value="[^"]*\.site\."/, 'the form keeps the filters given');
  });

  test('filters by UK calendar day, inclusive at both ends', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    const prefix = tag();
    await event(null, `${prefix}.today`, org.id);
    const { rows } = await sql<{ day: string; before: string; after: string }>`
      select to_char(at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD') as day,
             to_char((at AT TIME ZONE 'Europe/London')::date - 1, 'YYYY-MM-DD') as before,
             to_char((at AT TIME ZONE 'Europe/London')::date + 1, 'YYYY-MM-DD') as after
      from audit_events where action = ${`${prefix}.today`}`.execute(t.db.owner);
    const d = rows[0];
    assert.ok(d);
    const count = async (q: string) => (await api(client, `?action=${prefix}${q}`)).body.events.length;
    assert.equal(await count(`&from=${d.day}&to=${d.day}`), 1);
    assert.equal(await count(`&from=${d.before}`), 1);
    assert.equal(await count(`&to=${d.before}`), 0);
    assert.equal(await count(`&from=${d.after}`), 0);
  });

  test('shows 50 events a page, newest first, with links to older and newer pages', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    const prefix = tag();
    for (let i = 1; i <= 53; i++) await event(null, `${prefix}.n${String(i).padStart(2, '0')}`, org.id);
    const first = await api(client, `?action=${prefix}`);
    assert.equal(first.body.events.length, 50);
    assert.equal(first.body.hasNext, true);
    assert.equal(first.body.events[0]?.action, `${prefix}.n53`);
    const second = await api(client, `?action=${prefix}&page=2`);
    assert.deepEqual(
      second.body.events.map((e) => e.action),
      [`${prefix}.n03`, `${prefix}.n02`, `${prefix}.n01`],
    );
    assert.equal(second.body.hasNext, false);

    const page = await client.get(`/audit?action=${prefix}`);
    assert.equal((page.body.match(/<time datetime=/g) ?? []).length, 50);
    assert.match(page.body, new RegExp(`href="/audit\\?action=${prefix}&amp;page=2"`));
    const page2 = await client.get(`/audit?action=${prefix}&page=2`);
    assert.match(page2.body, new RegExp(`href="/audit\\?action=${prefix}&amp;page=1"`));
    assert.doesNotMatch(page2.body, /page=3/);
  });

  test('shows times in UK time, with the actor, object, outcome and request id', async () => {
    const { client, user, org } = await memberOf(t, 'security_specialist');
    const action = `${tag()}.shown`;
    const actor = asActor(user, org.id);
    await event(actor, action, org.id, 'denied');
    const row = await t.db.owner.selectFrom('audit_events').select(['at']).where('action', '=', action).executeTakeFirstOrThrow();
    const uk = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(row.at);
    const page = await client.get(`/audit?action=${action}`);
    assert.ok(page.body.includes(uk), `${uk} on the page`);
    assert.ok(page.body.includes(`datetime="${row.at.toISOString()}"`));
    for (const text of [user.name, user.email, `site obj-${action}`, 'Refused', actor.requestId as string]) assert.ok(page.body.includes(text), text);
  });

  test('bad filters give an error summary on the page and problem details from the API', async () => {
    const { client } = await memberOf(t, 'security_specialist');
    const before = await t.db.owner
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('action', '=', 'audit.search')
      .executeTakeFirstOrThrow();

    const page = await client.get('/audit?from=notadate&to=2026-01-01&outcome=maybe');
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /nhsuk-error-summary/);
    assert.match(page.body, /<title>Error: Audit trail/);
    assert.match(page.body, /href="#from">\s*Date from must be a real date/);
    assert.match(page.body, /href="#outcome">\s*Select an outcome from the list/);
    assert.match(page.body, /id="from"[^>]*value="notadate"/);
    const reversed = await client.get('/audit?from=2026-02-01&to=2026-01-01');
    assert.equal(reversed.statusCode, 400);
    assert.match(reversed.body, /Date to must be the same as or after date from/);

    const res = await client.get('/api/v1/audit-events?from=notadate');
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = res.json();
    assert.equal(problem.status, 400);
    assert.ok(problem.errors.some((e: { field: string }) => e.field === 'from'));
    assert.equal((await client.get('/api/v1/audit-events?page=0')).statusCode, 400);
    assert.equal((await client.get('/api/v1/audit-events?org=not-a-uuid')).statusCode, 400);

    const after = await t.db.owner
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('action', '=', 'audit.search')
      .executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n), 'a search that did not run is not recorded as one');
  });

  test('each search is itself written to the audit trail, with its criteria', async () => {
    const { client, user, org } = await memberOf(t, 'security_specialist');
    const res = await client.get('/audit?action=auth.&outcome=denied', { 'x-request-id': 'audit-search-test-1' });
    assert.equal(res.statusCode, 200);
    await client.get('/api/v1/audit-events?page=2');
    const rows = await t.db.owner
      .selectFrom('audit_events')
      .select(['org_id', 'outcome', 'request_id', 'detail'])
      .where('actor_id', '=', user.id)
      .where('action', '=', 'audit.search')
      .orderBy('id')
      .execute();
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.org_id, org.id);
    assert.equal(rows[0]?.request_id, 'audit-search-test-1');
    assert.deepEqual(rows[0]?.detail, { criteria: { action: 'auth.', outcome: 'denied' }, page: 1, results: 0 });
    assert.equal((rows[1]?.detail as { page?: number } | undefined)?.page, 2);
    // The next search shows the previous one.
    const { body } = await api(client, '?action=audit.search');
    assert.ok(body.events.length >= 2);
    assert.equal(body.events[0]?.actor?.email, user.email);
    // And every write above kept the chain intact.
    assert.equal((await verifyAuditChain(t.db.owner)).ok, true);
  });
});
