/**
 * Someone with roles in several organisations (an LSMS covering three trusts, a manager who also reports) opens a
 * link: from an e-mail about one of their organisations' cases while acting for another, or before choosing any.
 * Warden asks them to choose the organisation (preselected when the link names it) and goes on to the page,
 * instead of answering "not found" or "no permission" with no way on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, testApp } from '../../../test/app.ts';
import { incident, organisation, session, user } from '../../../test/factories.ts';
import { mailSink } from '../../../test/mail.ts';
import { createMailer } from '../../platform/mail.ts';

const sink = await mailSink();
const t = await testApp({ mailer: createMailer({ smtpUrl: sink.url }), config: { baseUrl: 'https://warden.example' } });
const db = t.db.owner;

/** An LSMS of two trusts and a manager of the first, with a case there, and a client for each. */
async function world() {
  const north = await organisation(db, { name: 'Northgate Trust' });
  const south = await organisation(db, { name: 'Southmere Trust' });
  const lsms = await user(db, {
    roles: [
      [north.id, 'security_specialist'],
      [south.id, 'security_specialist'],
    ],
  });
  const manager = await user(db, { roles: [[north.id, 'manager']] });
  const c = await incident(db, { orgId: north.id });
  return { north, south, lsms, manager, c };
}

const location = (res: { headers: Record<string, unknown> }) => String(res.headers.location ?? '');

describe('links for one of several organisations', () => {
  test("an e-mail's case link, opened while acting for the other trust, asks to switch to the case's trust and then opens the case", async () => {
    const w = await world();
    const specialist = new Client(t.app, await session(db, w.lsms, w.north.id));
    const triaged = await specialist.json('POST', `/api/v1/cases/${w.c.id}/triage`, {
      category: 'physical_assault',
      severity: 'medium',
      managerId: w.manager.id,
    });
    assert.equal(triaged.statusCode, 200, triaged.body);
    const mail = await sink.waitFor(w.manager.email, { subject: /^Investigation assigned to you/ });
    const link = new RegExp(`^Open the case: https://warden\\.example(/cases/${w.c.id}\\?for=${w.north.id})$`, 'm').exec(mail.text)?.[1];
    assert.ok(link, `the link names the case's organisation: ${mail.text}`);
    const manager = new Client(t.app, await session(db, w.manager, w.north.id));
    assert.equal((await manager.get(link)).statusCode, 200, 'acting for that organisation already: the case opens');

    // the LSMS, now acting for Southmere, opens the same link
    const elsewhere = new Client(t.app, await session(db, w.lsms, w.south.id));
    assert.equal((await elsewhere.get(`/cases/${w.c.id}`)).statusCode, 404, 'without the organisation, the case is not found');
    const opened = await elsewhere.get(link);
    assert.equal(opened.statusCode, 302);
    const chooser = new URL(location(opened), 'https://warden.example');
    assert.equal(chooser.pathname, '/choose-organisation');
    assert.equal(chooser.searchParams.get('next'), `/cases/${w.c.id}`);
    const page = await elsewhere.get(chooser.pathname + chooser.search);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /The link you followed is for Northgate Trust\./);
    assert.match(page.body, new RegExp(`value="${w.north.id}" checked`), 'its organisation is selected');
    assert.match(page.body, new RegExp(`name="next" value="/cases/${w.c.id}"`));
    const chosen = await elsewhere.post('/choose-organisation', { orgId: w.north.id, next: `/cases/${w.c.id}` });
    assert.equal(chosen.statusCode, 303);
    assert.equal(location(chosen), `/cases/${w.c.id}`);
    const now = await elsewhere.get(`/cases/${w.c.id}`);
    assert.equal(now.statusCode, 200);
    assert.match(now.body, new RegExp(w.c.reference));
  });

  test('a GET never switches by itself, and a link for an organisation the user has no role in changes nothing', async () => {
    const w = await world();
    const manager = new Client(t.app, await session(db, w.manager, w.north.id));
    assert.equal((await manager.get(`/cases?for=${w.south.id}`)).statusCode, 200, 'not theirs: the page as usual, for their own organisation');
    const specialist = new Client(t.app, await session(db, w.lsms, w.south.id));
    assert.equal((await specialist.get(`/choose-organisation?org=${w.north.id}&next=/cases`)).statusCode, 200);
    const acting = await db.selectFrom('sessions').select('org_id').where('user_id', '=', w.lsms.id).executeTakeFirstOrThrow();
    assert.equal(acting.org_id, w.south.id, 'showing the chooser changed nothing');
    assert.equal(
      (await specialist.get(`/choose-organisation?org=${w.north.id}&next=//evil.example/`)).body.includes('evil.example'),
      false,
      'only a path in Warden is a next page',
    );
  });

  test('a page opened before choosing any organisation asks for one and then opens; the API says to choose one', async () => {
    const w = await world();
    const specialist = new Client(t.app, await session(db, w.lsms, null));
    const cases = await specialist.get('/cases?status=reported');
    assert.equal(cases.statusCode, 302);
    assert.equal(location(cases), `/choose-organisation?next=${encodeURIComponent('/cases?status=reported')}`);
    const page = await specialist.get(location(cases));
    assert.match(page.body, /Choose one to open the page you asked for\./);
    const missing = await specialist.post('/choose-organisation', { next: '/cases?status=reported' });
    assert.equal(missing.statusCode, 400, 'none chosen: the error, and the page to go on to kept');
    assert.match(missing.body, /name="next" value="\/cases\?status=reported"/);
    const chosen = await specialist.post('/choose-organisation', { orgId: w.south.id, next: '/cases?status=reported' });
    assert.equal(location(chosen), '/cases?status=reported');
    assert.equal((await specialist.get('/cases?status=reported')).statusCode, 200);

    const api = new Client(t.app, await session(db, w.lsms, null));
    const listed = await api.get('/api/v1/cases');
    assert.equal(listed.statusCode, 403);
    assert.match(listed.body, /Choose the organisation you are acting for first/);
  });

  test('someone with no role that would allow the page is refused as before, chosen organisation or not', async () => {
    const w = await world();
    const reporter = await user(db, {
      roles: [
        [w.north.id, 'reporter'],
        [w.south.id, 'reporter'],
      ],
    });
    assert.equal((await new Client(t.app, await session(db, reporter, null)).get('/cases')).statusCode, 403);
    const admin = await user(db, { roles: [[null, 'administrator']] });
    assert.equal((await new Client(t.app, await session(db, admin, null)).get('/cases')).statusCode, 403, 'deployment-wide only: nothing to choose');
  });
});
