/**
 * Single sign-on, end to end over real HTTP: a real OpenID Connect provider (`oidc-provider`, with its
 * development login and consent pages) on loopback, Warden listening on a real port, and a cookie-keeping
 * "browser" that follows every redirect between them, fills in the provider's forms and carries the code back.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Provider from 'oidc-provider';
import { Client, testApp } from '../../../test/app.ts';
import { testDatabase } from '../../../test/db.ts';
import { organisation, user } from '../../../test/factories.ts';
import { createApp } from '../../app.ts';
import { ConfigError, loadConfig } from '../../config.ts';
import { createServices } from '../../services.ts';

const CLIENT_ID = 'warden-test';
const CLIENT_SECRET = 'a-long-test-client-secret-0123456789abcdef';
const DISPLAY_NAME = 'NHS CIS2 (test)';
const NOT_LINKED = 'Your NHS account is not linked to a Warden user. Ask your Warden administrator.';

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A free loopback port: Warden's redirect URI must be known before the app is built. */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

// --- the identity provider ------------------------------------------------------------------------------------
type Account = { email?: string; email_verified?: boolean };
const accounts = new Map<string, Account>();
const idpServer = createServer();
const idpPort = await listen(idpServer);
const issuer = `http://127.0.0.1:${idpPort}`;

// --- Warden -----------------------------------------------------------------------------------------------------
const db = await testDatabase();
const appPort = await freePort();
const baseUrl = `http://127.0.0.1:${appPort}`;
const redirectUri = `${baseUrl}/sign-in/oidc/callback`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  cookies: { keys: ['oidc-test-cookie-key-not-secret'] },
  features: { devInteractions: { enabled: true } },
  // The development login page accepts any login name: the account id, and so the `sub`, is what is typed.
  async findAccount(_ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
});
idpServer.on('request', provider.callback());

const services = createServices(db.app, {
  sessionIdleMinutes: 60,
  sessionMaxHours: 12,
  oidc: { issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, displayName: DISPLAY_NAME, redirectUri },
});
const app = await createApp(services, { config: { secureCookies: false, logLevel: 'silent', baseUrl }, logger: false });

before(async () => {
  await user(db.owner); // once a user exists, first-run set-up is over
  await app.listen({ host: '127.0.0.1', port: appPort });
});
after(async () => {
  await app.close();
  await new Promise((r) => idpServer.close(r));
});

/** A minimal browser: a cookie jar per origin (honouring Path), manual redirects, and form posts. */
class Browser {
  private jar = new Map<string, Map<string, { value: string; path: string }>>();

  cookie(origin: string, name: string) {
    return this.jar.get(origin)?.get(name)?.value;
  }

  private header(url: URL) {
    const cookies = this.jar.get(url.origin) ?? new Map();
    return [...cookies]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
  }

  private keep(url: URL, res: Response) {
    const cookies = this.jar.get(url.origin) ?? new Map();
    this.jar.set(url.origin, cookies);
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (n: string) => attrs.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
      const expires = attr('expires');
      const gone = value === '' || attr('max-age') === '0' || (expires !== undefined && new Date(expires).getTime() < Date.now());
      if (gone) cookies.delete(name);
      else cookies.set(name, { value, path: attr('path') ?? '/' });
    }
  }

  async request(href: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const url = new URL(href);
    const headers: Record<string, string> = { cookie: this.header(url) };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.keep(url, res);
    return res;
  }

  /** Follows redirects from `href` until a page, or until the next hop would match `stopAt` (returned unvisited). */
  async follow(href: string, init: { form?: Record<string, string> } = {}, stopAt?: (next: URL) => boolean) {
    let url = new URL(href);
    let res = await this.request(url.href, init);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      assert.ok(hops < 20, 'too many redirects');
      const next = new URL(res.headers.get('location') as string, url);
      if (stopAt?.(next)) return { url, res, next, body: '' };
      url = next;
      res = await this.request(url.href);
    }
    return { url, res, next: undefined, body: await res.text() };
  }
}

