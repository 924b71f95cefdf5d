import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { organisation } from '../../../test/factories.ts';
import { inScope } from '../../platform/tenancy.ts';
import { tokensRepository } from './repository.ts';

const t = await testApp();
const db = t.db.owner;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const tokenCount = async () =>
  Number(
    (
      await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const systemAdmin = () => signedIn(t, [[null, 'administrator']]);

/** A request from a program: the bearer token and nothing else (no cookies, no CSRF token). */
const bearer = (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });

/** A valid JSON incident report. */
const incident = () => ({
  category: 'non_physical_assault',
  occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
  locationKind: 'community',
  communityAddress: '1 High Street',
  affected: [{ type: 'staff', staffRole: 'Nurse' }],
  assailants: [],
  injured: false,
  medicalFactors: 'no',
  aggravatingFactors: [],
  policeInvolved: false,
  narrative: 'A visitor shouted threats at the nurse at the front desk.',
});

/** A personal token made through the API by a signed-in user. */
async function personalToken(client: Client, role: string, name = 'Script') {
  const res = await client.json('POST', '/api/v1/api-tokens/personal', { name, role, expiresIn: '30' });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; token: string };
}

describe('API token pages', () => {
  test('anonymous visitors are sent to sign in, and the API answers 401', async () => {
    await systemAdmin();
    const anon = new Client(t.app);
    assert.match((await anon.get('/api-tokens')).headers.location as string, /^\/sign-in/);
    assert.equal((await anon.get('/api/v1/api-tokens')).statusCode, 401);
    assert.equal((await anon.json('POST', '/api/v1/api-tokens/personal', { name: 'x', role: 'reporter', expiresIn: '30' })).statusCode, 401);
  });

  test('any user creates a personal token from the page; it is shown once and only its SHA-256 is stored', async () => {
    const { client, org, user } = await memberOf(t, 'security_specialist');
    const list = await client.get('/api-tokens');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Create a personal token/);
    assert.doesNotMatch(list.body, /Create a service token/);
    const form = await client.get('/api-tokens/personal/new');
    assert.match(form.body, /Security specialist \(LSMS\)/);
    assert.doesNotMatch(form.body, /value="administrator"/);
    const res = await client.post('/api-tokens/personal', { name: 'Weekly export', role: 'security_specialist', expiresIn: '90' });
    assert.equal(res.statusCode, 201);
    const token = /value="(wdn_[A-Za-z0-9_-]{43})"/.exec(res.body)?.[1];
    assert.ok(token, 'the new token is on the page');
    const row = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, sha256(token));
    assert.equal(row.org_id, org.id);
    assert.equal(row.role, 'security_specialist');
    assert.ok(row.expires_at && Math.abs(row.expires_at.getTime() - Date.now() - 90 * 86_400_000) < 60_000);
    assert.ok(!JSON.stringify(await db.selectFrom('api_tokens').selectAll().execute()).includes(token));
    assert.ok(!JSON.stringify(await db.selectFrom('audit_events').select('detail').execute()).includes(token));
    const again = await client.get('/api-tokens');
    assert.match(again.body, /Weekly export/);
    assert.doesNotMatch(again.body, new RegExp(token));
    const audited = await db
      .selectFrom('audit_events')
      .select(['actor_id', 'org_id'])
      .where('action', '=', 'token.create')
      .where('object_id', '=', row.id)
      .execute();
    assert.deepEqual(audited, [{ actor_id: user.id, org_id: org.id }]);
  });

  test('bad input shows an error summary and writes nothing', async () => {
    const { client } = await memberOf(t, 'reporter');
    const cases: [Record<string, string>, RegExp][] = [
      [{ name: '', role: 'reporter', expiresIn: '30' }, /Enter a name that says what the token is for/],
      [{ name: 'x', role: 'administrator', expiresIn: '30' }, /Select one of your roles in the organisation you are acting for/],
      [{ name: 'x', role: 'wizard', expiresIn: '30' }, /Select the role the token acts with/],
      [{ name: 'x', role: 'reporter', expiresIn: 'never' }, /A personal token must expire/],
      [{ name: 'x', role: 'reporter', expiresIn: '7' }, /Select when the token expires/],
    ];
    const before = await tokenCount();
    for (const [form, message] of cases) {
      const res = await client.post('/api-tokens/personal', form);
      assert.equal(res.statusCode, 400, JSON.stringify(form));
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, message);
    }
    const api = await client.json('POST', '/api/v1/api-tokens/personal', { name: 'x', role: 'manager', expiresIn: '30' });
    assert.equal(api.statusCode, 400);
    assert.match(api.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(await tokenCount(), before);
  });

  test('only a system administrator creates service tokens', async () => {
    const org = await organisation(db);
    const before = await tokenCount();
    for (const role of ['administrator', 'reporter'] as const) {
      const { client } = await memberOf(t, role, org);
      assert.equal((await client.get('/api-tokens/service/new')).statusCode, 403);
      assert.equal((await client.post('/api-tokens/service', { name: 'Feed', orgId: org.id, role: 'reporter', expiresIn: 'never' })).statusCode, 403);
      assert.equal(
        (await client.json('POST', '/api/v1/api-tokens/service', { name: 'Feed', orgId: org.id, role: 'reporter', expiresIn: 'never' })).statusCode,
        403,
      );
    }
    assert.equal(await tokenCount(), before);
    const { client } = await systemAdmin();
    const bad = await client.post('/api-tokens/service', { name: 'Feed', orgId: '', role: 'reporter', expiresIn: 'never' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Select an organisation/);
    const wide = await client.json('POST', '/api/v1/api-tokens/service', { name: 'Feed', orgId: org.id, role: 'national_assessor', expiresIn: 'never' });
    assert.equal(wide.statusCode, 400);
    assert.equal(await tokenCount(), before);
    const res = await client.post('/api-tokens/service', { name: 'Incident feed', orgId: org.id, role: 'security_specialist', expiresIn: 'never' });
    assert.equal(res.statusCode, 201);
    assert.match(res.body, /wdn_/);
    const row = await db.selectFrom('api_tokens').selectAll().where('name', '=', 'Incident feed').executeTakeFirstOrThrow();
    assert.equal(row.user_id, null);
    assert.equal(row.expires_at, null);
    assert.match((await client.get('/api-tokens')).body, /Incident feed/);
  });
});

