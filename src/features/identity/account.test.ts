import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testApp } from '../../../test/app.ts';
import { organisation, session, TEST_PASSWORD, uniqueCode, user } from '../../../test/factories.ts';
import type { Actor, Role } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { audits, browser, enrolTotp, openSessions, signInWithPassword } from './test-helpers.ts';

const t = await testApp();
const NEW_PASSWORD = 'lichen paddle orchard sparrow';

/** The actor a session cookie stands for, as the app resolves it. */
async function actorOf(token: string): Promise<Actor> {
  const found = await t.services.identity.actorFor(token);
  assert.ok(found);
  return found.actor;
}

/** A signed-in user with these roles, as the actor the services receive. */
async function actorWith(roles: [string | null, Role][]) {
  const u = await user(t.db.owner, { roles });
  return { user: u, actor: await actorOf(await session(t.db.owner, u)) };
}

describe('your account page', () => {
  test('is for signed-in users only', async () => {
    await user(t.db.owner);
    const res = await browser(t).get('/account');
    assert.equal(res.statusCode, 302);
    assert.match(res.headers.location as string, /^\/sign-in\?next=%2Faccount/);
  });

  test('shows name, e-mail, roles, two-factor status and the open sessions, and is linked from the header', async () => {
    const org = await organisation(t.db.owner, { name: 'Fernbank Community NHS Trust' });
    const u = await user(t.db.owner, {
      name: 'Sam Okafor',
      roles: [
        [org.id, 'reporter'],
        [org.id, 'manager'],
      ],
    });
    const { client } = await signInWithPassword(t, u.email);
    await session(t.db.owner, u);
    const page = await client.get('/account');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1[^>]*>Your account<\/h1>/);
    assert.match(page.body, /href="\/account"/);
    assert.match(page.body, /Sam Okafor/);
    assert.match(page.body, new RegExp(u.email));
    assert.match(page.body, /Fernbank Community NHS Trust/);
    assert.match(page.body, /Reporter \(any staff member\)/);
    assert.match(page.body, /Line manager/);
    assert.match(page.body, /Two-factor authentication[\s\S]*Off/);
    assert.match(page.body, /\(this device\)/);
    assert.match(page.body, /10\.0\.\d+\.\d+/, 'this session, with its address');
    assert.match(page.body, /Not known/, 'the other session, started without an address');
    assert.match(page.body, /Sign out of all other sessions/);
  });

  test('"sign out of all other sessions" ends every other session and keeps this one', async () => {
    const u = await user(t.db.owner);
    const { client } = await signInWithPassword(t, u.email);
    const other = await session(t.db.owner, u);
    const third = await session(t.db.owner, u);
    assert.equal(await openSessions(t, u.id), 3);
    const res = await client.post('/account/sessions/end-others', {});
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/account?ended=2');
    assert.match((await client.get('/account?ended=2')).body, /You have been signed out of 2 other sessions/);
    assert.equal(await openSessions(t, u.id), 1);
    assert.equal((await browser(t, other).get('/organisations')).statusCode, 302);
    assert.equal((await browser(t, third).get('/organisations')).statusCode, 302);
    assert.equal((await client.get('/organisations')).statusCode, 200);
    assert.equal(await audits(t, 'auth.sessions_ended', u.id), 1);
  });

  test('"sign out of all other sessions" without the CSRF token is refused and ends nothing', async () => {
    const u = await user(t.db.owner);
    const { client } = await signInWithPassword(t, u.email);
    await session(t.db.owner, u);
    const res = await client.post('/account/sessions/end-others', {}, { csrf: false });
    assert.equal(res.statusCode, 403);
    assert.equal(await openSessions(t, u.id), 2);
  });
});