const isCallback = (u: URL) => u.href.startsWith(redirectUri);

/**
 * Starts single sign-on at Warden, signs in at the provider as `login`, consents, and returns the callback URL
 * the provider sends the browser back to, without visiting it.
 */
async function throughProvider(browser: Browser, login: string, start = `${baseUrl}/sign-in/oidc`): Promise<URL> {
  let step = await browser.follow(start, {}, isCallback);
  for (let i = 0; i < 4 && !step.next; i++) {
    assert.equal(step.res.status, 200, `the provider's page at ${step.url.pathname} answered ${step.res.status}: ${step.body.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(step.body)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(step.body)?.[1];
    assert.ok(action && prompt, `expected a provider form at ${step.url.pathname}`);
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt };
    step = await browser.follow(new URL(action.replace(/&amp;/g, '&'), step.url).href, { form }, isCallback);
  }
  assert.ok(step.next, 'the provider did not redirect back to Warden');
  return step.next;
}

/** The whole dance; returns Warden's final page. */
async function signInWithSso(browser: Browser, login: string, start?: string) {
  const callback = await throughProvider(browser, login, start);
  return { callback, ...(await browser.follow(callback.href)) };
}

const lastSsoAudit = () =>
  db.owner
    .selectFrom('audit_events')
    .select(['actor_id', 'outcome', 'detail', 'object_id'])
    .where('action', '=', 'auth.sso_sign_in')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
const ssoAuditCount = async () =>
  Number(
    (
      await db.owner
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', 'auth.sso_sign_in')
        .executeTakeFirstOrThrow()
    ).n,
  );
const sessionsOf = (userId: string) => db.owner.selectFrom('sessions').select(['org_id', 'ended_at']).where('user_id', '=', userId).execute();
const identitiesOf = (userId: string) => db.owner.selectFrom('user_identities').select(['issuer', 'subject']).where('user_id', '=', userId).execute();
const link = (userId: string, subject: string) => db.owner.insertInto('user_identities').values({ user_id: userId, issuer, subject }).execute();
const SESSION = 'warden_session';

describe('single sign-on with OpenID Connect', () => {
  test('the sign-in page offers single sign-on under its configured name', async () => {
    const res = await fetch(`${baseUrl}/sign-in`);
    const html = await res.text();
    assert.match(html, /href="\/sign-in\/oidc\?next=%2F"[^>]*>\s*Sign in with NHS CIS2 \(test\)/);
  });

  test('a linked user signs in at the provider and gets a Warden session that later requests recognise', async () => {
    const org = await organisation(db.owner);
    const u = await user(db.owner, { roles: [[org.id, 'security_specialist']] });
    const subject = unique('linked');
    // The provider's e-mail differs and is unverified: the stored link, not the address, identifies the user.
    accounts.set(subject, { email: 'someone-else@example.org', email_verified: false });
    await link(u.id, subject);
    const browser = new Browser();

    const start = await browser.request(`${baseUrl}/sign-in/oidc`);
    assert.equal(start.status, 302);
    const authorise = new URL(start.headers.get('location') as string);
    assert.equal(authorise.origin, issuer);
    assert.equal(authorise.searchParams.get('code_challenge_method'), 'S256');
    for (const p of ['code_challenge', 'state', 'nonce']) assert.ok((authorise.searchParams.get(p) ?? '').length >= 32, `${p} is sent`);
    assert.equal(authorise.searchParams.get('redirect_uri'), redirectUri);
    const handle = /warden_oidc=([^;]+);.*HttpOnly/i.exec(start.headers.getSetCookie().join('\n'));
    assert.ok(handle, 'the sign-in in flight is bound to this browser by an HttpOnly cookie');
    assert.match(start.headers.getSetCookie().join('\n'), /warden_oidc=[^\n]*Max-Age=600[^\n]*SameSite=Lax/i);

    const done = await signInWithSso(new Browser(), subject);
    assert.equal(done.res.status, 200);
    assert.equal(done.url.pathname, '/');
    assert.match(done.body, new RegExp(u.name));

    const sessions = await sessionsOf(u.id);
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]?.org_id, org.id, 'acting for the only organisation, as after a password sign-in');
    const audited = await lastSsoAudit();
    assert.equal(audited.outcome, 'success');
    assert.equal(audited.actor_id, u.id);
    assert.deepEqual(
      { via: (audited.detail as Record<string, unknown>).via, subject: (audited.detail as Record<string, unknown>).subject },
      { via: 'link', subject },
    );
  });

  test('the session cookie from single sign-on works like a password session, and the callback cannot be replayed', async () => {
    const u = await user(db.owner);
    const subject = unique('replay');
    accounts.set(subject, {});
    await link(u.id, subject);
    const browser = new Browser();
    const done = await signInWithSso(browser, subject);
    assert.equal(done.res.status, 200);
    const token = browser.cookie(baseUrl, SESSION);
    assert.ok(token);
    // The same cookie, presented by Warden's in-process client: the user is signed in.
    const page = await new Client(app, token).get('/sign-in');
    assert.equal(page.statusCode, 302, 'a signed-in user is sent on from the sign-in page');

    const before = await ssoAuditCount();
    const replay = await new Browser().follow(done.callback.href);
    assert.equal(replay.res.status, 400);
    assert.match(replay.body, /Sign-in could not be completed/);
    const again = await browser.follow(done.callback.href);
    assert.equal(again.res.status, 400, 'the state was spent by the first callback');
    assert.equal(await ssoAuditCount(), before + 2);
    assert.equal((await lastSsoAudit()).outcome, 'failure');
    assert.equal(((await lastSsoAudit()).detail as Record<string, unknown>).reason, 'no_sign_in_in_progress');
    assert.equal((await sessionsOf(u.id)).length, 1);
  });

  test('an unlinked identity with a verified e-mail of an active user is linked, signed in and sent to `next`', async () => {
    const org = await organisation(db.owner);
    const u = await user(db.owner, { roles: [[org.id, 'reporter']] });
    const subject = unique('by-email');
    accounts.set(subject, { email: u.email.toUpperCase(), email_verified: true });
    const browser = new Browser();

    const done = await signInWithSso(browser, subject, `${baseUrl}/sign-in/oidc?next=${encodeURIComponent('/accessibility')}`);
    assert.equal(done.res.status, 200);
    assert.equal(done.url.pathname, '/accessibility');
    assert.ok(browser.cookie(baseUrl, SESSION));
    assert.deepEqual(await identitiesOf(u.id), [{ issuer, subject }]);
    const audited = await lastSsoAudit();
    assert.equal(audited.outcome, 'success');
    assert.equal(audited.actor_id, u.id);
    assert.equal((audited.detail as Record<string, unknown>).via, 'email');
    const linkAudit = await db.owner
      .selectFrom('audit_events')
      .select(['actor_id', 'detail'])
      .where('action', '=', 'auth.sso_link')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(linkAudit.actor_id, u.id);
    assert.equal((linkAudit.detail as Record<string, unknown>).subject, subject);

    // Later the provider's address changes: the link still identifies the user.
    accounts.set(subject, { email: 'changed@example.org', email_verified: true });
    const second = await signInWithSso(new Browser(), subject);
    assert.equal(second.res.status, 200);
    assert.equal((await lastSsoAudit()).actor_id, u.id);
    assert.equal((await identitiesOf(u.id)).length, 1);
  });

  test('an identity with no matching user is refused with the clear page, no session and no user created', async () => {
    const subject = unique('stranger');
    const email = `${subject}@example.nhs.uk`;
    accounts.set(subject, { email, email_verified: true });
    const browser = new Browser();
    const users = async () =>
      Number(
        (
          await db.owner
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await users();

    const done = await signInWithSso(browser, subject);
    assert.equal(done.res.status, 403);
    assert.ok(done.body.includes(NOT_LINKED));
    assert.equal(browser.cookie(baseUrl, SESSION), undefined);
    assert.equal(await users(), before);
    assert.equal((await db.owner.selectFrom('user_identities').select('id').where('subject', '=', subject).execute()).length, 0);
    const audited = await lastSsoAudit();
    assert.equal(audited.outcome, 'failure');
    assert.equal(audited.actor_id, null);
    assert.deepEqual(
      { reason: (audited.detail as Record<string, unknown>).reason, email: (audited.detail as Record<string, unknown>).email },
      { reason: 'not_linked', email },
    );
  });

  test('an e-mail address the provider has not verified never links an identity to a user', async () => {
    const u = await user(db.owner);
    const subject = unique('unverified');
    accounts.set(subject, { email: u.email, email_verified: false });
    const browser = new Browser();
    const done = await signInWithSso(browser, subject);
    assert.equal(done.res.status, 403);
    assert.ok(done.body.includes(NOT_LINKED));
    assert.equal(browser.cookie(baseUrl, SESSION), undefined);
    assert.deepEqual(await identitiesOf(u.id), []);
    assert.equal(((await lastSsoAudit()).detail as Record<string, unknown>).reason, 'not_linked');
    assert.equal((await sessionsOf(u.id)).length, 0);
  });

  test('a user already linked to another identity at the provider is not linked to a second one by e-mail', async () => {
    const u = await user(db.owner);
    await link(u.id, unique('original'));
    const subject = unique('newcomer');
    accounts.set(subject, { email: u.email, email_verified: true });
    const done = await signInWithSso(new Browser(), subject);
    assert.equal(done.res.status, 403);
    assert.equal((await identitiesOf(u.id)).length, 1);
    assert.equal(((await lastSsoAudit()).detail as Record<string, unknown>).reason, 'linked_to_other_identity');
    assert.equal((await sessionsOf(u.id)).length, 0);
  });

  test('a tampered state, or a callback in a browser that did not start the sign-in, is refused and audited', async () => {
    const u = await user(db.owner);
    const subject = unique('tamper');
    accounts.set(subject, {});
    await link(u.id, subject);

    const browser = new Browser();
    const callback = await throughProvider(browser, subject);
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')?.slice(0, -2)}xy`);
    const before = await ssoAuditCount();
    const res = await browser.follow(tampered.href);
    assert.equal(res.res.status, 400);
    assert.match(res.body, /Sign-in could not be completed/);
    assert.equal(browser.cookie(baseUrl, SESSION), undefined);
    assert.equal(await ssoAuditCount(), before + 1);
    assert.equal(((await lastSsoAudit()).detail as Record<string, unknown>).reason, 'state_mismatch');

    // Login CSRF: a genuine callback delivered to a different browser (no sign-in cookie) is refused.
    const other = await throughProvider(new Browser(), subject);
    const victim = new Browser();
    const forced = await victim.follow(other.href);
    assert.equal(forced.res.status, 400);
    assert.equal(victim.cookie(baseUrl, SESSION), undefined);
    assert.equal(((await lastSsoAudit()).detail as Record<string, unknown>).reason, 'no_sign_in_in_progress');
    assert.equal((await sessionsOf(u.id)).length, 0);
  });

  test('an inactive user is refused, whether found by link or by e-mail', async () => {
    const linked = await user(db.owner, { active: false });
    const subject = unique('inactive');
    accounts.set(subject, {});
    await link(linked.id, subject);
    const browser = new Browser();
    const done = await signInWithSso(browser, subject);
    assert.equal(done.res.status, 403);
    assert.match(done.body, /Your Warden account has been deactivated\. Ask your Warden administrator\./);
    assert.equal(browser.cookie(baseUrl, SESSION), undefined);
    let audited = await lastSsoAudit();
    assert.equal(audited.outcome, 'failure');
    assert.equal(audited.actor_id, linked.id);
    assert.equal((audited.detail as Record<string, unknown>).reason, 'user_inactive');

    const byEmail = await user(db.owner, { active: false });
    const subject2 = unique('inactive-email');
    accounts.set(subject2, { email: byEmail.email, email_verified: true });
    const second = await signInWithSso(new Browser(), subject2);
    assert.equal(second.res.status, 403);
    assert.deepEqual(await identitiesOf(byEmail.id), [], 'no link is made to an inactive user');
    audited = await lastSsoAudit();
    assert.equal((audited.detail as Record<string, unknown>).reason, 'user_inactive');
    assert.equal((await sessionsOf(linked.id)).length + (await sessionsOf(byEmail.id)).length, 0);
  });

  test('an error returned by the provider (the person cancels) is refused and audited', async () => {
    const browser = new Browser();
    const start = await browser.follow(`${baseUrl}/sign-in/oidc`);
    const abort = /href="([^"]*\/abort)"/.exec(start.body)?.[1] ?? `${start.url.pathname.replace(/\/$/, '')}/abort`;
    const done = await browser.follow(new URL(abort, start.url).href);
    assert.equal(done.url.origin, baseUrl);
    assert.equal(done.res.status, 502);
    const audited = await lastSsoAudit();
    assert.deepEqual(
      { reason: (audited.detail as Record<string, unknown>).reason, error: (audited.detail as Record<string, unknown>).error },
      { reason: 'provider_error', error: 'access_denied' },
    );
  });
});