describe('bearer-token authentication', () => {
  test('requests arriving together are looked up together, and each gets its own token’s answer', async () => {
    const a = await memberOf(t, 'reporter');
    const b = await memberOf(t, 'reporter');
    const ta = await personalToken(a.client, 'reporter', 'A');
    const tb = await personalToken(b.client, 'reporter', 'B');
    const gone = await personalToken(a.client, 'reporter', 'Revoked');
    assert.equal((await a.client.post(`/api-tokens/${gone.id}/revoke`, {})).statusCode, 303);
    const asks = [ta.token, tb.token, gone.token, `wdn_${'B'.repeat(43)}`, tb.token, ta.token];
    const replies = await Promise.all(asks.map((token) => bearer(token, 'GET', '/api/v1/incidents/mine')));
    assert.deepEqual(
      replies.map((r) => r.statusCode),
      [200, 200, 401, 401, 200, 200],
    );
    // and each token's report is stored for its own organisation and reporter
    const sent = await Promise.all([ta, tb].map((x) => bearer(x.token, 'POST', '/api/v1/incidents', incident())));
    assert.deepEqual(
      sent.map((r) => r.statusCode),
      [201, 201],
    );
    const orgs = await db
      .selectFrom('incidents')
      .select(['org_id', 'reported_by'])
      .where(
        'id',
        'in',
        sent.map((r) => r.json().id as string),
      )
      .execute();
    assert.deepEqual(
      orgs.map((o) => [o.org_id, o.reported_by]).sort(),
      [
        [a.org.id, a.user.id],
        [b.org.id, b.user.id],
      ].sort(),
    );
  });

  test('looking tokens up inside a scoped transaction leaves that transaction scoped to its organisation', async () => {
    const mine = await memberOf(t, 'reporter');
    const other = await memberOf(t, 'reporter');
    const token = await personalToken(other.client, 'reporter', 'Other');
    const seen = await inScope(t.db.app, { orgId: mine.org.id }, async (tx) => {
      const found = await tokensRepository.byHashes(tx, [createHash('sha256').update(token.token).digest('hex')]);
      assert.equal(found.size, 1, 'the lookup itself is deployment-wide');
      return tx.selectFrom('api_tokens').select('org_id').execute();
    });
    assert.deepEqual(seen, [], 'no other organisation’s token comes into sight afterwards');
  });

  test('a personal token reads its own organisation and is refused another organisation’s', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const other = await organisation(db);
    const { token } = await personalToken(client, 'reporter');
    const mine = await bearer(token, 'GET', `/api/v1/organisations/${org.id}`);
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json().id, org.id);
    const theirs = await bearer(token, 'GET', `/api/v1/organisations/${other.id}`);
    assert.equal(theirs.statusCode, 403);
    // Its role is the token's, not everything the user holds.
    assert.equal((await bearer(token, 'POST', `/api/v1/organisations/${org.id}/sites`, { name: 'X', address: 'Y' })).statusCode, 403);
  });

  test('a service token acts for its organisation with its role, audited under the token', async () => {
    const { client } = await systemAdmin();
    const org = await organisation(db);
    const other = await organisation(db);
    const created = (
      await client.json('POST', '/api/v1/api-tokens/service', { name: 'Estates system', orgId: org.id, role: 'security_specialist', expiresIn: '365' })
    ).json();
    const res = await bearer(created.token, 'POST', `/api/v1/organisations/${org.id}/sites`, { name: 'Token Site', address: '1 Road', isLarge: false });
    assert.equal(res.statusCode, 201, res.body);
    const audit = await db
      .selectFrom('audit_events')
      .select(['actor_id', 'org_id'])
      .where('action', '=', 'site.create')
      .where('object_id', '=', res.json().id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(audit, { actor_id: created.id, org_id: org.id });
    assert.equal((await bearer(created.token, 'GET', `/api/v1/organisations/${other.id}`)).statusCode, 403);
    assert.equal((await bearer(created.token, 'GET', '/api/v1/users')).statusCode, 403);
  });

  test('no CSRF token is needed with a bearer token, but it still is with a session cookie', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    const { token } = await personalToken(client, 'security_specialist');
    const byToken = await bearer(token, 'PUT', `/api/v1/organisations/${org.id}/headcounts/2026`, { headcount: 1200 });
    assert.equal(byToken.statusCode, 200);
    const withCookie = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/organisations/${org.id}/headcounts/2027`,
      payload: { headcount: 1300 },
      headers: { authorization: `Bearer ${token}`, cookie: client.cookieHeader() },
    });
    assert.equal(withCookie.statusCode, 403);
    assert.equal(withCookie.json().type, 'https://warden.invalid/problems/csrf');
    const cookieOnly = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/organisations/${org.id}/headcounts/2027`,
      payload: { headcount: 1300 },
      headers: { cookie: client.cookieHeader() },
    });
    assert.equal(cookieOnly.statusCode, 403);
    const years = await db.selectFrom('staff_headcounts').select('financial_year').where('org_id', '=', org.id).execute();
    assert.deepEqual(
      years.map((y) => y.financial_year),
      [2026],
    );
  });

  test('revoked, expired, unknown and malformed tokens get 401 problem details, never a redirect', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const revoked = await personalToken(client, 'reporter', 'Old script');
    assert.equal((await bearer(revoked.token, 'GET', `/api/v1/organisations/${org.id}`)).statusCode, 200);
    const res = await client.post(`/api-tokens/${revoked.id}/revoke`, {});
    assert.equal(res.statusCode, 303);
    const expired = await personalToken(client, 'reporter', 'Expired');
    await db
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expired.id)
      .execute();
    for (const token of [revoked.token, expired.token, `wdn_${'A'.repeat(43)}`, 'not-a-warden-token', '']) {
      const r = await bearer(token, 'GET', `/api/v1/organisations/${org.id}`);
      assert.equal(r.statusCode, 401, token);
      assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
      assert.match(r.headers['www-authenticate'] as string, /^Bearer error="invalid_token"/);
      assert.equal(r.json().status, 401);
    }
    assert.equal(
      (await db.selectFrom('audit_events').select('id').where('action', '=', 'token.revoke').where('object_id', '=', revoked.id).execute()).length,
      1,
    );
    // A bearer token is for the API only: a page ignores it and asks for sign-in.
    const page = await t.app.inject({ method: 'GET', url: '/organisations', headers: { authorization: `Bearer ${expired.token}` } });
    assert.equal(page.statusCode, 302);
  });

  test('a personal token stops working when its owner is deactivated or loses the role', async () => {
    const admin = await memberOf(t, 'administrator');
    const owner = await signedIn(t, [
      [admin.org.id, 'reporter'],
      [admin.org.id, 'manager'],
    ]);
    const asReporter = await personalToken(owner.client, 'reporter');
    const asManager = await personalToken(owner.client, 'manager');
    const url = `/api/v1/organisations/${admin.org.id}`;
    assert.equal((await bearer(asManager.token, 'GET', url)).statusCode, 200);
    await admin.client.post(`/users/${owner.user.id}/roles/revoke`, { orgId: admin.org.id, role: 'manager' });
    assert.equal((await bearer(asManager.token, 'GET', url)).statusCode, 401);
    assert.equal((await bearer(asReporter.token, 'GET', url)).statusCode, 200);
    await admin.client.post(`/users/${owner.user.id}/deactivate`, {});
    assert.equal((await bearer(asReporter.token, 'GET', url)).statusCode, 401);
  });

  test('last use is recorded at most once a minute', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const { id, token } = await personalToken(client, 'reporter');
    const lastUsed = async () => (await db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at;
    assert.equal(await lastUsed(), null);
    await bearer(token, 'GET', `/api/v1/organisations/${org.id}`);
    const first = await lastUsed();
    assert.ok(first);
    await bearer(token, 'GET', `/api/v1/organisations/${org.id}`);
    assert.equal((await lastUsed())?.getTime(), first.getTime());
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await db.updateTable('api_tokens').set({ last_used_at: twoMinutesAgo }).where('id', '=', id).execute();
    await bearer(token, 'GET', `/api/v1/organisations/${org.id}`);
    assert.ok(((await lastUsed())?.getTime() ?? 0) > twoMinutesAgo.getTime() + 60_000);
  });

  test('a burst of requests with a token records its use once, not once per request', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const { id, token } = await personalToken(client, 'reporter');
    // Counts the writes to this token's row (each a row lock the burst's other requests would queue behind).
    await sql`CREATE TABLE token_touches (token_id uuid)`.execute(db);
    await sql`CREATE FUNCTION count_token_touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN INSERT INTO token_touches VALUES (NEW.id); RETURN NULL; END $$`.execute(db);
    await sql`CREATE TRIGGER count_token_touch AFTER UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION count_token_touch()`.execute(db);
    try {
      // Twelve requests a moment apart, as an integration's burst arrives: their token look-ups fall into several
      // batches, some read before the first write commits and some after it.
      const sent = [];
      for (let i = 0; i < 12; i++) {
        sent.push(bearer(token, 'GET', `/api/v1/organisations/${org.id}`));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const answers = await Promise.all(sent);
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        Array(12).fill(200),
      );
      const touches = await sql<{ n: string }>`SELECT count(*) AS n FROM token_touches WHERE token_id = ${id}`.execute(db);
      assert.equal(Number(touches.rows[0]?.n), 1);
      assert.ok((await db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at);
    } finally {
      await sql`DROP TRIGGER count_token_touch ON api_tokens; DROP FUNCTION count_token_touch(); DROP TABLE token_touches`.execute(db);
    }
  });

  test('a token cannot create or revoke tokens', async () => {
    const { client } = await memberOf(t, 'reporter');
    const { id, token } = await personalToken(client, 'reporter');
    const before = await tokenCount();
    assert.equal((await bearer(token, 'POST', '/api/v1/api-tokens/personal', { name: 'Child', role: 'reporter', expiresIn: '30' })).statusCode, 403);
    assert.equal((await bearer(token, 'DELETE', `/api/v1/api-tokens/${id}`)).statusCode, 403);
    assert.equal(await tokenCount(), before);
    const row = await db.selectFrom('api_tokens').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.revoked_at, null);
  });
});

