import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { organisation, site, uniqueCode } from '../../../test/factories.ts';

const t = await testApp();
const count = async (table: 'organisations' | 'sites' | 'departments' | 'staff_headcounts') =>
  Number(
    (
      await t.db.owner
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const auditCount = async (action: string) =>
  Number(
    (
      await t.db.owner
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .executeTakeFirstOrThrow()
    ).n,
  );
const systemAdmin = () => signedIn(t, [[null, 'administrator']]);

describe('organisation pages', () => {
  test('anonymous visitors are sent to sign in', async () => {
    await signedIn(t, [[null, 'administrator']]); // once a user exists, set-up is over
    const res = await new Client(t.app).get('/organisations');
    assert.equal(res.statusCode, 302);
    assert.match(res.headers.location as string, /^\/sign-in\?next=%2Forganisations/);
  });

  test('a system administrator creates an organisation from the form, and it is audited', async () => {
    const { client } = await systemAdmin();
    const form = await client.get('/organisations/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1[^>]*>Add an organisation<\/h1>/);
    const code = uniqueCode();
    const before = await auditCount('organisation.create');
    const res = await client.post('/organisations', { name: 'Moorside NHS Foundation Trust', code: code.toLowerCase(), type: 'acute' });
    assert.equal(res.statusCode, 303);
    const org = await t.db.owner.selectFrom('organisations').selectAll().where('code', '=', code).executeTakeFirstOrThrow();
    assert.equal(org.name, 'Moorside NHS Foundation Trust');
    assert.equal(res.headers.location, `/organisations/${org.id}`);
    assert.equal(await auditCount('organisation.create'), before + 1);
    const page = await client.get(res.headers.location as string);
    assert.match(page.body, /Moorside NHS Foundation Trust/);
  });

  test('invalid organisation input shows an error summary and writes nothing', async () => {
    const { client } = await systemAdmin();
    const existing = await organisation(t.db.owner);
    const cases: [Record<string, string>, RegExp][] = [
      [{ name: '', code: uniqueCode(), type: 'acute' }, /Enter the organisation name/],
      [{ name: 'A Trust', code: existing.code, type: 'acute' }, new RegExp(`An organisation with code ${existing.code} already exists`)],
      [{ name: 'A Trust', code: uniqueCode(), type: 'hospice' }, /Select the type of organisation/],
      [{ name: 'A Trust', code: 'R!', type: 'acute' }, /Organisation code must be 3 to 5 letters or numbers/],
    ];
    for (const [form, message] of cases) {
      const before = await count('organisations');
      const res = await client.post('/organisations', form);
      assert.equal(res.statusCode, 400, JSON.stringify(form));
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, /There is a problem/);
      assert.match(res.body, message);
      assert.match(res.body, /<title>Error: /);
      assert.equal(await count('organisations'), before);
    }
  });

  test('a negative headcount is refused on the page and nothing is written', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    const res = await client.post(`/organisations/${org.id}/headcounts`, { financialYear: '2026', headcount: '-5' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /Staff headcount must be 0 or more/);
    assert.equal(await count('staff_headcounts'), 0);
  });

  test('the security specialist records sites, departments and a headcount for their organisation', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    let res = await client.post(`/organisations/${org.id}/sites`, { name: 'Hilltop Hospital', address: '1 Hill Road', postcode: 'ls1 4ap', isLarge: 'yes' });
    assert.equal(res.statusCode, 303);
    const s = await t.db.owner.selectFrom('sites').selectAll().where('org_id', '=', org.id).executeTakeFirstOrThrow();
    assert.equal(s.is_large, true);
    assert.equal(s.postcode, 'LS1 4AP');
    res = await client.post(`/organisations/${org.id}/departments`, { name: 'Emergency Department', siteId: s.id });
    assert.equal(res.statusCode, 303);
    res = await client.post(`/organisations/${org.id}/headcounts`, { financialYear: '2025', headcount: '4,062' });
    assert.equal(res.statusCode, 303);
    const page = await client.get(`/organisations/${org.id}`);
    assert.match(page.body, /Hilltop Hospital/);
    assert.match(page.body, /Emergency Department/);
    assert.match(page.body, /2025\/26/);
    assert.match(page.body, /4,062/);
  });

  test('a site can be changed, and a duplicate site name is refused', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    const a = await site(t.db.owner, { orgId: org.id, name: 'North Wing' });
    await site(t.db.owner, { orgId: org.id, name: 'South Wing' });
    const form = await client.get(`/organisations/${org.id}/sites/${a.id}/edit`);
    assert.match(form.body, /value="North Wing"/);
    let res = await client.post(`/organisations/${org.id}/sites/${a.id}/edit`, { name: 'South Wing', address: 'x' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /already has a site called South Wing/);
    res = await client.post(`/organisations/${org.id}/sites/${a.id}/edit`, { name: 'North Block', address: '2 Hill Road' });
    assert.equal(res.statusCode, 303);
    const row = await t.db.owner.selectFrom('sites').select('name').where('id', '=', a.id).executeTakeFirstOrThrow();
    assert.equal(row.name, 'North Block');
  });

  test('a reporter sees their organisation but cannot change it', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const page = await client.get(`/organisations/${org.id}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Add a site/);
    const res = await client.post(`/organisations/${org.id}/sites`, { name: 'X', address: 'Y' });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /You do not have access to this page/);
    assert.equal(await count('sites'), (await t.db.owner.selectFrom('sites').select('id').execute()).length);
    assert.equal((await t.db.owner.selectFrom('sites').select('id').where('org_id', '=', org.id).execute()).length, 0);
  });

  test('another organisation’s pages are refused, and the refusal is audited', async () => {
    const { client } = await memberOf(t, 'security_specialist');
    const other = await organisation(t.db.owner);
    const before = await auditCount('access.denied');
    assert.equal((await client.get(`/organisations/${other.id}`)).statusCode, 403);
    assert.equal((await client.post(`/organisations/${other.id}/sites`, { name: 'X', address: 'Y' })).statusCode, 403);
    assert.equal(await auditCount('access.denied'), before + 2);
  });

  test('the list shows only the organisations a user belongs to', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    const other = await organisation(t.db.owner);
    const page = await client.get('/organisations');
    assert.match(page.body, new RegExp(org.name));
    assert.doesNotMatch(page.body, new RegExp(other.name));
  });

  test('a form without its CSRF token is refused and nothing is written', async () => {
    const { client } = await systemAdmin();
    const before = await count('organisations');
    const res = await client.post('/organisations', { name: 'Forged Trust', code: uniqueCode(), type: 'acute' }, { csrf: false });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /This form has expired/);
    assert.equal(await count('organisations'), before);
  });

  test('organisation names are escaped in pages', async () => {
    const { client, org } = await memberOf(t, 'reporter');
    await t.db.owner.updateTable('organisations').set({ name: '<script>alert(1)</script> Trust' }).where('id', '=', org.id).execute();
    const page = await client.get('/organisations');
    assert.doesNotMatch(page.body, /<script>alert\(1\)<\/script>/);
    assert.match(page.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt; Trust/);
  });

  test('an unknown or malformed id is a 404 page', async () => {
    const { client } = await systemAdmin();
    assert.equal((await client.get('/organisations/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    assert.equal((await client.get('/organisations/not-an-id')).statusCode, 404);
  });
});

describe('organisations API', () => {
  test('anonymous requests get 401 problem details', async () => {
    const res = await new Client(t.app).get('/api/v1/organisations');
    assert.equal(res.statusCode, 401);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(res.json().status, 401);
  });

  test('creates, reads and updates an organisation', async () => {
    const { client } = await systemAdmin();
    const code = uniqueCode();
    const created = await client.json('POST', '/api/v1/organisations', { name: 'Eastfield Ambulance Service', code, type: 'ambulance' });
    assert.equal(created.statusCode, 201);
    const id = created.json().id;
    assert.deepEqual(created.json(), { id, code, name: 'Eastfield Ambulance Service', type: 'ambulance' });
    const site = await client.json('POST', `/api/v1/organisations/${id}/sites`, { name: 'Eastfield HQ', address: '1 Station Road', isLarge: false });
    assert.equal(site.statusCode, 201);
    const hc = await client.json('PUT', `/api/v1/organisations/${id}/headcounts/2026`, { headcount: 5210 });
    assert.deepEqual(hc.json(), { financialYear: 2026, label: '2026/27', headcount: 5210 });
    const updated = await client.json('PUT', `/api/v1/organisations/${id}`, { name: 'Eastfield Ambulance Service NHS Trust', code, type: 'ambulance' });
    assert.equal(updated.statusCode, 200);
    const read = await client.get(`/api/v1/organisations/${id}`);
    assert.equal(read.json().name, 'Eastfield Ambulance Service NHS Trust');
    assert.equal(read.json().sites[0].name, 'Eastfield HQ');
    assert.equal(read.json().headcounts[0].headcount, 5210);
  });

  test('bad input gets 400 problem details naming each field, and nothing is written', async () => {
    const { client } = await systemAdmin();
    const existing = await organisation(t.db.owner);
    const before = await count('organisations');
    for (const body of [
      { code: uniqueCode(), type: 'acute' },
      { name: 'X Trust', code: uniqueCode(), type: 'hospice' },
      { name: 'X Trust', code: existing.code, type: 'acute' },
    ]) {
      const res = await client.json('POST', '/api/v1/organisations', body);
      assert.ok(res.statusCode === 400 || res.statusCode === 409, `${res.statusCode} for ${JSON.stringify(body)}`);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.ok(res.json().errors.length > 0);
    }
    const neg = await client.json('PUT', `/api/v1/organisations/${existing.id}/headcounts/2026`, { headcount: -1 });
    assert.equal(neg.statusCode, 400);
    assert.equal(neg.json().errors[0].field, 'headcount');
    assert.equal(await count('organisations'), before);
    assert.equal((await t.db.owner.selectFrom('staff_headcounts').select('org_id').where('org_id', '=', existing.id).execute()).length, 0);
  });

  test('a JSON write without the CSRF header is refused', async () => {
    const { client } = await systemAdmin();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/organisations',
      payload: { name: 'X', code: uniqueCode(), type: 'acute' },
      headers: { cookie: client.cookieHeader() },
    });
    assert.equal(res.statusCode, 403);
  });

  test('wrong role and other organisation are refused', async () => {
    const { client, org } = await memberOf(t, 'security_specialist');
    const other = await organisation(t.db.owner);
    assert.equal((await client.json('POST', '/api/v1/organisations', { name: 'X Trust', code: uniqueCode(), type: 'acute' })).statusCode, 403);
    assert.equal((await client.get(`/api/v1/organisations/${other.id}`)).statusCode, 403);
    assert.equal((await client.json('PUT', `/api/v1/organisations/${org.id}`, { name: 'Renamed', code: org.code, type: 'acute' })).statusCode, 403);
    assert.equal((await client.json('PUT', `/api/v1/organisations/${org.id}/headcounts/2026`, { headcount: 10 })).statusCode, 200);
  });
});
