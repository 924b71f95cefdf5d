import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signedIn, testApp } from '../../../test/app.ts';
import { organisation, user } from '../../../test/factories.ts';
import { audits, browser, enrolTotp, lastStep, openSessions, signInWithPassword, totpAt } from './test-helpers.ts';

const t = await testApp();

/** A reporter who has set up TOTP through the pages, then signed out. */
async function reporterWithTotp() {
  const org = await organisation(t.db.owner);
  const u = await user(t.db.owner, { roles: [[org.id, 'reporter']] });
  const { client } = await signInWithPassword(t, u.email);
  const { secret, codes } = await enrolTotp(client);
  await client.post('/sign-out', {});
  return { org, user: u, secret, codes };
}

/** Signs in with the password; asserts it stops at the second-factor challenge. */
async function passwordStep(email: string) {
  const { client, res } = await signInWithPassword(t, email);
  assert.equal(res.statusCode, 303);
  assert.match(res.headers.location as string, /^\/sign-in\/two-factor/);
  return client;
}

describe('setting up TOTP', () => {
  test('the set-up page shows the secret as text, an otpauth address and a QR code, and changes nothing until confirmed', async () => {
    const { client, user: u } = await signedIn(t, [[(await organisation(t.db.owner)).id, 'reporter']]);
    const page = await client.get('/account/two-factor');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1[^>]*>Set up two-factor authentication<\/h1>/);
    const secret = /data-secret="([A-Z2-7]{32})"/.exec(page.body)?.[1];
    assert.ok(secret);
    assert.match(page.body, new RegExp(`otpauth://totp/Warden:[^"<]*\\?secret=${secret}`));
    assert.match(page.body, /<svg role="img" aria-label="QR code for your authenticator app"/);
    assert.equal((await client.get('/account/two-factor')).body.includes(secret), true, 'the same secret on reload');
    const row = await t.db.owner.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(row.totp_secret, null);
    assert.equal(row.totp_enabled_at, null);
  });

  test('a wrong or malformed code is refused with an error summary and turns nothing on', async () => {
    const { client, user: u } = await signedIn(t, [[(await organisation(t.db.owner)).id, 'reporter']]);
    const page = await client.get('/account/two-factor');
    const secret = /data-secret="([A-Z2-7]+)"/.exec(page.body)?.[1] as string;
    const right = await totpAt(secret);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (const [code, message] of [
      ['', /Enter the 6-digit code from your authenticator app/],
      ['12ab56', /Enter the 6-digit code from your authenticator app/],
      [wrong, /The code is not right/],
    ] as const) {
      const res = await client.post('/account/two-factor', { code });
      assert.equal(res.statusCode, 400, code);
      assert.match(res.body, /nhsuk-error-summary/);
      assert.match(res.body, message);
    }
    const row = await t.db.owner.selectFrom('users').select('totp_enabled_at').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(row.totp_enabled_at, null);
    assert.equal((await t.db.owner.selectFrom('recovery_codes').select('id').where('user_id', '=', u.id).execute()).length, 0);
  });

  test('the right code turns TOTP on, stores the secret sealed, and shows 10 recovery codes once, stored hashed', async () => {
    const { client, user: u } = await signedIn(t, [[(await organisation(t.db.owner)).id, 'reporter']]);
    const { secret, codes } = await enrolTotp(client);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const row = await t.db.owner.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.ok(row.totp_enabled_at);
    assert.ok(row.totp_secret?.startsWith('v1.'));
    assert.ok(!row.totp_secret?.includes(secret), 'the secret is not stored in clear');
    const stored = await t.db.owner.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', u.id).execute();
    assert.equal(stored.length, 10);
    for (const s of stored) assert.ok(!codes.some((c) => s.code_hash.includes(c.replace(/-/g, ''))));
    const again = await client.get('/account/two-factor');
    assert.match(again.body, /Two-factor authentication<\/h1>/);
    assert.doesNotMatch(again.body, new RegExp(codes[0] as string), 'the codes are not shown again');
    assert.equal(await audits(t, 'auth.second_factor_enabled', u.id), 1);
  });
});

