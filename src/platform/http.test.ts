import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Client, memberOf, signedIn, testApp } from '../../test/app.ts';
import { organisation } from '../../test/factories.ts';
import { createApp } from '../app.ts';
import { openDatabase } from '../db/database.ts';
import { createServices } from '../services.ts';
import { ROUTE_ACCESS } from './access/routes.ts';
import { invalid } from './errors.ts';
import { BODY_LIMIT_BYTES } from './http.ts';
import { nulField } from './validation.ts';

const t = await testApp();
const SECRET = 'secret detail: password=hunter2 at /srv/warden/db.ts';
// Routes that fail the way a bug would; added before the app's first request, as Fastify requires, and declared
// public in the access policy (undeclared routes are refused before their handler runs).
for (const url of ['/test/boom', '/api/test/boom']) {
  ROUTE_ACCESS[`GET ${url}`] = { public: true };
  t.app.get(url, { schema: { hide: true } }, async () => {
    throw new Error(SECRET);
  });
}
// A page refusing its query with a message that quotes markup, to show the error summary escapes it.
ROUTE_ACCESS['GET /test/invalid'] = { public: true };
t.app.get('/test/invalid', { schema: { hide: true } }, async () => {
  throw invalid([{ field: 'shade', message: 'Colour <b>"red"</b> is not one of the choices' }]);
});
await signedIn(t, [[null, 'administrator']]); // once a user exists, set-up is over and pages render

/** The CSP directives of a response, by name. */
function csp(header: unknown): Map<string, string[]> {
  assert.equal(typeof header, 'string', 'a Content-Security-Policy header is sent');
  return new Map(
    (header as string).split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name as string, values];
    }),
  );
}