describe('changing your password', () => {
  test('needs the current password, follows the password rules, writes nothing when refused', async () => {
    const u = await user(t.db.owner, { name: 'Dana Whitfield' });
    const { client } = await signInWithPassword(t, u.email);
    const before = (await t.db.owner.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow()).password_hash;
    const cases: [Record<string, string>, RegExp][] = [
      [{ currentPassword: '', password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, /Enter your current password/],
      [{ currentPassword: 'not my password!', password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, /Your current password is not right/],
      [{ currentPassword: TEST_PASSWORD, password: 'iloveyou2026!', confirmPassword: 'iloveyou2026!' }, /This password is too common/],
      [{ currentPassword: TEST_PASSWORD, password: 'whitfield garden gate', confirmPassword: 'whitfield garden gate' }, /must not contain your name/],
      [{ currentPassword: TEST_PASSWORD, password: NEW_PASSWORD, confirmPassword: 'different' }, /Enter the same password in both boxes/],
    ];
    for (const [form, message] of cases) {
      const res = await client.post('/account/password', form);
      assert.equal(res.statusCode, 400, JSON.stringify(form));
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, message);
    }
    const after = (await t.db.owner.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow()).password_hash;
    assert.equal(after, before);
  });

  test('with the right current password it changes, and ends the other sessions', async () => {
    const u = await user(t.db.owner);
    const { client } = await signInWithPassword(t, u.email);
    const other = await session(t.db.owner, u);
    assert.equal((await client.get('/account/password')).statusCode, 200);
    const res = await client.post('/account/password', { currentPassword: TEST_PASSWORD, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
    assert.equal(res.statusCode, 303);
    assert.match((await client.get(res.headers.location as string)).body, /Your password has been changed/);
    assert.equal((await browser(t, other).get('/organisations')).statusCode, 302);
    assert.equal((await client.get('/organisations')).statusCode, 200);
    assert.equal((await signInWithPassword(t, u.email, NEW_PASSWORD)).res.statusCode, 302);
    assert.equal(await audits(t, 'auth.password_change', u.id, 'success'), 1);
  });
});

describe('deactivating an account', () => {
  test('a deployment-wide administrator deactivates a user: all their sessions end at once and they cannot sign in', async () => {
    const admin = await actorWith([[null, 'administrator']]);
    const org = await organisation(t.db.owner);
    const u = await user(t.db.owner, { roles: [[org.id, 'reporter']] });
    const a = browser(t, await session(t.db.owner, u));
    const b = browser(t, await session(t.db.owner, u));
    assert.equal((await a.get('/organisations')).statusCode, 200);
    const result = await t.services.identity.deactivateUser(admin.actor, u.id);
    assert.equal(result.sessionsEnded, 2);
    assert.equal(await openSessions(t, u.id), 0);
    assert.equal((await a.get('/organisations')).statusCode, 302);
    assert.equal((await b.get('/organisations')).statusCode, 302);
    const signIn = await signInWithPassword(t, u.email);
    assert.equal(signIn.res.statusCode, 400);
    assert.match(signIn.res.body, /The e-mail address or password is not right/);
    assert.equal(await audits(t, 'user.deactivate', u.id), 1);
  });

  test('an organisation administrator may deactivate their own organisation’s users only, and nobody themselves', async () => {
    const mineOrg = await organisation(t.db.owner);
    const mine = { org: mineOrg, ...(await actorWith([[mineOrg.id, 'administrator']])) };
    const actor = mine.actor;
    const colleague = await user(t.db.owner, { roles: [[mine.org.id, 'reporter']] });
    const outsider = await user(t.db.owner, { roles: [[(await organisation(t.db.owner)).id, 'reporter']] });
    const both = await user(t.db.owner, {
      roles: [
        [mine.org.id, 'reporter'],
        [(await organisation(t.db.owner)).id, 'reporter'],
      ],
    });
    await t.services.identity.deactivateUser(actor, colleague.id);
    await assert.rejects(t.services.identity.deactivateUser(actor, outsider.id), (e: AppError) => e.status === 403);
    await assert.rejects(t.services.identity.deactivateUser(actor, both.id), (e: AppError) => e.status === 403);
    await assert.rejects(t.services.identity.deactivateUser(actor, mine.user.id), (e: AppError) => e.status === 400);
    await assert.rejects(t.services.identity.deactivateUser(actor, '00000000-0000-4000-8000-000000000000'), (e: AppError) => e.status === 404);
    const active = await t.db.owner.selectFrom('users').select(['id', 'is_active']).where('id', 'in', [colleague.id, outsider.id, both.id]).execute();
    assert.deepEqual(Object.fromEntries(active.map((r) => [r.id, r.is_active])), { [colleague.id]: false, [outsider.id]: true, [both.id]: true });
  });

  test('other roles and anonymous callers may not deactivate anyone', async () => {
    const org = await organisation(t.db.owner);
    const { actor } = await actorWith([[org.id, 'security_specialist']]);
    const target = await user(t.db.owner, { roles: [[org.id, 'reporter']] });
    await assert.rejects(t.services.identity.deactivateUser(actor, target.id), (e: AppError) => e instanceof AppError && e.status === 403);
    await assert.rejects(t.services.identity.deactivateUser(null, target.id), (e: AppError) => e instanceof AppError && e.status === 401);
    assert.equal(await openSessions(t, target.id), 0);
  });

  test('endAllSessions ends every session of a user at once', async () => {
    const u = await user(t.db.owner);
    await session(t.db.owner, u);
    await session(t.db.owner, u);
    assert.equal(await t.services.identity.endAllSessions(u.id), 2);
    assert.equal(await openSessions(t, u.id), 0);
  });

  test('an administrator can reset a user’s second factor; their sessions end and they can set it up again', async () => {
    const admin = await actorWith([[null, 'administrator']]);
    const u = await user(t.db.owner);
    const { client } = await signInWithPassword(t, u.email);
    await enrolTotp(client);
    await t.services.identity.resetSecondFactor(admin.actor, u.id);
    const row = await t.db.owner.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(row.totp_secret, null);
    assert.equal(row.totp_enabled_at, null);
    assert.equal((await t.db.owner.selectFrom('recovery_codes').select('id').where('user_id', '=', u.id).execute()).length, 0);
    assert.equal(await openSessions(t, u.id), 0);
    const again = await signInWithPassword(t, u.email);
    assert.equal(again.res.statusCode, 302, 'a password alone signs a reporter in again');
  });
});

describe('first-run set-up', () => {
  test('the first administrator must set up a second factor before using Warden', async () => {
    const fresh = await testApp();
    const code = await fresh.services.identity.issueSetupCode();
    const client = browser(fresh);
    await client.get('/setup');
    const res = await client.post('/setup', {
      setupCode: code,
      orgName: 'Northshire Hospitals NHS Foundation Trust',
      orgCode: uniqueCode(),
      orgType: 'acute',
      name: 'Alex Admin',
      email: 'alex.admin@northshire.nhs.uk',
      password: TEST_PASSWORD,
    });
    assert.equal(res.statusCode, 302);
    const home = await client.get('/');
    assert.equal(home.statusCode, 303);
    assert.equal(home.headers.location, '/account/two-factor');
  });

  test('a common password is refused at set-up', async () => {
    const fresh = await testApp();
    const code = await fresh.services.identity.issueSetupCode();
    const client = browser(fresh);
    await client.get('/setup');
    const res = await client.post('/setup', {
      setupCode: code,
      orgName: 'Southshire Hospitals NHS Foundation Trust',
      orgCode: uniqueCode(),
      orgType: 'acute',
      name: 'Alex Admin',
      email: 'alex.admin@southshire.nhs.uk',
      password: 'Password123456',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /This password is too common/);
    assert.equal(await fresh.services.identity.needsSetup(), true);
  });
});
