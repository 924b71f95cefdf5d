import { after } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { cookieNames, createApp, type Services } from '../src/app.ts';
import type { Role } from '../src/platform/access/roles.ts';
import type { Mailer } from '../src/platform/mail.ts';
import { createServices } from '../src/services.ts';
import { type TestDatabase, testDatabase } from './db.ts';
import { organisation, session, user } from './factories.ts';
import { testMailer } from './mail.ts';

export type TestApp = { app: FastifyInstance; db: TestDatabase; services: Services };

/** The whole application over a fresh test database, driven in-process with `inject()`. */
export async function testApp(options: { demo?: boolean; mailer?: Mailer; config?: Partial<Parameters<typeof createServices>[1]> } = {}): Promise<TestApp> {
  const db = await testDatabase();
  const services = createServices(
    db.app,
    { sessionIdleMinutes: 60, sessionMaxHours: 12, baseUrl: 'http://localhost', ...options.config },
    { mailer: options.mailer ?? testMailer(options.config) },
  );
  const app = await createApp(services, {
    config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://localhost' },
    demo: options.demo,
    logger: false,
  });
  after(() => app.close());
  return { app, db, services };
}

/**
 * A browser-like client: keeps cookies, reads the CSRF token from the page's meta tag, and sends it with forms
 * and JSON writes, as the pages and a script on them would.
 */
export class Client {
  private cookies = new Map<string, string>();
  private csrf: string | undefined;

  constructor(
    private readonly app: FastifyInstance,
    sessionToken?: string,
  ) {
    if (sessionToken) this.cookies.set(cookieNames(false).session, sessionToken);
  }

  /** The Cookie header this client sends. */
  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: LightMyRequestResponse) {
    for (const c of res.cookies as { name: string; value: string }[]) {
      if (c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /<meta name="csrf-token" content="([^"]*)"/.exec(res.body);
    if (m?.[1]) this.csrf = m[1];
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), ...headers } }));
  }

  private async token() {
    if (!this.csrf) await this.get('/accessibility');
    return this.csrf as string;
  }

  /** Submits a form as a browser would, with the CSRF token unless `csrf: false`. */
  async post(url: string, form: Record<string, string | string[]>, options: { csrf?: boolean } = {}) {
    const body = new URLSearchParams();
    if (options.csrf !== false) body.append('_csrf', await this.token());
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body.toString(),
        headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  }

  /**
   * Submits a multipart/form-data form with one file, as a browser does for a file upload (CSRF token in the
   * `_csrf` field unless `csrf: false`; for /api/ URLs it goes in the header as a script would send it).
   */
  async multipart(
    url: string,
    fields: Record<string, string>,
    file: { field?: string; name: string; type?: string; data: Buffer } | null,
    options: { csrf?: boolean } = {},
  ) {
    const boundary = `----warden${Math.random().toString(16).slice(2)}`;
    const token = options.csrf === false ? undefined : await this.token();
    const parts: Buffer[] = [];
    const all = { ...(token && !url.startsWith('/api/') ? { _csrf: token } : {}), ...fields };
    for (const [k, v] of Object.entries(all)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    if (file)
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        file.data,
        Buffer.from('\r\n'),
      );
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        payload: Buffer.concat(parts),
        headers: {
          cookie: this.cookieHeader(),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          ...(token && url.startsWith('/api/') ? { 'x-csrf-token': token } : {}),
        },
      }),
    );
  }

  /** Sends JSON to the API with the CSRF header (a session-authenticated script's request). */
  async json(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload: unknown, headers: Record<string, string> = {}) {
    const token = await this.token(); // first: fetching it may set the CSRF cookie
    return this.keep(
      await this.app.inject({ method, url, payload: payload as object, headers: { cookie: this.cookieHeader(), 'x-csrf-token': token, ...headers } }),
    );
  }
}

/** A signed-in client for a new user holding `roles` (pairs of organisation id or null, and role). */
export async function signedIn(t: TestApp, roles: [string | null, Role][], actingFor?: string | null) {
  const u = await user(t.db.owner, { roles });
  return { user: u, client: new Client(t.app, await session(t.db.owner, u, actingFor)) };
}

/** Shortcut: an organisation and a signed-in user holding `role` in it. */
export async function memberOf(t: TestApp, role: Role, org?: Awaited<ReturnType<typeof organisation>>) {
  const o = org ?? (await organisation(t.db.owner));
  return { org: o, ...(await signedIn(t, [[o.id, role]])) };
}