const NO_STACK = /\bat [\w.<>]+ \(|\.ts:\d+|node:internal|Error: /;

describe('security headers', () => {
  test('a page gets a strict CSP whose per-response nonce is the one on its script tags', async () => {
    const [one, two] = [await new Client(t.app).get('/accessibility'), await new Client(t.app).get('/accessibility')];
    const nonces = [one, two].map((res) => {
      assert.equal(res.statusCode, 200);
      const policy = csp(res.headers['content-security-policy']);
      const script = policy.get('script-src') ?? [];
      const nonce = script.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
      assert.ok(nonce && nonce.length >= 16, `script-src has a nonce: ${script.join(' ')}`);
      assert.ok(![...policy.values()].flat().includes("'unsafe-inline'"), "no 'unsafe-inline' anywhere");
      assert.ok(![...policy.values()].flat().includes("'unsafe-eval'"), "no 'unsafe-eval' anywhere");
      assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
      assert.deepEqual(policy.get('object-src'), ["'none'"]);
      assert.deepEqual(policy.get('default-src'), ["'self'"]);
      const tags = [...res.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      assert.ok(tags.length >= 2, 'the page has script tags');
      for (const tag of tags) assert.ok(tag.includes(` nonce="${nonce}"`), `script tag carries the response's nonce: ${tag}`);
      return nonce;
    });
    assert.notEqual(nonces[0], nonces[1], 'each response gets a new nonce');
  });

  test('pages are not sniffed, framed, cached or given a referrer, and echo the request id', async () => {
    const res = await new Client(t.app).get('/accessibility');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS on plain-HTTP localhost');
    const given = await new Client(t.app).get('/accessibility', { 'x-request-id': 'lb-7f3a9c21e5' });
    assert.equal(given.headers['x-request-id'], 'lb-7f3a9c21e5', "a proxy's well-formed request id is kept");
    const forged = await new Client(t.app).get('/accessibility', { 'x-request-id': 'bad id\twith spaces' });
    assert.match(forged.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/, 'a malformed one is replaced');
  });

  test('the JSON API serves no markup, so its CSP lets nothing load, run or frame it, and carries no nonce', async () => {
    for (const url of ['/api/v1/organisations', '/api/v1/openapi.json', '/api/test/boom']) {
      const res = await t.app.inject({ url });
      const policy = csp(res.headers['content-security-policy']);
      assert.deepEqual([...policy.keys()].sort(), ['default-src', 'frame-ancestors'], `${url}: ${res.headers['content-security-policy']}`);
      assert.deepEqual(policy.get('default-src'), ["'none'"]);
      assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
    const page = csp((await new Client(t.app).get('/accessibility')).headers['content-security-policy']);
    assert.deepEqual(page.get('script-src-attr'), ["'none'"], 'no inline event handlers on pages');
    assert.deepEqual(page.get('style-src'), ["'self'"], 'no inline styles on pages');
  });

  test('served over HTTPS, pages and the API ask browsers to keep to HTTPS', async () => {
    const services = createServices(t.db.app, { sessionIdleMinutes: 60, sessionMaxHours: 12 });
    const app = await createApp(services, { config: { secureCookies: true, logLevel: 'silent', baseUrl: 'https://warden.example' }, logger: false });
    try {
      for (const url of ['/accessibility', '/api/v1/openapi.json']) {
        const res = await app.inject({ url });
        assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', url);
      }
      const page = csp((await app.inject({ url: '/accessibility' })).headers['content-security-policy']);
      assert.ok(page.has('upgrade-insecure-requests'), 'sub-resources are fetched over HTTPS');
      assert.ok((page.get('script-src') ?? []).some((s) => s.startsWith("'nonce-")));
    } finally {
      await app.close();
    }
  });

  test('API responses are not cached either, and static assets may be', async () => {
    const api = await t.app.inject({ url: '/api/v1/organisations' });
    assert.equal(api.headers['cache-control'], 'no-store');
    assert.equal(api.headers['x-content-type-options'], 'nosniff');
    const asset = await t.app.inject({ url: '/static/warden.css' });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['cache-control'] as string, /max-age=3600/);
  });
});

describe('error pages', () => {
  test('an unknown page gets the NHS "Page not found" page with status 404', async () => {
    const res = await new Client(t.app).get('/no-such-page');
    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.body, /<title>Page not found – Warden<\/title>/);
    assert.match(res.body, /<h1>Page not found<\/h1>/);
    assert.match(res.body, /class="nhsuk-header"/);
    assert.match(res.body, /class="nhsuk-footer/);
    assert.ok(res.body.includes(res.headers['x-request-id'] as string), 'shows the reference to quote');
  });

  test('an unknown API path gets 404 problem details', async () => {
    const res = await t.app.inject({ url: '/api/v1/no-such-thing?x=1' });
    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.deepEqual(res.json(), {
      type: 'https://warden.invalid/problems/not_found',
      title: 'Not found',
      status: 404,
      detail: 'There is no such resource.',
      instance: '/api/v1/no-such-thing',
      requestId: res.headers['x-request-id'],
    });
  });

  test('a page the role does not allow gets the 403 page, and the refusal is audited with the request id', async () => {
    const { client } = await memberOf(t, 'reporter');
    const res = await client.get('/organisations/new', { 'x-request-id': 'req-forbidden-0001' });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /<h1>You do not have access to this page<\/h1>/);
    assert.match(res.body, /class="nhsuk-header"/);
    const audited = await t.db.owner
      .selectFrom('audit_events')
      .select(['action', 'outcome', 'request_id'])
      .where('request_id', '=', 'req-forbidden-0001')
      .execute();
    assert.deepEqual(audited, [{ action: 'access.denied', outcome: 'denied', request_id: 'req-forbidden-0001' }]);
  });

  test('a form posted without its CSRF token gets the "form has expired" page with status 403', async () => {
    const { client } = await signedIn(t, [[null, 'administrator']]);
    const res = await client.post('/organisations', { name: 'X', code: 'XXX', type: 'acute' }, { csrf: false });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /<h1>This form has expired<\/h1>/);
  });

  test('a page that fails shows the NHS 500 page with the request id, and neither the error nor a stack trace', async () => {
    const res = await new Client(t.app).get('/test/boom');
    assert.equal(res.statusCode, 500);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.body, /<h1>Sorry, there is a problem with the service<\/h1>/);
    assert.match(res.body, /class="nhsuk-header"/);
    const id = res.headers['x-request-id'] as string;
    assert.ok(res.body.includes(`<strong>${id}</strong>`), 'shows the reference to quote');
    assert.ok(!res.body.includes('hunter2') && !res.body.includes('secret detail'), 'the error message stays in the log');
    assert.doesNotMatch(res.body, NO_STACK);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('an API call that fails gets 500 problem details with the request id, and neither the error nor a stack trace', async () => {
    const res = await t.app.inject({ url: '/api/test/boom' });
    assert.equal(res.statusCode, 500);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const body = res.json();
    assert.equal(body.title, 'Internal error');
    assert.equal(body.status, 500);
    assert.equal(body.requestId, res.headers['x-request-id']);
    assert.ok(!res.body.includes('hunter2') && !res.body.includes('secret detail'));
    assert.doesNotMatch(res.body, NO_STACK);
    assert.deepEqual(Object.keys(body).sort(), ['detail', 'instance', 'requestId', 'status', 'title', 'type']);
  });
});

describe('bad input on a page with no form of its own (issue 4: clear message, error summary)', () => {
  test('a bad value in the address of a list page gets a 400 page listing each problem with its field', async () => {
    const { client } = await memberOf(t, 'security_specialist');
    const res = await client.get('/markers?due=yes');
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.body, /<title>Error: There is a problem with the information you gave – Warden<\/title>/);
    assert.match(res.body, /class="nhsuk-error-summary"/);
    assert.match(res.body, /<li>\s*due must be true or false \(or 1 or 0\)\s*<\/li>/);
    assert.match(res.body, /Go back, change what is listed above and try again/);
  });

  test('the problems are shown as text: markup in a message is escaped', async () => {
    const res = await new Client(t.app).get('/test/invalid');
    assert.equal(res.statusCode, 400);
    assert.ok(res.body.includes('shade: Colour &lt;b&gt;&quot;red&quot;&lt;/b&gt; is not one of the choices'), res.body);
    assert.ok(!res.body.includes('<b>"red"</b>'));
  });
});