describe('single sign-on configuration', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    assert.fail('the configuration was accepted');
  };

  test('is off unless both the issuer and the client id are set, and builds the redirect URI from the base URL', () => {
    assert.equal(loadConfig({}).oidc, undefined);
    const c = loadConfig({ WARDEN_BASE_URL: 'https://warden.example.nhs.uk/', OIDC_ISSUER: 'https://login.example.nhs.uk', OIDC_CLIENT_ID: 'warden' });
    assert.deepEqual(c.oidc, {
      issuer: 'https://login.example.nhs.uk',
      clientId: 'warden',
      clientSecret: undefined,
      displayName: 'NHS single sign-on',
      redirectUri: 'https://warden.example.nhs.uk/sign-in/oidc/callback',
    });
  });

  test('explains a missing client id, a missing issuer, a non-URL and plain http away from localhost', () => {
    assert.deepEqual(problems({ OIDC_ISSUER: 'https://login.example.nhs.uk' }), ['OIDC_CLIENT_ID is required when OIDC_ISSUER is set']);
    assert.match(problems({ OIDC_CLIENT_ID: 'warden' })[0] ?? '', /OIDC_ISSUER is required/);
    assert.match(problems({ OIDC_ISSUER: 'not a url', OIDC_CLIENT_ID: 'x' })[0] ?? '', /^OIDC_ISSUER must be the identity provider's issuer URL/);
    assert.match(problems({ OIDC_ISSUER: 'http://login.example.nhs.uk', OIDC_CLIENT_ID: 'x' })[0] ?? '', /^OIDC_ISSUER must be an https:\/\/ URL/);
    assert.equal(loadConfig({ OIDC_ISSUER: 'http://127.0.0.1:9000', OIDC_CLIENT_ID: 'x' }).oidc?.issuer, 'http://127.0.0.1:9000');
  });

  test('without single sign-on there is no button and no route', async () => {
    const plain = await testApp();
    await user(plain.db.owner);
    const page = await new Client(plain.app).get('/sign-in');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /sign-in\/oidc/);
    assert.equal((await new Client(plain.app).get('/sign-in/oidc')).statusCode, 404);
  });
});
