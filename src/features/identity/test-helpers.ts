/**
 * Helpers for the identity tests (not a test file itself): signing in through the real pages, setting up TOTP
 * through the real set-up page, and comparing pages without their per-response tokens.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { generate } from 'otplib';
import { Client, type TestApp } from '../../../test/app.ts';
import { TEST_PASSWORD } from '../../../test/factories.ts';

let addresses = 0;
/** A different client address each call, so per-address rate limits do not couple unrelated tests. */
export const nextAddress = () => {
  addresses++;
  return `10.0.${addresses >> 8}.${addresses & 255}`;
};

/**
 * A browser at its own network address (see `Client`): rate limits count per address, and a test's many
 * sign-ins must not use up the allowance of the next one.
 */
export function browser(t: TestApp, sessionToken?: string, remoteAddress = nextAddress()): Client {
  const app = { inject: (o: InjectOptions) => t.app.inject({ ...o, remoteAddress }) };
  return new Client(app as unknown as FastifyInstance, sessionToken);
}

/** A page without what legitimately differs per response (CSRF token, CSP nonce), to compare two answers. */
export function normalise(body: string): string {
  return body
    .replace(/<meta name="csrf-token" content="[^"]*">/g, '')
    .replace(/name="_csrf" value="[^"]*"/g, '')
    .replace(/nonce="[^"]*"/g, '');
}

/** Signs in through the sign-in form as a browser would; returns the client and the response. */
export async function signInWithPassword(t: TestApp, email: string, password = TEST_PASSWORD, client = browser(t)) {
  await client.get('/sign-in');
  const res = await client.post('/sign-in', { email, password });
  return { client, res };
}

/** A TOTP code for the given 30-second time step (defaults to now). */
export function totpAt(secret: string, step?: number): Promise<string> {
  return generate({ secret, epoch: step === undefined ? Math.floor(Date.now() / 1000) : step * 30 });
}

/** The last TOTP time step the server accepted for a user. */
export async function lastStep(t: TestApp, userId: string): Promise<number> {
  const row = await t.db.owner.selectFrom('users').select('totp_last_step').where('id', '=', userId).executeTakeFirstOrThrow();
  assert.notEqual(row.totp_last_step, null);
  return row.totp_last_step as number;
}

/** Sets up TOTP through the set-up page with a signed-in client; returns the secret and the recovery codes shown. */
export async function enrolTotp(client: Client): Promise<{ secret: string; codes: string[] }> {
  const page = await client.get('/account/two-factor');
  assert.equal(page.statusCode, 200, page.body.slice(0, 500));
  const secret = /data-secret="([A-Z2-7]+)"/.exec(page.body)?.[1];
  assert.ok(secret, 'the set-up page shows the secret');
  const res = await client.post('/account/two-factor', { code: await totpAt(secret) });
  assert.equal(res.statusCode, 200, res.body.slice(0, 2000));
  const list = /<ol[^>]*id="recovery-codes"[^>]*>([\s\S]*?)<\/ol>/.exec(res.body)?.[1] ?? '';
  const codes = [...list.matchAll(/<code>([a-z0-9-]+)<\/code>/g)].map((m) => m[1] as string);
  return { secret, codes };
}

/** Count of audit events with this action (and outcome, if given) about a user. */
export async function audits(t: TestApp, action: string, objectId?: string, outcome?: string): Promise<number> {
  let q = t.db.owner
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('action', '=', action);
  if (objectId) q = q.where('object_id', '=', objectId);
  if (outcome) q = q.where('outcome', '=', outcome);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Open (not ended) sessions of a user. */
export async function openSessions(t: TestApp, userId: string): Promise<number> {
  const rows = await t.db.owner.selectFrom('sessions').select('id').where('user_id', '=', userId).where('ended_at', 'is', null).execute();
  return rows.length;
}

/**
 * Opens `pageUrl` and submits its form to `postUrl` as a separate browser at its own address (own cookies, own
 * CSRF token), as a second person on another network would.
 */
export async function submitFrom(t: TestApp, pageUrl: string, postUrl: string, form: Record<string, string>, remoteAddress = nextAddress()) {
  const page = await t.app.inject({ url: pageUrl, remoteAddress });
  const cookie = (page.cookies as { name: string; value: string }[]).map((c) => `${c.name}=${c.value}`).join('; ');
  const token = /<meta name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1] ?? '';
  return t.app.inject({
    method: 'POST',
    url: postUrl,
    remoteAddress,
    payload: new URLSearchParams({ ...form, _csrf: token }).toString(),
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
}