describe('a NUL character anywhere in a request is refused before any handler (PostgreSQL refuses it in text and jsonb)', () => {
  const NUL_MESSAGE = (field: string) => `${field} must not contain a NUL character (U+0000): remove it and try again`;

  test('an API write: 400 problem naming the field, and nothing written', async () => {
    const { client } = await signedIn(t, [[null, 'administrator']]);
    const code = `N${Date.now().toString(36).slice(-3).toUpperCase()}`;
    const res = await client.json('POST', '/api/v1/organisations', { name: 'Nul\u0000 Trust', code, type: 'acute' });
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.deepEqual(res.json().errors, [{ field: 'name', message: NUL_MESSAGE('name') }]);
    const written = await t.db.owner.selectFrom('organisations').select('id').where('code', '=', code).execute();
    assert.deepEqual(written, []);
  });

  test('an API query: GET /api/v1/cases?q=%00 is a 400 naming q, not a 500', async () => {
    const { client } = await memberOf(t, 'security_specialist');
    const res = await client.get('/api/v1/cases?q=%00');
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json().errors, [{ field: 'q', message: NUL_MESSAGE('q') }]);
  });

  test('a body over 1 MB: 413 problem details on the API and the "too large" page for a form, nothing written', async () => {
    const { client } = await signedIn(t, [[null, 'administrator']]);
    const code = `L${Date.now().toString(36).slice(-3).toUpperCase()}`;
    const huge = 'x'.repeat(BODY_LIMIT_BYTES + 1);
    const api = await client.json('POST', '/api/v1/organisations', { name: huge, code, type: 'acute' });
    assert.equal(api.statusCode, 413, api.body.slice(0, 300));
    assert.match(api.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(api.json().title, 'Request too large');
    assert.match(api.json().detail, /1 MB.*Nothing was saved/);
    const form = await client.post('/organisations', { name: huge, code, type: 'acute' });
    assert.equal(form.statusCode, 413);
    assert.match(form.headers['content-type'] as string, /^text\/html/);
    assert.match(form.body, /What you sent is too large/);
    assert.match(form.body, /Nothing has been saved/);
    assert.deepEqual(await t.db.owner.selectFrom('organisations').select('id').where('code', '=', code).execute(), []);
  });

  test('a form post: the 400 page names the field, and nothing is written', async () => {
    const { client } = await signedIn(t, [[null, 'administrator']]);
    const code = `M${Date.now().toString(36).slice(-3).toUpperCase()}`;
    const res = await client.post('/organisations', { name: 'Form\u0000 Trust', code, type: 'acute' });
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.ok(res.body.includes(NUL_MESSAGE('name')), res.body);
    assert.deepEqual(await t.db.owner.selectFrom('organisations').select('id').where('code', '=', code).execute(), []);
  });

  test('an upload: a NUL in a multipart field or file name is refused before the handler looks anything up', async () => {
    const { client } = await memberOf(t, 'security_specialist');
    const url = `/api/v1/cases/${randomUUID()}/attachments`;
    const photo = { name: 'photo.png', type: 'image/png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]) };
    const field = await client.multipart(url, { description: 'Door\u0000' }, photo);
    assert.equal(field.statusCode, 400, field.body);
    assert.deepEqual(field.json().errors, [{ field: 'description', message: NUL_MESSAGE('description') }]);
    const name = await client.multipart(url, { description: 'Door' }, { ...photo, name: 'pho\u0000to.png' });
    assert.equal(name.statusCode, 400, name.body);
    assert.deepEqual(name.json().errors, [{ field: 'file', message: NUL_MESSAGE('file') }]);
    // The bytes of a file may hold NULs: that is not refused here (the case does not exist: 404 from the handler).
    assert.equal((await client.multipart(url, { description: 'Door' }, photo)).statusCode, 404);
  });

  test('an API update is refused too; nested fields, array items and keys are named by their path', async () => {
    const { client } = await signedIn(t, [[null, 'administrator']]);
    const org = await organisation(t.db.owner);
    const res = await client.json('PUT', `/api/v1/organisations/${org.id}`, { name: 'Re\u0000named', code: org.code, type: 'acute' });
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json().errors, [{ field: 'name', message: NUL_MESSAGE('name') }]);
    const kept = await t.db.owner.selectFrom('organisations').select('name').where('id', '=', org.id).executeTakeFirstOrThrow();
    assert.equal(kept.name, org.name);
    assert.equal(nulField({ a: { 'b\u0000': 1 } }), 'a.b\\u0000');
    assert.equal(nulField({ a: [{ b: 'fine' }, { c: 'bad\u0000' }] }), 'a.1.c');
    // An uploaded file part (which refers back to all the fields) is checked by its name only.
    const fields: Record<string, unknown> = { description: 'fine' };
    fields.file = { type: 'file', filename: 'photo.jpg', _buf: Buffer.from([0]), fields };
    assert.equal(nulField(fields), undefined);
    (fields.file as { filename: string }).filename = 'pho\u0000to.jpg';
    assert.equal(nulField(fields), 'file');
    assert.equal(nulField({ ok: 'no nul here', n: 1, d: new Date(), b: Buffer.from([0]) }), undefined);
    // Forms and query strings are parsed into objects without Object's prototype.
    const form = Object.create(Object.create(null)) as Record<string, string>;
    form.name = 'a\u0000';
    assert.equal(nulField(form), 'name');
  });
});

