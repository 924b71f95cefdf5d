import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { RouteOptions } from 'fastify';
import { testDatabase } from '../../test/db.ts';
import { createApp } from '../app.ts';
import { createServices } from '../services.ts';

// Every route as Fastify registers it, collected from the first registration on.
const routes: { method: string; url: string }[] = [];
const db = await testDatabase();
const app = await createApp(createServices(db.app, { sessionIdleMinutes: 60, sessionMaxHours: 12 }), {
  config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://localhost' },
  logger: false,
  onRoute: (route: RouteOptions) => {
    for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url });
  },
});
after(() => app.close());

type Document = { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> };
type Operation = { summary?: string; tags?: string[]; parameters?: { in: string; name: string; required?: boolean }[]; responses: Record<string, unknown> };

const VERBS = new Set(['get', 'put', 'post', 'delete', 'patch']);
/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

async function fetchDocument(): Promise<Document> {
  const res = await app.inject({ url: '/api/v1/openapi.json' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  return res.json();
}

describe('OpenAPI document', () => {
  test('GET /api/v1/openapi.json is a valid OpenAPI 3.1 document, served without signing in', async () => {
    const doc = await fetchDocument();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Warden API');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  });

  test('lists every /api/v1 route with its method, and nothing else', async () => {
    const doc = await fetchDocument();
    const api = routes.filter((r) => VERBS.has(r.method) && r.url.startsWith('/api/v1/') && r.url !== '/api/v1/openapi.json');
    assert.ok(api.length >= 8, `found the API routes: ${JSON.stringify(api)}`);
    const missing = api.filter((r) => !doc.paths[openapiPath(r.url)]?.[r.method]).map((r) => `${r.method.toUpperCase()} ${r.url}`);
    assert.deepEqual(missing, [], 'every API route is documented');

    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    const registered = new Set(api.map((r) => `${r.method} ${openapiPath(r.url)}`));
    assert.deepEqual(
      documented.filter((d) => !registered.has(d)),
      [],
      'no page route, internal route or openapi.json itself is documented',
    );
    const pages = routes.filter((r) => VERBS.has(r.method) && !r.url.startsWith('/api/'));
    assert.ok(pages.length > 5, 'page routes were seen too');
    for (const p of pages) assert.equal(doc.paths[openapiPath(p.url)], undefined, `page ${p.url} is not in the API document`);
  });

  test('every operation has a summary, a tag, a success response and its path parameters', async () => {
    const doc = await fetchDocument();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        assert.ok(op.summary, `${name} has a summary`);
        assert.ok(op.tags?.length, `${name} has a tag`);
        assert.ok(
          Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
          `${name} documents its success response`,
        );
        for (const [, param] of path.matchAll(/\{([^}]+)\}/g)) {
          assert.ok(
            op.parameters?.some((p) => p.in === 'path' && p.name === param && p.required === true),
            `${name} declares the path parameter ${param}`,
          );
        }
      }
    }
  });
});
