import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { organisation } from '../../../test/factories.ts';
import { commissioningService } from './service.ts';

const t = await testApp();
const db = t.db.owner;
const systemAdmin = () => signedIn(t, [[null, 'administrator']]);
const links = async (commissionerId: string) =>
  (await db.selectFrom('commissioning').select('provider_org_id').where('commissioner_org_id', '=', commissionerId).execute()).map((r) => r.provider_org_id);
const audits = (action: string, orgId: string) =>
  db.selectFrom('audit_events').select(['actor_id', 'object_id', 'detail']).where('action', '=', action).where('org_id', '=', orgId).execute();

describe('commissioner links', () => {
  test('anonymous visitors are sent to sign in, and the API answers 401', async () => {
    await systemAdmin();
    const ccg = await organisation(db, { type: 'commissioner' });
    const anon = new Client(t.app);
    assert.match((await anon.get(`/organisations/${ccg.id}/providers`)).headers.location as string, /^\/sign-in/);
    assert.equal((await anon.get(`/api/v1/organisations/${ccg.id}/providers`)).statusCode, 401);
  });

  test('a system administrator links and unlinks providers on the page, each change audited', async () => {
    const { client, user } = await systemAdmin();
    const ccg = await organisation(db, { type: 'commissioner', name: 'Northshire Integrated Care Board' });
    const acute = await organisation(db, { type: 'acute', name: 'Northshire Hospitals NHS Trust' });
    const mental = await organisation(db, { type: 'mental_health' });
    assert.match((await client.get(`/organisations/${ccg.id}`)).body, new RegExp(`href="/organisations/${ccg.id}/providers"`));
    const page = await client.get(`/organisations/${ccg.id}/providers`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /No providers recorded/);
    assert.match(page.body, new RegExp(acute.name));
    let res = await client.post(`/organisations/${ccg.id}/providers`, { providerOrgId: acute.id, fromYear: '2025' });
    assert.equal(res.statusCode, 303);
    res = await client.post(`/organisations/${ccg.id}/providers`, { providerOrgId: mental.id, fromYear: '' });
    assert.equal(res.statusCode, 303);
    assert.deepEqual((await links(ccg.id)).sort(), [acute.id, mental.id].sort());
    const shown = await client.get(`/organisations/${ccg.id}/providers`);
    assert.match(shown.body, /Northshire Hospitals NHS Trust/);
    assert.match(shown.body, /2025\/26/);
    const added = await audits('commissioning.add', ccg.id);
    assert.equal(added.length, 2);
    assert.equal(added[0]?.actor_id, user.id);
    res = await client.post(`/organisations/${ccg.id}/providers/${acute.id}/remove`, {});
    assert.equal(res.statusCode, 303);
    assert.deepEqual(await links(ccg.id), [mental.id]);
    const removed = await audits('commissioning.remove', ccg.id);
    assert.equal(removed.length, 1);
    assert.equal(removed[0]?.object_id, acute.id);
    assert.deepEqual(removed[0]?.detail, { commissionerOrgId: ccg.id, providerOrgId: acute.id, fromYear: 2025 });
    // The function other features use to scope a commissioner's view.
    const providers = await commissioningService(t.db.app).providersOf(ccg.id);
    assert.deepEqual(
      providers.map((p) => p.id),
      [mental.id],
    );
  });

  test('the API lists, adds (201) and removes (204) links', async () => {
    const { client } = await systemAdmin();
    const ccg = await organisation(db, { type: 'commissioner' });
    const amb = await organisation(db, { type: 'ambulance' });
    const added = await client.json('POST', `/api/v1/organisations/${ccg.id}/providers`, { providerOrgId: amb.id, fromYear: 2026 });
    assert.equal(added.statusCode, 201);
    assert.equal(added.json().fromYearLabel, '2026/27');
    const list = await client.get(`/api/v1/organisations/${ccg.id}/providers`);
    assert.deepEqual(
      list.json().map((p: { id: string }) => p.id),
      [amb.id],
    );
    const del = await client.json('DELETE', `/api/v1/organisations/${ccg.id}/providers/${amb.id}`, undefined);
    assert.equal(del.statusCode, 204);
    assert.deepEqual(await links(ccg.id), []);
    assert.equal((await client.json('DELETE', `/api/v1/organisations/${ccg.id}/providers/${amb.id}`, undefined)).statusCode, 404);
  });

  test('bad links are refused with the reason, and nothing is written', async () => {
    const { client } = await systemAdmin();
    const ccg = await organisation(db, { type: 'commissioner' });
    const otherCcg = await organisation(db, { type: 'commissioner' });
    const trust = await organisation(db, { type: 'acute' });
    const community = await organisation(db, { type: 'community' });
    await client.json('POST', `/api/v1/organisations/${ccg.id}/providers`, { providerOrgId: community.id });
    const cases: [string, object, number, string][] = [
      [trust.id, { providerOrgId: community.id }, 400, 'commissionerOrgId'], // a trust does not commission
      [ccg.id, { providerOrgId: otherCcg.id }, 400, 'providerOrgId'], // a commissioner is not a provider
      [ccg.id, { providerOrgId: ccg.id }, 400, 'providerOrgId'],
      [ccg.id, { providerOrgId: 'nope' }, 400, 'providerOrgId'],
      [ccg.id, { providerOrgId: trust.id, fromYear: 1999 }, 400, 'fromYear'],
      [ccg.id, { providerOrgId: community.id }, 409, 'providerOrgId'], // already linked
    ];
    for (const [commissioner, body, status, field] of cases) {
      const res = await client.json('POST', `/api/v1/organisations/${commissioner}/providers`, body);
      assert.equal(res.statusCode, status, JSON.stringify(body));
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.equal(res.json().errors[0].field, field);
    }
    const page = await client.post(`/organisations/${ccg.id}/providers`, { providerOrgId: '' });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /nhsuk-error-summary/);
    assert.match(page.body, /Select the provider organisation/);
    assert.deepEqual(await links(ccg.id), [community.id]);
    assert.deepEqual(await links(trust.id), []);
  });

  test('the commissioner’s own staff see the list but cannot change it; other organisations cannot see it', async () => {
    const ccg = await organisation(db, { type: 'commissioner' });
    const trust = await organisation(db, { type: 'acute' });
    const { client } = await memberOf(t, 'commissioner', ccg);
    const page = await client.get(`/organisations/${ccg.id}/providers`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Add a provider/);
    assert.equal((await client.post(`/organisations/${ccg.id}/providers`, { providerOrgId: trust.id })).statusCode, 403);
    const admin = await memberOf(t, 'administrator', ccg); // an organisation administrator is not enough either
    assert.equal((await admin.client.json('POST', `/api/v1/organisations/${ccg.id}/providers`, { providerOrgId: trust.id })).statusCode, 403);
    assert.equal((await admin.client.json('DELETE', `/api/v1/organisations/${ccg.id}/providers/${trust.id}`, undefined)).statusCode, 403);
    const outsider = await memberOf(t, 'security_specialist', trust);
    assert.equal((await outsider.client.get(`/organisations/${ccg.id}/providers`)).statusCode, 403);
    assert.equal((await outsider.client.get(`/api/v1/organisations/${ccg.id}/providers`)).statusCode, 403);
    assert.deepEqual(await links(ccg.id), []);
  });
});
