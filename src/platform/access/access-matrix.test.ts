import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { Client } from '../../../test/app.ts';
import { testDatabase } from '../../../test/db.ts';
import { organisation, session, user } from '../../../test/factories.ts';
import { createApp } from '../../app.ts';
import { createServices } from '../../services.ts';
import { can } from './policy.ts';
import { type Actor, ROLES, type Role } from './roles.ts';
import { ROUTE_ACCESS, type RouteAccess } from './routes.ts';

/**
 * The authorisation matrix (issue 3 §5): every registered route × every role × own organisation / another
 * organisation / anonymous. The expected answer comes from the declared policy (policy.ts + routes.ts); the actual
 * answer from the running application. Any unexpected allow or deny fails, and so does a route nobody declared.
 */
const routes: { method: string; url: string }[] = [];
const db = await testDatabase();
const app = await createApp(createServices(db.app, { sessionIdleMinutes: 60, sessionMaxHours: 12, baseUrl: 'http://localhost' }), {
  config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://localhost' },
  logger: false,
  onRoute: (route: RouteOptions) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  },
});
after(() => app.close());
await app.ready();

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
// Routes throttled per address: the matrix would exhaust their budget. They are public, checked once each below.
const THROTTLED = new Set(['POST /sign-in', 'POST /setup', 'POST /password-reset', 'POST /sign-in/two-factor', 'POST /password-reset/:token']);
const GLOBAL_ROLES: Role[] = ['administrator', 'national_assessor'];

test('every registered route is declared in the access policy, and every declared route exists', () => {
  const registered = new Set(routes.map(key));
  const undeclared = [...registered].filter((k) => !ROUTE_ACCESS[k]);
  assert.deepEqual(undeclared, [], `routes missing from src/platform/access/routes.ts: ${undeclared.join(', ')}`);
  // Declared routes may be absent only when their feature is switched off by configuration (single sign-on).
  const missing = Object.keys(ROUTE_ACCESS).filter((k) => !registered.has(k) && !k.includes('/oidc'));
  assert.deepEqual(missing, [], `declared routes that no longer exist: ${missing.join(', ')}`);
});

type Who = { label: string; roles: [string | null, Role][]; actingFor: string | null; actor: Actor | null };

function fill(url: string, orgId: string): string {
  return url
    .replace(':id', orgId)
    .replace(/:year/g, '2026')
    .replace(/:token/g, 'x'.repeat(43))
    .replace(/:[A-Za-z]+/g, () => randomUUID())
    .replace('*', 'missing.css');
}

type Expectation = 'any' | 'allow' | 'deny' | 'deny-or-hide' | 'record-decides';

/** What the declared policy says should happen. */
function expected(access: RouteAccess, who: Who, orgId: string): Expectation {
  // Public routes (sign-in, reset, set-up) are open to all; they may still send someone elsewhere.
  if ('public' in access) return 'any';
  if (!who.actor) return 'deny';
  if ('signedIn' in access) return 'allow';
  const allowed = access.org === 'id' ? can(who.actor, access.action, orgId) : can(who.actor, access.action);
  // With the role, a route about a record still lets the service refuse a record that is not the caller's.
  if (allowed) return access.object ? 'record-decides' : 'allow';
  return access.object ? 'deny-or-hide' : 'deny';
}

function verdict(status: number, location: string | undefined): 'allow' | 'deny' | 'unauthenticated' | 'hidden' | 'error' {
  if (status >= 500) return 'error';
  if (status === 401 || (status === 302 && location?.startsWith('/sign-in?next='))) return 'unauthenticated';
  if (status === 403) return 'deny';
  if (status === 404) return 'hidden';
  return 'allow';
}

function matches(want: Expectation, got: ReturnType<typeof verdict>, anonymous: boolean): boolean {
  if (got === 'error') return false;
  if (want === 'any') return true;
  if (anonymous && want === 'deny') return got === 'unauthenticated';
  if (got === 'unauthenticated') return false; // a signed-in user is never asked to sign in again
  switch (want) {
    case 'allow':
      return got === 'allow' || got === 'hidden';
    case 'deny':
      return got === 'deny';
    case 'deny-or-hide':
      return got === 'deny' || got === 'hidden';
    case 'record-decides':
      return true;
  }
}

test('every route answers every role, in its own and another organisation and anonymously, as the policy says', async () => {
  const own = await organisation(db.owner, { type: 'acute' });
  const other = await organisation(db.owner, { type: 'mental_health' });
  const commissioner = await organisation(db.owner, { type: 'commissioner' });
  const people: Who[] = [{ label: 'anonymous', roles: [], actingFor: null, actor: null }];
  for (const role of ROLES) {
    const org = role === 'commissioner' ? commissioner : own;
    people.push({
      label: role,
      roles: [[org.id, role]],
      actingFor: org.id,
      actor: { kind: 'user', userId: '', name: '', email: '', orgId: org.id, roles: [role], globalRoles: [] },
    });
  }
  for (const role of GLOBAL_ROLES) {
    people.push({
      label: `${role} (deployment-wide)`,
      roles: [[null, role]],
      actingFor: null,
      actor: { kind: 'user', userId: '', name: '', email: '', orgId: null, roles: [], globalRoles: [role] },
    });
  }
  const failures: string[] = [];
  let cells = 0;
  for (const r of routes) {
    const access = ROUTE_ACCESS[key(r)];
    if (!access) continue; // reported by the test above
    const throttled = THROTTLED.has(key(r));
    for (const who of people) {
      if (throttled && who.actor) continue;
      // Routes about a named organisation are tried on the user's own and on another one.
      const home = who.actingFor ?? own.id;
      const targets = access && 'action' in access && access.org === 'id' ? [home, other.id] : [home];
      for (const orgId of targets) {
        let client: Client;
        if (who.actor) {
          const u = await user(db.owner, { roles: who.roles });
          client = new Client(app, await session(db.owner, u, who.actingFor));
        } else client = new Client(app);
        const url = fill(r.url, orgId);
        const res =
          r.method === 'GET' ? await client.get(url) : r.url.startsWith('/api/') ? await client.json(r.method as 'POST', url, {}) : await client.post(url, {});
        cells++;
        const want = expected(access, who, orgId);
        const got = verdict(res.statusCode, res.headers.location as string | undefined);
        const where = orgId === home ? 'own organisation' : 'another organisation';
        if (!matches(want, got, !who.actor)) failures.push(`${key(r)} as ${who.label} (${where}): expected ${want}, got ${res.statusCode} ${got}`);
      }
    }
  }
  console.log(`access matrix: ${cells} route × role × tenancy cells checked over ${routes.length} routes`);
  assert.deepEqual(failures, []);
});
