import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, testApp } from '../../../test/app.ts';
import { session, TEST_PASSWORD, user } from '../../../test/factories.ts';
import { mailSink } from '../../../test/mail.ts';
import { audits, normalise, openSessions, signInWithPassword, submitFrom } from './test-helpers.ts';

// Reset e-mails go through nodemailer over SMTP to a real local SMTP server, and the tests read them there.
const sink = await mailSink();
const t = await testApp({ config: { smtpUrl: sink.url, mailFrom: 'Warden <warden@test.nhs.uk>', baseUrl: 'https://warden.test.nhs.uk' } });
const NEW_PASSWORD = 'heron quarry velvet mitten';
const LINK = /https:\/\/warden\.test\.nhs\.uk\/password-reset\/([A-Za-z0-9_-]{43})/;

const resets = async (userId?: string) => {
  let q = t.db.owner.selectFrom('password_resets').select(['id', 'used_at']);
  if (userId) q = q.where('user_id', '=', userId);
  return q.execute();
};
const passwordHash = async (userId: string) =>
  (await t.db.owner.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash;

/** Asks for a reset link for `email` through the page; returns the page. */
async function requestReset(email: string) {
  return submitFrom(t, '/password-reset', '/password-reset', { email });
}

/** Asks for a link and reads it from the e-mail that arrives (the `nth` to that address, from 0). */
async function linkFor(email: string, nth = 0) {
  const page = await requestReset(email);
  assert.equal(page.statusCode, 200);
  const mail = await sink.waitFor(email, { skip: nth });
  const m = LINK.exec(mail.text);
  assert.ok(m, mail.text);
  return { url: new URL(m[0]).pathname, token: m[1] as string, mail };
}

describe('password reset', () => {
  test('the sign-in page links to the reset page, which asks for an e-mail address', async () => {
    await user(t.db.owner); // once a user exists, the first-run set-up is over
    const page = await new Client(t.app).get('/password-reset');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1[^>]*>Reset your password<\/h1>/);
    assert.match(page.body, /id="email"/);
  });

  test('a known address gets an e-mail with a one-time link, over SMTP, and the page says the same as for an unknown one', async () => {
    const u = await user(t.db.owner);
    const unknown = await requestReset('no-such-person@test.nhs.uk');
    const known = await requestReset(u.email);
    assert.equal(unknown.statusCode, 200);
    assert.equal(known.statusCode, 200);
    assert.match(known.body, /Check your e-mail/);
    assert.equal(normalise(unknown.body).replace('no-such-person@test.nhs.uk', 'X'), normalise(known.body).replace(u.email, 'X'));

    const mail = await sink.waitFor(u.email);
    assert.equal(mail.subject, 'Reset your Warden password');
    assert.match(mail.from, /warden@test\.nhs\.uk/);
    assert.match(mail.text, LINK);
    assert.match(mail.text, /expires in 30 minutes/);
    // Only the hash of the token is stored.
    const token = LINK.exec(mail.text)?.[1] as string;
    const stored = await t.db.owner.selectFrom('password_resets').select(['token_hash', 'expires_at']).where('user_id', '=', u.id).executeTakeFirstOrThrow();
    assert.notEqual(stored.token_hash, token);
    assert.match(stored.token_hash, /^[0-9a-f]{64}$/);
    const minutes = (stored.expires_at.getTime() - Date.now()) / 60_000;
    assert.ok(minutes > 29 && minutes <= 30);
    assert.equal(sink.to('no-such-person@test.nhs.uk').length, 0);
    assert.equal(await audits(t, 'auth.password_reset_request', u.id, 'success'), 1);
  });

  test('the link sets a new password once: it ends every session, lifts a lock, and is audited', async () => {
    const u = await user(t.db.owner);
    const elsewhere = await session(t.db.owner, u);
    await t.db.owner
      .updateTable('users')
      .set({ locked_until: new Date(Date.now() + 600_000) })
      .where('id', '=', u.id)
      .execute();
    const { url } = await linkFor(u.email);

    const browser = new Client(t.app);
    const form = await browser.get(url);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1[^>]*>Choose a new password<\/h1>/);
    assert.match(form.body, new RegExp(u.email));
    const done = await browser.post(url, { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Your password has been changed/);

    assert.equal(await openSessions(t, u.id), 0, 'every session ended');
    assert.equal((await new Client(t.app, elsewhere).get('/organisations')).statusCode, 302);
    assert.equal((await signInWithPassword(t, u.email, TEST_PASSWORD)).res.statusCode, 400, 'the old password no longer works');
    assert.equal((await signInWithPassword(t, u.email, NEW_PASSWORD)).res.statusCode, 302, 'the new one does, and the lock is lifted');
    assert.equal(await audits(t, 'auth.password_reset', u.id), 1);

    // The same link again: gone, for viewing and for posting, and nothing changes.
    const again = await new Client(t.app).get(url);
    assert.equal(again.statusCode, 410);
    assert.match(again.body, /This link has expired or has been used/);
    const hash = await passwordHash(u.id);
    const replay = await new Client(t.app).post(url, { password: 'another fine password', confirmPassword: 'another fine password' });
    assert.equal(replay.statusCode, 410);
    assert.equal(await passwordHash(u.id), hash);
  });

  test('an expired link is refused', async () => {
    const u = await user(t.db.owner);
    const { url } = await linkFor(u.email);
    await t.db.owner
      .updateTable('password_resets')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', u.id)
      .execute();
    const hash = await passwordHash(u.id);
    assert.equal((await new Client(t.app).get(url)).statusCode, 410);
    assert.equal((await new Client(t.app).post(url, { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })).statusCode, 410);
    assert.equal(await passwordHash(u.id), hash);
  });

  test('only the newest link works', async () => {
    const u = await user(t.db.owner);
    const first = await linkFor(u.email, 0);
    const second = await linkFor(u.email, 1);
    assert.notEqual(first.token, second.token);
    assert.equal((await new Client(t.app).get(first.url)).statusCode, 410);
    assert.equal((await new Client(t.app).get(second.url)).statusCode, 200);
  });

  test('a made-up or malformed token is refused', async () => {
    assert.equal((await new Client(t.app).get(`/password-reset/${'A'.repeat(43)}`)).statusCode, 410);
    assert.equal((await new Client(t.app).get('/password-reset/short')).statusCode, 410);
  });

  test('a deactivated account gets no e-mail, though the page says the same', async () => {
    const u = await user(t.db.owner, { active: false });
    const page = await requestReset(u.email);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Check your e-mail/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sink.to(u.email).length, 0);
    assert.equal((await resets(u.id)).length, 0);
  });

  test('a bad e-mail address shows an error summary and writes nothing', async () => {
    const before = (await resets()).length;
    for (const [email, message] of [
      ['', /Enter an e-mail address in the correct format/],
      ['not-an-address', /Enter an e-mail address in the correct format/],
    ] as const) {
      const res = await requestReset(email);
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, message);
    }
    assert.equal((await resets()).length, before);
  });

  test('a new password that breaks the rules shows an error summary, and the password and link stay as they were', async () => {
    const u = await user(t.db.owner, { name: 'Priya Raman', email: `priya.raman.${Date.now()}@test.nhs.uk` });
    const { url } = await linkFor(u.email);
    const hash = await passwordHash(u.id);
    const cases: [Record<string, string>, RegExp][] = [
      [{ password: '', confirmPassword: '' }, /Enter a new password/],
      [{ password: 'short pass', confirmPassword: 'short pass' }, /Password must be 12 characters or more/],
      [{ password: 'Password123456', confirmPassword: 'Password123456' }, /This password is too common/],
      [{ password: 'priya raman rocks', confirmPassword: 'priya raman rocks' }, /must not contain your (name|e-mail address)/],
      [{ password: NEW_PASSWORD, confirmPassword: 'something else entirely' }, /Enter the same password in both boxes/],
    ];
    const browser = new Client(t.app);
    await browser.get(url);
    for (const [form, message] of cases) {
      const res = await browser.post(url, form);
      assert.equal(res.statusCode, 400, JSON.stringify(form));
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, message);
      assert.match(res.body, /<title>Error: /);
    }
    assert.equal(await passwordHash(u.id), hash);
    assert.equal((await resets(u.id)).filter((r) => r.used_at).length, 0);
    assert.equal((await browser.post(url, { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })).statusCode, 200);
  });
});