describe('signing in with TOTP', () => {
  test('the password alone gives a session that opens no page, not even /organisations', async () => {
    const { user: u } = await reporterWithTotp();
    const client = await passwordStep(u.email);
    const org = await client.get('/organisations');
    assert.equal(org.statusCode, 302);
    assert.match(org.headers.location as string, /^\/sign-in\?next=/);
    assert.equal((await client.get('/account')).statusCode, 302);
    const api = await client.get('/api/v1/organisations');
    assert.equal(api.statusCode, 401);
    const challenge = await client.get('/sign-in/two-factor');
    assert.equal(challenge.statusCode, 200);
    assert.match(challenge.body, /Enter your security code/);
  });

  test('a code signs in with a new session id; the same code, or an earlier one, cannot be used again', async () => {
    const { user: u, secret } = await reporterWithTotp();
    const step = await lastStep(t, u.id);

    // The code used to turn TOTP on cannot be replayed to sign in.
    let client = await passwordStep(u.email);
    let res = await client.post('/sign-in/two-factor', { code: await totpAt(secret, step) });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /The code is not right/);

    const pending = client.cookieHeader();
    res = await client.post('/sign-in/two-factor', { code: await totpAt(secret, step + 1) });
    assert.equal(res.statusCode, 303);
    assert.notEqual(client.cookieHeader(), pending, 'a new session id once the second factor is given');
    assert.equal((await client.get('/organisations')).statusCode, 200);
    const stale = await t.app.inject({ url: '/organisations', headers: { cookie: pending } });
    assert.equal(stale.statusCode, 302, 'the challenge session is spent');

    // Another sign-in: the code just used, and the one before it, are refused.
    client = await passwordStep(u.email);
    for (const s of [step + 1, step]) {
      res = await client.post('/sign-in/two-factor', { code: await totpAt(secret, s) });
      assert.equal(res.statusCode, 400, `step ${s}`);
    }
    assert.equal(await audits(t, 'auth.second_factor', u.id, 'success'), 1);
    assert.equal(await audits(t, 'auth.second_factor', u.id, 'failure'), 3);
  });

  test('a recovery code signs in once, and is refused the second time', async () => {
    const { user: u, codes } = await reporterWithTotp();
    const code = (codes[3] as string).toUpperCase().replace(/-/g, ' ');
    let client = await passwordStep(u.email);
    let res = await client.post('/sign-in/two-factor', { code });
    assert.equal(res.statusCode, 303);
    assert.equal((await client.get('/organisations')).statusCode, 200);
    const account = await client.get('/account');
    assert.match(account.body, /9 recovery codes left/);

    client = await passwordStep(u.email);
    res = await client.post('/sign-in/two-factor', { code });
    assert.equal(res.statusCode, 400);
    assert.equal((await client.get('/organisations')).statusCode, 302);
  });

  test('wrong codes count towards the account lock', async () => {
    const { user: u } = await reporterWithTotp();
    const client = await passwordStep(u.email);
    for (let i = 0; i < 5; i++) await client.post('/sign-in/two-factor', { code: 'zzzzzzzzzzzzzzzz' });
    const row = await t.db.owner.selectFrom('users').select('locked_until').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.ok(row.locked_until && row.locked_until.getTime() > Date.now());
    assert.equal(await audits(t, 'auth.locked', u.id), 1);
  });

  test('bad input at the challenge shows an error summary and signs nothing in', async () => {
    const { user: u } = await reporterWithTotp();
    const client = await passwordStep(u.email);
    const before = await openSessions(t, u.id);
    for (const code of ['', '12345', 'not a code']) {
      const res = await client.post('/sign-in/two-factor', { code });
      assert.equal(res.statusCode, 400, code);
      assert.match(res.body, /nhsuk-error-summary/);
    }
    assert.equal(await openSessions(t, u.id), before);
  });

  test('without a pending sign-in, the challenge page sends you to sign in', async () => {
    await user(t.db.owner);
    const res = await browser(t).get('/sign-in/two-factor');
    assert.equal(res.statusCode, 302);
    assert.match(res.headers.location as string, /^\/sign-in/);
  });
});

describe('privileged roles must use a second factor', () => {
  for (const [scope, role] of [
    ['org', 'security_specialist'],
    ['org', 'smd'],
    [null, 'national_assessor'],
    ['org', 'administrator'],
  ] as const) {
    test(`a ${role} without TOTP is sent to set it up after signing in, and every other page redirects there until done`, async () => {
      const org = await organisation(t.db.owner);
      const u = await user(t.db.owner, { roles: [[scope ? org.id : null, role]] });
      const { client, res } = await signInWithPassword(t, u.email);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/account/two-factor');
      for (const url of ['/', '/organisations', '/account', `/organisations/${org.id}`]) {
        const page = await client.get(url);
        assert.equal(page.statusCode, 303, url);
        assert.equal(page.headers.location, '/account/two-factor');
      }
      assert.equal((await client.get('/api/v1/organisations')).statusCode, 403);
      await enrolTotp(client);
      assert.equal((await client.get('/organisations')).statusCode, 200);
    });
  }

  test('a reporter without TOTP is not forced to set it up', async () => {
    const u = await user(t.db.owner);
    const { client, res } = await signInWithPassword(t, u.email);
    assert.equal(res.statusCode, 302);
    assert.equal((await client.get('/organisations')).statusCode, 200);
  });
});

describe('new recovery codes', () => {
  test('need a current code, replace the old ones, and the old ones stop working', async () => {
    const { user: u, secret, codes } = await reporterWithTotp();
    const step = await lastStep(t, u.id);
    const client = await passwordStep(u.email);
    assert.equal((await client.post('/sign-in/two-factor', { code: codes[5] as string })).statusCode, 303);
    const refused = await client.post('/account/two-factor/recovery-codes', { code: await totpAt(secret, step) });
    assert.equal(refused.statusCode, 400, 'the code used to turn TOTP on is spent');
    assert.match(refused.body, /nhsuk-error-summary/);
    // The refusal is recorded, and counts towards the lock, although nothing else happens.
    assert.equal(await audits(t, 'auth.recovery_codes', u.id, 'failure'), 1);
    const failures = await t.db.owner.selectFrom('users').select('failed_count').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(failures.failed_count, 1);
    const fresh = await client.post('/account/two-factor/recovery-codes', { code: await totpAt(secret, step + 1) });
    assert.equal(fresh.statusCode, 200, fresh.body.slice(0, 500));
    assert.match(fresh.body, /Save your new recovery codes/);
    await client.post('/sign-out', {});
    const again = await passwordStep(u.email);
    assert.equal((await again.post('/sign-in/two-factor', { code: codes[0] as string })).statusCode, 400, 'an old code no longer works');
  });
});
