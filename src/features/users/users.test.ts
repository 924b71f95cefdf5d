import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { organisation, session, user } from '../../../test/factories.ts';

const t = await testApp();
const db = t.db.owner;

const auditCount = async (action: string, objectId?: string) => {
  let q = db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('action', '=', action);
  if (objectId) q = q.where('object_id', '=', objectId);
  return Number((await q.executeTakeFirstOrThrow()).n);
};
const userCount = async () =>
  Number(
    (
      await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const rolesOf = async (userId: string) =>
  (await db.selectFrom('user_roles').select(['org_id', 'role']).where('user_id', '=', userId).execute())
    .map((r) => `${r.org_id ?? 'deployment'}:${r.role}`)
    .sort();
const systemAdmin = () => signedIn(t, [[null, 'administrator']]);

describe('users pages: access', () => {
  test('anonymous visitors are sent to sign in, and the API answers 401', async () => {
    await systemAdmin(); // once a user exists, set-up is over
    const anon = new Client(t.app);
    const res = await anon.get('/users');
    assert.equal(res.statusCode, 302);
    assert.match(res.headers.location as string, /^\/sign-in\?next=%2Fusers/);
    const api = await anon.get('/api/v1/users');
    assert.equal(api.statusCode, 401);
    assert.match(api.headers['content-type'] as string, /^application\/problem\+json/);
  });

  test('a reporter, a security specialist or a user acting for no organisation cannot manage users, and nothing is written', async () => {
    for (const role of ['reporter', 'security_specialist'] as const) {
      const { client } = await memberOf(t, role);
      assert.equal((await client.get('/users')).statusCode, 403);
      assert.equal((await client.get('/users/new')).statusCode, 403);
      assert.equal((await client.get('/api/v1/users')).statusCode, 403);
      const before = await userCount();
      assert.equal((await client.post('/users', { name: 'Eve', email: 'eve@test.nhs.uk', roles: 'reporter' })).statusCode, 403);
      assert.equal((await client.json('POST', '/api/v1/users', { name: 'Eve', email: 'eve@test.nhs.uk', roles: ['reporter'] })).statusCode, 403);
      assert.equal(await userCount(), before);
    }
    const org = await organisation(db);
    const { client } = await signedIn(t, [[org.id, 'administrator']], null); // an administrator not yet acting for it
    const page = await client.get('/users');
    assert.equal(page.statusCode, 302, 'asked to choose the organisation first');
    assert.equal(page.headers.location, '/choose-organisation?next=%2Fusers');
    const api = await client.get('/api/v1/users');
    assert.equal(api.statusCode, 403);
    assert.match(api.body, /Choose the organisation you are acting for first/);
    const before = await userCount();
    const posted = await client.post('/users', { name: 'Eve', email: 'eve@test.nhs.uk', roles: 'reporter' });
    assert.equal(posted.statusCode, 403);
    assert.match(posted.body, /Choose an organisation first[\s\S]*nothing was saved/);
    assert.equal(await userCount(), before);
  });

  test('the Users navigation item shows only for administrators', async () => {
    const admin = await memberOf(t, 'administrator');
    assert.match((await admin.client.get('/organisations')).body, /href="\/users"/);
    const reporter = await memberOf(t, 'reporter');
    assert.doesNotMatch((await reporter.client.get('/organisations')).body, /href="\/users"/);
  });
});

describe('listing users', () => {
  test('an organisation administrator sees only the users of the organisation they act for, with those roles only', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const other = await organisation(db);
    const colleague = await user(db, { name: 'Colleague Cooper', roles: [[org.id, 'manager']] });
    const lsms = await user(db, {
      name: 'Shared Specialist',
      roles: [
        [org.id, 'security_specialist'],
        [other.id, 'security_specialist'],
      ],
    });
    const stranger = await user(db, { name: 'Stranger Stone', roles: [[other.id, 'reporter']] });
    const page = await client.get('/users');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Colleague Cooper/);
    assert.match(page.body, /Shared Specialist/);
    assert.doesNotMatch(page.body, /Stranger Stone/);
    assert.doesNotMatch(page.body, new RegExp(other.name));
    const api = await client.get('/api/v1/users');
    const ids = api.json().users.map((u: { id: string }) => u.id);
    assert.ok(ids.includes(colleague.id) && ids.includes(lsms.id) && !ids.includes(stranger.id));
    const shared = api.json().users.find((u: { id: string }) => u.id === lsms.id);
    assert.deepEqual(shared.roles, [{ orgId: org.id, orgName: org.name, role: 'security_specialist' }]);
    // A filter for another organisation is ignored: the acting organisation bounds the list.
    const filtered = await client.get(`/api/v1/users?orgId=${other.id}`);
    assert.ok(!filtered.json().users.some((u: { id: string }) => u.id === stranger.id));
  });

  test('a system administrator sees every user, filters by organisation and searches by name or e-mail', async () => {
    const { client } = await systemAdmin();
    const a = await organisation(db);
    const b = await organisation(db);
    const inA = await user(db, { name: 'Alpha Person', email: 'alpha.person@test.nhs.uk', roles: [[a.id, 'reporter']] });
    const inB = await user(db, { name: 'Beta Person', roles: [[b.id, 'manager']] });
    const all = await client.get('/users?q=Person');
    assert.match(all.body, /Alpha Person/);
    assert.match(all.body, /Beta Person/);
    const onlyA = (await client.get(`/api/v1/users?orgId=${a.id}`)).json();
    assert.deepEqual(
      onlyA.users.map((u: { id: string }) => u.id),
      [inA.id],
    );
    const byEmail = (await client.get('/api/v1/users?q=alpha.person@')).json();
    assert.deepEqual(
      byEmail.users.map((u: { id: string }) => u.id),
      [inA.id],
    );
    assert.ok(inB.id);
    const bad = await client.get('/api/v1/users?orgId=not-a-uuid');
    assert.equal(bad.statusCode, 400);
  });
});