describe('revoking tokens', () => {
  test('only the owner or a system administrator revokes a personal token', async () => {
    const owner = await memberOf(t, 'reporter');
    const colleague = await memberOf(t, 'administrator', owner.org);
    const stranger = await memberOf(t, 'reporter');
    const { id } = await personalToken(owner.client, 'reporter');
    assert.equal((await stranger.client.post(`/api-tokens/${id}/revoke`, {})).statusCode, 403);
    assert.equal((await colleague.client.json('DELETE', `/api/v1/api-tokens/${id}`, undefined)).statusCode, 403);
    const listed = await stranger.client.get('/api/v1/api-tokens');
    assert.deepEqual(listed.json(), { personal: [], all: null });
    assert.equal((await owner.client.json('DELETE', `/api/v1/api-tokens/${id}`, undefined)).json().revokedAt !== null, true);
    const second = await personalToken(owner.client, 'reporter');
    const { client } = await systemAdmin();
    const all = (await client.get('/api/v1/api-tokens')).json();
    assert.ok(all.all.some((x: { id: string }) => x.id === second.id));
    assert.equal((await client.post(`/api-tokens/${second.id}/revoke`, {})).statusCode, 303);
    assert.equal((await client.post('/api-tokens/00000000-0000-4000-8000-000000000000/revoke', {})).statusCode, 404);
  });
});