describe('health', () => {
  test('/healthz answers 200 without a session or database work', async () => {
    const res = await t.app.inject({ url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('/readyz answers 200 while the database is up', async () => {
    const res = await t.app.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready' });
  });

  test('/readyz answers 503 when the database cannot be reached, and /healthz still answers 200', async () => {
    const unreachable = openDatabase('postgres://warden:wrong@127.0.0.1:1/none', { poolSize: 1 });
    const app = await createApp(createServices(unreachable, { sessionIdleMinutes: 60, sessionMaxHours: 12 }), {
      config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://localhost' },
      logger: false,
    });
    try {
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.deepEqual(ready.json(), { status: 'database unreachable' });
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    } finally {
      await app.close();
      await unreachable.destroy();
    }
  });
});

describe('structured logs', () => {
  test('each request is logged as JSON carrying its request id, and a failure is logged with its stack', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    const services = createServices(t.db.app, { sessionIdleMinutes: 60, sessionMaxHours: 12 });
    const app = await createApp(services, {
      config: { secureCookies: false, logLevel: 'info', baseUrl: 'http://localhost' },
      logger: { level: 'info', stream },
    });
    app.get('/test/boom', { schema: { hide: true } }, async () => {
      throw new Error(SECRET);
    });
    try {
      const ok = await app.inject({ url: '/accessibility', headers: { 'x-request-id': 'log-test-ok-0001' } });
      const failed = await app.inject({ url: '/test/boom', headers: { 'x-request-id': 'log-test-boom-0001' } });
      await app.inject({ url: '/password-reset/ResetTokenThatMustNotBeLogged', headers: { 'x-request-id': 'log-test-reset-0001' } });
      assert.equal(ok.statusCode, 200);
      assert.equal(failed.statusCode, 500);
    } finally {
      await app.close();
    }
    const of = (id: string) => lines.filter((l) => l.reqId === id);
    const okLines = of('log-test-ok-0001');
    assert.ok(
      okLines.some((l) => l.msg === 'incoming request'),
      JSON.stringify(lines),
    );
    const done = okLines.find((l) => l.msg === 'request completed') as { res: { statusCode: number }; responseTime: number } | undefined;
    assert.equal(done?.res.statusCode, 200);
    assert.equal(typeof done?.responseTime, 'number');
    const error = of('log-test-boom-0001').find((l) => l.msg === 'unhandled error') as { level: number; err: { message: string; stack: string } } | undefined;
    assert.ok(error, 'the failure is logged under its request id');
    assert.equal(error.level, 50);
    assert.equal(error.err.message, SECRET);
    assert.match(error.err.stack, /http\.test\.ts/);
    for (const l of lines) assert.ok(typeof l.time === 'number' && typeof l.level === 'number', 'every line is structured');
    assert.ok(!JSON.stringify(lines).includes('warden_session='), 'cookies are not logged');
    // A password-reset link's token is a credential until used: its URL is logged redacted.
    assert.ok(of('log-test-reset-0001').some((l) => (l.req as { url?: string } | undefined)?.url === '/password-reset/[redacted]'));
    assert.ok(!JSON.stringify(lines).includes('ResetTokenThatMustNotBeLogged'), 'reset tokens are not logged');
  });
});

describe('design-system assets', () => {
  test('the icons nhsuk-frontend’s stylesheet refers to at /assets/images/ are served', async () => {
    const css = await t.app.inject({ url: '/nhsuk/nhsuk-frontend.min.css' });
    assert.equal(css.statusCode, 200);
    const icons = [...new Set([...css.body.matchAll(/url\((\/assets\/[^)]+)\)/g)].map((m) => m[1] as string))];
    assert.ok(icons.length > 0);
    for (const url of icons) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /^image\/svg\+xml/);
    }
  });

  test('the stylesheet asks for no font from another site, which the CSP would block (font-src self)', async () => {
    const css = await t.app.inject({ url: '/nhsuk/nhsuk-frontend.min.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.headers['content-type'] as string, /^text\/css/);
    assert.doesNotMatch(css.body, /@font-face/);
    assert.doesNotMatch(css.body, /assets\.nhs\.uk/);
    // The rest of the design system is all there: the fallback font stack and the components.
    assert.match(css.body, /font-family:Frutiger W01,arial,sans-serif/);
    assert.match(css.body, /\.nhsuk-header\{/);
  });
});