describe('adding users', () => {
  test('an organisation administrator adds a user without a password, audited, and is told how they set one', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const form = await client.get('/users/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Forgotten your password\?/);
    assert.doesNotMatch(form.body, /National quality assessor/);
    const res = await client.post('/users', { name: 'New Starter', email: 'New.Starter@Test.nhs.uk', roles: ['reporter', 'manager'] });
    assert.equal(res.statusCode, 303);
    const row = await db.selectFrom('users').selectAll().where('email', '=', 'new.starter@test.nhs.uk').executeTakeFirstOrThrow();
    assert.equal(row.password_hash, null);
    assert.equal(row.name, 'New Starter');
    assert.deepEqual(await rolesOf(row.id), [`${org.id}:manager`, `${org.id}:reporter`]);
    assert.equal(res.headers.location, `/users/${row.id}?created=1`);
    assert.equal(await auditCount('user.create', row.id), 1);
    assert.equal(await auditCount('user.role_grant', row.id), 2);
    const page = await client.get(res.headers.location as string);
    assert.match(page.body, /has no password yet/);
    assert.match(page.body, /Forgotten your password\?/);
  });

  test('bad input shows an error summary and writes nothing', async () => {
    const { client } = await memberOf(t, 'administrator');
    const cases: [Record<string, string | string[]>, RegExp, number][] = [
      [{ name: '', email: 'a@test.nhs.uk', roles: 'reporter' }, /Enter the person’s full name/, 400],
      [{ name: 'A Person', email: 'not-an-email', roles: 'reporter' }, /Enter an e-mail address in the correct format/, 400],
      [{ name: 'A Person', email: 'b@test.nhs.uk' }, /Select at least one role/, 400],
      [{ name: 'A Person', email: 'c@test.nhs.uk', roles: 'superuser' }, /Select a role/, 400],
      [{ name: 'A Person', email: 'd@test.nhs.uk', roles: 'national_assessor' }, /deployment-wide role/, 400],
      [{ name: 'A Person', email: 'e@test.nhs.uk', roles: 'commissioner' }, /only be held in a commissioning organisation/, 400],
    ];
    for (const [form, message, status] of cases) {
      const before = await userCount();
      const res = await client.post('/users', form);
      assert.equal(res.statusCode, status, JSON.stringify(form));
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, message);
      assert.equal(await userCount(), before);
    }
  });

  test('an organisation administrator cannot add a user to another organisation or deployment-wide', async () => {
    const { client } = await memberOf(t, 'administrator');
    const other = await organisation(db);
    const before = await userCount();
    assert.equal((await client.post('/users', { name: 'X', email: 'x1@test.nhs.uk', orgId: other.id, roles: 'reporter' })).statusCode, 403);
    assert.equal((await client.post('/users', { name: 'X', email: 'x2@test.nhs.uk', orgId: 'deployment', roles: 'administrator' })).statusCode, 403);
    const api = await client.json('POST', '/api/v1/users', { name: 'X', email: 'x3@test.nhs.uk', orgId: null, roles: ['national_assessor'] });
    assert.equal(api.statusCode, 403);
    assert.equal(await userCount(), before);
  });

  test('an e-mail address that already has an account gets the roles on that account', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const elsewhere = await organisation(db);
    const lsms = await user(db, { email: 'contracted.lsms@test.nhs.uk', name: 'Contracted LSMS', roles: [[elsewhere.id, 'security_specialist']] });
    const before = await userCount();
    const res = await client.post('/users', { name: 'Another Name', email: 'CONTRACTED.LSMS@test.nhs.uk', roles: 'security_specialist' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `/users/${lsms.id}?existing=1`);
    assert.equal(await userCount(), before);
    assert.deepEqual(await rolesOf(lsms.id), [`${elsewhere.id}:security_specialist`, `${org.id}:security_specialist`].sort());
    const page = await client.get(res.headers.location as string);
    assert.match(page.body, /Contracted LSMS/);
    assert.doesNotMatch(page.body, new RegExp(elsewhere.name)); // other organisations' roles are not shown
  });

  test('the API creates a user (201), and bad input gets 400 problem details with nothing written', async () => {
    const { client } = await systemAdmin();
    const org = await organisation(db, { type: 'commissioner' });
    const created = await client.json('POST', '/api/v1/users', {
      name: 'Commissioning Lead',
      email: 'lead@ccg.test.nhs.uk',
      orgId: org.id,
      roles: ['commissioner'],
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().hasPassword, false);
    assert.equal(created.json().existing, false);
    assert.deepEqual(created.json().roles, [{ orgId: org.id, orgName: org.name, role: 'commissioner' }]);
    const before = await userCount();
    for (const body of [
      { email: 'x@test.nhs.uk', roles: ['reporter'], orgId: org.id },
      { name: 'X', email: 'nope', roles: ['reporter'], orgId: org.id },
      { name: 'X', email: 'y@test.nhs.uk', roles: [], orgId: org.id },
      { name: 'X', email: 'z@test.nhs.uk', roles: ['reporter'], orgId: null },
    ]) {
      const res = await client.json('POST', '/api/v1/users', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.ok(res.json().errors.length > 0);
    }
    assert.equal(await userCount(), before);
  });
});

describe('granting and revoking roles', () => {
  test('an organisation administrator grants and revokes roles in their organisation, audited', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const u = await user(db, { roles: [[org.id, 'reporter']] });
    let res = await client.post(`/users/${u.id}/roles`, { role: 'security_specialist' });
    assert.equal(res.statusCode, 303);
    assert.deepEqual(await rolesOf(u.id), [`${org.id}:reporter`, `${org.id}:security_specialist`]);
    assert.equal(await auditCount('user.role_grant', u.id), 1);
    res = await client.post(`/users/${u.id}/roles/revoke`, { orgId: org.id, role: 'reporter' });
    assert.equal(res.statusCode, 303);
    assert.deepEqual(await rolesOf(u.id), [`${org.id}:security_specialist`]);
    assert.equal(await auditCount('user.role_revoke', u.id), 1);
    const api = await client.json('POST', `/api/v1/users/${u.id}/roles`, { orgId: org.id, role: 'smd' });
    assert.equal(api.statusCode, 201);
    const removed = await del(client, `/api/v1/users/${u.id}/roles?orgId=${org.id}&role=smd`);
    assert.equal(removed.statusCode, 200);
    assert.deepEqual(await rolesOf(u.id), [`${org.id}:security_specialist`]);
  });

  test('an organisation administrator cannot grant deployment-wide roles or act on another organisation’s users', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const other = await organisation(db);
    const mine = await user(db, { roles: [[org.id, 'reporter']] });
    const theirs = await user(db, { roles: [[other.id, 'reporter']] });
    const denied = await auditCount('access.denied');
    assert.equal((await client.post(`/users/${mine.id}/roles`, { orgId: 'deployment', role: 'administrator' })).statusCode, 403);
    assert.equal((await client.json('POST', `/api/v1/users/${mine.id}/roles`, { orgId: null, role: 'national_assessor' })).statusCode, 403);
    assert.equal((await client.json('POST', `/api/v1/users/${mine.id}/roles`, { orgId: other.id, role: 'reporter' })).statusCode, 403);
    assert.equal((await client.get(`/users/${theirs.id}`)).statusCode, 403);
    assert.equal((await client.get(`/api/v1/users/${theirs.id}`)).statusCode, 403);
    assert.equal((await client.post(`/users/${theirs.id}/roles`, { role: 'manager' })).statusCode, 403);
    assert.equal((await client.post(`/users/${theirs.id}/deactivate`, {})).statusCode, 403);
    assert.equal((await client.json('POST', `/api/v1/users/${theirs.id}/deactivate`, {})).statusCode, 403);
    assert.equal((await client.get(`/api/v1/users/${theirs.id}/sessions`)).statusCode, 403);
    assert.deepEqual(await rolesOf(mine.id), [`${org.id}:reporter`]);
    assert.deepEqual(await rolesOf(theirs.id), [`${other.id}:reporter`]);
    assert.ok((await auditCount('access.denied')) >= denied + 8);
  });

  test('a system administrator grants roles anywhere, including deployment-wide administrator and national assessor', async () => {
    const { client } = await systemAdmin();
    const org = await organisation(db);
    const u = await user(db, { roles: [[org.id, 'reporter']] });
    const page = await client.get(`/users/${u.id}`);
    assert.match(page.body, /Deployment-wide \(every organisation\)/);
    assert.equal((await client.post(`/users/${u.id}/roles`, { orgId: 'deployment', role: 'national_assessor' })).statusCode, 303);
    assert.equal((await client.json('POST', `/api/v1/users/${u.id}/roles`, { orgId: null, role: 'administrator' })).statusCode, 201);
    const other = await organisation(db);
    assert.equal((await client.json('POST', `/api/v1/users/${u.id}/roles`, { orgId: other.id, role: 'manager' })).statusCode, 201);
    assert.deepEqual(await rolesOf(u.id), [`${org.id}:reporter`, `${other.id}:manager`, 'deployment:administrator', 'deployment:national_assessor'].sort());
    // Not choosing where is an error, never a deployment-wide grant.
    const blank = await client.post(`/users/${u.id}/roles`, { orgId: '', role: 'administrator' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /Select an organisation/);
    const blankNew = await client.post('/users', { name: 'No Org', email: 'no.org@test.nhs.uk', orgId: '', roles: 'administrator' });
    assert.equal(blankNew.statusCode, 400);
    assert.match(blankNew.body, /Select an organisation/);
    const unsaid = await client.json('POST', `/api/v1/users/${u.id}/roles`, { role: 'administrator' });
    assert.equal(unsaid.statusCode, 400);
    assert.equal(unsaid.json().errors[0].field, 'orgId');
    assert.deepEqual(await rolesOf(u.id), [`${org.id}:reporter`, `${other.id}:manager`, 'deployment:administrator', 'deployment:national_assessor'].sort());
    // A role in an organisation cannot be made deployment-wide.
    const bad = await client.json('POST', `/api/v1/users/${u.id}/roles`, { orgId: null, role: 'reporter' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().errors[0].field, 'role');
  });

  test('an administrator cannot remove their own last administrator role', async () => {
    const { client, org, user: me } = await memberOf(t, 'administrator');
    const res = await client.post(`/users/${me.id}/roles/revoke`, { orgId: org.id, role: 'administrator' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /You cannot remove your own last administrator role/);
    const api = await del(client, `/api/v1/users/${me.id}/roles?orgId=${org.id}&role=administrator`);
    assert.equal(api.statusCode, 400);
    assert.deepEqual(await rolesOf(me.id), [`${org.id}:administrator`]);
    assert.equal(await auditCount('user.role_revoke', me.id), 0);
    // Another administrator of the organisation may remove it.
    const other = await signedIn(t, [[org.id, 'administrator']]);
    assert.equal((await other.client.post(`/users/${me.id}/roles/revoke`, { orgId: org.id, role: 'administrator' })).statusCode, 303);
    assert.deepEqual(await rolesOf(me.id), []);
  });

  test('the last active system administrator keeps the role', async () => {
    // Only system administrators made in this test are active: deactivate the rest so the count is known.
    const wereActive = (await db.updateTable('users').set({ is_active: false }).where('is_active', '=', true).returning('id').execute()).map((r) => r.id);
    try {
      const a = await systemAdmin();
      const b = await systemAdmin();
      const revoke = (c: Client, id: string) => del(c, `/api/v1/users/${id}/roles?role=administrator`);
      assert.equal((await revoke(a.client, b.user.id)).statusCode, 200);
      const last = await b.client.get('/api/v1/users'); // b is no longer a system administrator
      assert.equal(last.statusCode, 403);
      const self = await revoke(a.client, a.user.id);
      assert.equal(self.statusCode, 400);
      assert.deepEqual(await rolesOf(a.user.id), ['deployment:administrator']);
    } finally {
      await db.updateTable('users').set({ is_active: true }).where('id', 'in', wereActive).execute();
    }
  });
});

describe('deactivation and sessions', () => {
  test('deactivation signs the user out at once and is audited; reactivation lets them back', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const target = await signedIn(t, [[org.id, 'reporter']]);
    assert.equal((await target.client.get(`/api/v1/organisations/${org.id}`)).statusCode, 200);
    const confirm = await client.get(`/users/${target.user.id}/deactivate`);
    assert.match(confirm.body, /will be signed out everywhere/);
    const res = await client.post(`/users/${target.user.id}/deactivate`, {});
    assert.equal(res.statusCode, 303);
    const row = await db.selectFrom('users').select('is_active').where('id', '=', target.user.id).executeTakeFirstOrThrow();
    assert.equal(row.is_active, false);
    const open = await db.selectFrom('sessions').select('id').where('user_id', '=', target.user.id).where('ended_at', 'is', null).execute();
    assert.equal(open.length, 0);
    assert.equal((await target.client.get(`/api/v1/organisations/${org.id}`)).statusCode, 401);
    const page = await target.client.get('/organisations');
    assert.equal(page.statusCode, 302);
    assert.match(page.headers.location as string, /^\/sign-in/);
    assert.equal(await auditCount('user.deactivate', target.user.id), 1);
    assert.match((await client.get(`/users/${target.user.id}`)).body, /Deactivated/);
    const back = await client.json('POST', `/api/v1/users/${target.user.id}/reactivate`, {});
    assert.equal(back.statusCode, 200);
    assert.equal(back.json().isActive, true);
    assert.equal(await auditCount('user.reactivate', target.user.id), 1);
  });

  test('an organisation administrator cannot deactivate someone who also works elsewhere, or themselves', async () => {
    const { client, org, user: me } = await memberOf(t, 'administrator');
    const elsewhere = await organisation(db);
    const shared = await user(db, {
      roles: [
        [org.id, 'security_specialist'],
        [elsewhere.id, 'security_specialist'],
      ],
    });
    const page = await client.get(`/users/${shared.id}`);
    assert.match(page.body, /also holds roles elsewhere/);
    assert.equal((await client.post(`/users/${shared.id}/deactivate`, {})).statusCode, 403);
    const self = await client.post(`/users/${me.id}/deactivate`, {});
    assert.equal(self.statusCode, 400);
    assert.match(self.body, /You cannot deactivate your own account/);
    const active = await db.selectFrom('users').select('is_active').where('id', 'in', [shared.id, me.id]).execute();
    assert.ok(active.every((r) => r.is_active));
    // A system administrator can.
    const sys = await systemAdmin();
    assert.equal((await sys.client.json('POST', `/api/v1/users/${shared.id}/deactivate`, {})).statusCode, 200);
  });

  test('an administrator lists a user’s sessions and ends one or all, audited', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const u = await user(db, { roles: [[org.id, 'reporter']] });
    const tokens = [await session(db, u), await session(db, u), await session(db, u)];
    const list = await client.get(`/api/v1/users/${u.id}/sessions`);
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().length, 3);
    const page = await client.get(`/users/${u.id}`);
    assert.match(page.body, /End all sessions/);
    const first = list.json()[0].id as string;
    assert.equal((await client.post(`/users/${u.id}/sessions/end`, { sessionId: first })).statusCode, 303);
    assert.equal((await client.get(`/api/v1/users/${u.id}/sessions`)).json().length, 2);
    assert.equal(await auditCount('session.end', u.id), 1);
    const second = (await client.get(`/api/v1/users/${u.id}/sessions`)).json()[0].id as string;
    const one = await del(client, `/api/v1/users/${u.id}/sessions/${second}`);
    assert.deepEqual(one.json(), { ended: 1 });
    assert.equal((await client.post(`/users/${u.id}/sessions/end-all`, {})).statusCode, 303);
    assert.equal((await client.get(`/api/v1/users/${u.id}/sessions`)).json().length, 0);
    assert.equal(await auditCount('session.end_all', u.id), 1);
    for (const token of tokens) assert.equal((await new Client(t.app, token).get('/api/v1/users')).statusCode, 401);
    // An unknown session is a 404, not a silent success.
    const missing = await client.post(`/users/${u.id}/sessions/end`, { sessionId: 'f'.repeat(64) });
    assert.equal(missing.statusCode, 404);
  });

  test('for someone who also works elsewhere, an organisation administrator sees and ends only sessions acting for their organisation', async () => {
    const { client, org } = await memberOf(t, 'administrator');
    const elsewhere = await organisation(db);
    const u = await user(db, {
      roles: [
        [org.id, 'reporter'],
        [elsewhere.id, 'manager'],
      ],
    });
    const here = await session(db, u, org.id);
    const there = await session(db, u, elsewhere.id);
    const list = (await client.get(`/api/v1/users/${u.id}/sessions`)).json();
    assert.equal(list.length, 1);
    assert.equal(list[0].orgId, org.id);
    const all = await del(client, `/api/v1/users/${u.id}/sessions`);
    assert.deepEqual(all.json(), { ended: 1 });
    assert.equal((await new Client(t.app, here).get('/api/v1/users')).statusCode, 401);
    assert.notEqual((await new Client(t.app, there).get(`/api/v1/organisations/${elsewhere.id}`)).statusCode, 401);
  });
});

/** A DELETE from a signed-in page's script: with the CSRF header, as `Client.json` sends for other methods. */
async function del(client: Client, url: string) {
  const token = await csrfOf(client); // first: fetching it may set the CSRF cookie
  return t.app.inject({ method: 'DELETE', url, headers: { cookie: client.cookieHeader(), 'x-csrf-token': token } });
}

/** The CSRF token a client's pages carry (fetching one sets the CSRF cookie). */
async function csrfOf(client: Client): Promise<string> {
  const res = await client.get('/accessibility');
  return /<meta name="csrf-token" content="([^"]*)"/.exec(res.body)?.[1] ?? '';
}
