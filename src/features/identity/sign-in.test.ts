import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Client, testApp } from '../../../test/app.ts';
import { organisation, session, TEST_PASSWORD, user } from '../../../test/factories.ts';
import { LOCK_MINUTES, MAX_FAILURES } from './service.ts';
import { audits, normalise, openSessions, signInWithPassword } from './test-helpers.ts';

const t = await testApp();
const GENERIC = 'The e-mail address or password is not right';
const sessionCount = async () => (await t.db.owner.selectFrom('sessions').select('id').execute()).length;

// Every sign-in here counts against the sign-in rate limit (20 a minute from one address): keep them under it.
describe('signing in with a password', () => {
  test('the right password signs in with a new session id, and the sign-in page offers a password reset', async () => {
    const u = await user(t.db.owner);
    const page = await new Client(t.app).get('/sign-in');
    assert.match(page.body, /<a href="\/password-reset">Forgotten your password\?<\/a>/);
    assert.match(page.body, /id="email"/);
    assert.match(page.body, /id="password"/);
    const client = new Client(t.app, 'a-session-id-fixed-by-an-attacker');
    const { res } = await signInWithPassword(t, u.email, TEST_PASSWORD, client);
    assert.equal(res.statusCode, 302);
    const cookie = (res.cookies as { name: string; value: string }[]).find((c) => c.name === 'warden_session');
    assert.ok(cookie && cookie.value !== 'a-session-id-fixed-by-an-attacker');
    assert.equal((await client.get('/organisations')).statusCode, 200);
    assert.equal(await audits(t, 'auth.sign_in', u.id, 'success'), 1);
  });

  test('an unknown e-mail and a wrong password get the same status and the same page', async () => {
    const u = await user(t.db.owner);
    const unknown = (await signInWithPassword(t, 'nobody-here@test.nhs.uk', 'whatever password 1')).res;
    const wrong = (await signInWithPassword(t, u.email, 'whatever password 1')).res;
    assert.equal(unknown.statusCode, 400);
    assert.equal(wrong.statusCode, 400);
    assert.match(unknown.body, new RegExp(GENERIC));
    // The pages differ only in the e-mail address typed, which is kept in the box.
    assert.equal(normalise(unknown.body).replace('nobody-here@test.nhs.uk', 'X'), normalise(wrong.body).replace(u.email, 'X'));
    assert.equal(await audits(t, 'auth.sign_in', u.id, 'failure'), 1);
  });

  test(`${MAX_FAILURES} wrong passwords in a row lock the account for ${LOCK_MINUTES} minutes with the same message, and it is audited`, async () => {
    const u = await user(t.db.owner);
    const first = (await signInWithPassword(t, u.email, 'wrong password number 0')).res;
    for (let i = 1; i < MAX_FAILURES; i++) {
      const res = (await signInWithPassword(t, u.email, `wrong password number ${i}`)).res;
      assert.equal(res.statusCode, 400);
      assert.equal(normalise(res.body), normalise(first.body));
    }
    const row = await t.db.owner.selectFrom('users').select(['locked_until', 'failed_count']).where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.ok(row.locked_until, 'locked');
    const minutes = (row.locked_until.getTime() - Date.now()) / 60_000;
    assert.ok(minutes > LOCK_MINUTES - 1 && minutes <= LOCK_MINUTES, `locked for ${minutes} minutes`);
    assert.equal(await audits(t, 'auth.locked', u.id), 1);

    // While locked, even the right password is refused, with the same page as a wrong one; no session starts.
    const before = await sessionCount();
    const locked = await signInWithPassword(t, u.email);
    assert.equal(locked.res.statusCode, 400);
    assert.equal(normalise(locked.res.body).replace(u.email, 'X'), normalise(first.body).replace(u.email, 'X'));
    assert.equal((await locked.client.get('/organisations')).statusCode, 302);
    assert.equal(await sessionCount(), before);
    const reasons = await t.db.owner
      .selectFrom('audit_events')
      .select('detail')
      .where('object_id', '=', u.id)
      .where('action', '=', 'auth.sign_in')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal((reasons.detail as { reason: string }).reason, 'locked');

    // Once the lock expires, the right password works again.
    await t.db.owner
      .updateTable('users')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .where('id', '=', u.id)
      .execute();
    const after = await signInWithPassword(t, u.email);
    assert.equal(after.res.statusCode, 302);
    assert.equal((await after.client.get('/organisations')).statusCode, 200);
    const cleared = await t.db.owner.selectFrom('users').select(['locked_until', 'failed_count']).where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(cleared.failed_count, 0);
    assert.equal(cleared.locked_until, null);
  });

  test('a success in between resets the count of failures', async () => {
    const u = await user(t.db.owner);
    for (let i = 0; i < MAX_FAILURES - 1; i++) await signInWithPassword(t, u.email, 'not the password at all');
    assert.equal((await signInWithPassword(t, u.email)).res.statusCode, 302);
    await signInWithPassword(t, u.email, 'not the password at all');
    const row = await t.db.owner.selectFrom('users').select(['locked_until', 'failed_count']).where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(row.failed_count, 1);
    assert.equal(row.locked_until, null);
  });

  test('an empty form shows an error summary for each field and starts no session', async () => {
    const before = await sessionCount();
    const { res } = await signInWithPassword(t, '', '');
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /nhsuk-error-summary/);
    assert.match(res.body, /Enter your e-mail address/);
    assert.match(res.body, /Enter your password/);
    assert.equal(await sessionCount(), before);
  });
});

describe('sessions', () => {
  test('a session idle for longer than the idle timeout, or past its absolute lifetime, no longer signs in', async () => {
    const org = await organisation(t.db.owner);
    const u = await user(t.db.owner, { roles: [[org.id, 'reporter']] });
    const idle = await session(t.db.owner, u);
    const old = await session(t.db.owner, u);
    const client = (token: string) => new Client(t.app, token);
    assert.equal((await client(idle).get('/organisations')).statusCode, 200);
    const hash = (token: string) => createHash('sha256').update(token).digest('hex');
    await t.db.owner
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 61 * 60_000) })
      .where('id', '=', hash(idle))
      .execute();
    await t.db.owner
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', hash(old))
      .execute();
    assert.equal((await client(idle).get('/organisations')).statusCode, 302);
    assert.equal((await client(old).get('/organisations')).statusCode, 302);
  });

  test('signing out ends the session on the server, not only in the browser', async () => {
    const u = await user(t.db.owner);
    const { client } = await signInWithPassword(t, u.email);
    const stolen = client.cookieHeader();
    assert.equal(await openSessions(t, u.id), 1);
    const res = await client.post('/sign-out', {});
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /You have signed out/);
    assert.equal(await openSessions(t, u.id), 0);
    const replay = await t.app.inject({ url: '/organisations', headers: { cookie: stolen } });
    assert.equal(replay.statusCode, 302);
  });
});
