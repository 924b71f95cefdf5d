import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { RouteOptions } from 'fastify';
import { testDatabase } from '../../test/db.ts';
import { createApp } from '../app.ts';
import { createServices } from '../services.ts';
import { describeRoute, errorStatuses, finishDocument } from './openapi.ts';

// Every route as Fastify registers it, collected from the first registration on.
const routes: { method: string; url: string; consumes?: string[] }[] = [];
const db = await testDatabase();
const app = await createApp(createServices(db.app, { sessionIdleMinutes: 60, sessionMaxHours: 12 }), {
  config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://localhost' },
  logger: false,
  onRoute: (route: RouteOptions) => {
    const consumes = (route.schema as { consumes?: string[] } | undefined)?.consumes;
    for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url, consumes });
  },
});
after(() => app.close());

type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, string>>; responses: Record<string, Response>; schemas: Record<string, Schema> };
};
type Operation = {
  summary?: string;
  tags?: string[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  responses: Record<string, Response | { $ref: string }>;
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
};
type Response = { description: string; content?: Record<string, { schema: Schema | { $ref: string } }> };
type Schema = { type?: string; format?: string; required?: string[]; properties?: Record<string, Schema>; enum?: string[] };

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

/** Every documented operation, as [name, method, path, operation]. */
function operations(doc: Document): [string, string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]) => [`${m.toUpperCase()} ${path}`, m, path, op] as [string, string, string, Operation]),
  );
}

/** A `$ref` to `#/components/<kind>/<name>`, followed. */
function deref<T>(doc: Document, value: T | { $ref: string }): T {
  if (value && typeof value === 'object' && '$ref' in value) {
    const [, , kind, name] = value.$ref.split('/');
    return (doc.components as unknown as Record<string, Record<string, T>>)[kind as string]?.[name as string] as T;
  }
  return value as T;
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

describe('OpenAPI document: security, errors and uploads (issue 4 item 15)', () => {
  test('every operation needs a bearer token or the session, and a session write also needs the CSRF header', async () => {
    const doc = await fetchDocument();
    const schemes = doc.components.securitySchemes;
    assert.deepEqual({ type: schemes.bearer?.type, scheme: schemes.bearer?.scheme }, { type: 'http', scheme: 'bearer' });
    assert.deepEqual(
      { type: schemes.session?.type, in: schemes.session?.in, name: schemes.session?.name },
      { type: 'apiKey', in: 'cookie', name: 'warden_session' },
    );
    // app.ts's CSRF check reads this header for scripts.
    assert.deepEqual({ type: schemes.csrf?.type, in: schemes.csrf?.in, name: schemes.csrf?.name }, { type: 'apiKey', in: 'header', name: 'x-csrf-token' });
    const ops = operations(doc);
    assert.ok(ops.length >= 8);
    for (const [name, method, , op] of ops) {
      const expected = WRITE_METHODS.has(method) ? [{ bearer: [] }, { session: [], csrf: [] }] : [{ bearer: [] }, { session: [] }];
      assert.deepEqual(op.security, expected, `${name} declares how to authenticate`);
    }
  });

  test('every operation documents its problem-details errors: 400, 401, 403; 404 with a path id; 409 on writes; 413 on writes with a body', async () => {
    const doc = await fetchDocument();
    const problem = doc.components.schemas.Problem as Schema;
    assert.deepEqual(problem.required, ['type', 'title', 'status', 'detail', 'instance', 'requestId']);
    assert.ok(problem.properties?.errors, 'field errors are described');
    for (const [name, method, path, op] of operations(doc)) {
      const expected = [
        '400',
        '401',
        '403',
        ...(path.includes('{') ? ['404'] : []),
        ...(WRITE_METHODS.has(method) ? ['409'] : []),
        ...(WRITE_METHODS.has(method) && method !== 'delete' ? ['413'] : []),
      ];
      for (const status of expected) {
        const response = deref<Response>(doc, op.responses[status] as Response);
        assert.ok(response?.description, `${name} documents ${status}`);
        const schema = deref<Schema>(doc, response.content?.['application/problem+json']?.schema as Schema);
        assert.equal(schema, problem, `${name} ${status} is application/problem+json problem details`);
      }
    }
  });

  test('the Problem schema describes the problems the API sends', async () => {
    const doc = await fetchDocument();
    const problem = doc.components.schemas.Problem as Schema;
    const res = await app.inject({ url: '/api/v1/markers' });
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const body = res.json() as Record<string, unknown>;
    for (const key of problem.required ?? []) assert.ok(key in body, `the response has ${key}`);
    for (const key of Object.keys(body)) assert.ok(problem.properties?.[key], `${key} is documented`);
  });

  test('every upload (multipart/form-data) operation documents its body with the binary `file` field', async () => {
    const doc = await fetchDocument();
    const uploads = routes.filter((r) => r.url.startsWith('/api/v1/') && r.consumes?.includes('multipart/form-data'));
    assert.ok(uploads.length >= 4, `the attachment, import, evidence and annual-report uploads: ${JSON.stringify(uploads)}`);
    for (const r of uploads) {
      const name = `${r.method.toUpperCase()} ${r.url}`;
      const body = doc.paths[openapiPath(r.url)]?.[r.method]?.requestBody;
      assert.equal(body?.required, true, `${name} has a request body`);
      const schema = body?.content['multipart/form-data']?.schema;
      assert.ok(schema, `${name} is multipart/form-data`);
      assert.deepEqual({ type: schema.properties?.file?.type, format: schema.properties?.file?.format }, { type: 'string', format: 'binary' }, name);
      assert.ok(schema.required?.includes('file'), `${name} requires the file`);
      assert.deepEqual(Object.keys(body?.content ?? {}), ['multipart/form-data'], `${name} takes no JSON`);
    }
    const imports = doc.paths['/api/v1/self-reviews/import']?.post?.requestBody?.content['multipart/form-data']?.schema;
    assert.deepEqual(imports?.required, ['file', 'year', 'frameworkVersionId'], 'the import names its other fields');
  });

  test('GET /api/v1/markers: `due` is an optional flag with its accepted values', async () => {
    const doc = await fetchDocument();
    const due = doc.paths['/api/v1/markers']?.get?.parameters?.find((p) => p.in === 'query' && p.name === 'due');
    assert.ok(due, 'due is documented');
    assert.notEqual(due.required, true, 'due is optional');
    assert.deepEqual([...(due.schema?.enum ?? [])].sort(), ['0', '1', 'false', 'true']);
  });
});

describe('OpenAPI additions for a route (platform/openapi.ts)', () => {
  test('a rate-limited route documents 429; an upload without a body gets the multipart body with its file', () => {
    const limited = new Set<string>();
    const schema = describeRoute('/api/v1/things/:id', 'POST', { consumes: ['multipart/form-data'] }, { rateLimit: { max: 5 } }, limited);
    assert.deepEqual([...limited], ['post /api/v1/things/{id}']);
    assert.deepEqual((schema as unknown as { body: { required: string[] } }).body.required, ['file']);
    assert.deepEqual(errorStatuses('post', '/api/v1/things/{id}', true), ['400', '401', '403', '404', '409', '413', '429']);
    assert.deepEqual(errorStatuses('delete', '/api/v1/things/{id}', false), ['400', '401', '403', '404', '409'], 'no body, so never too large');
    assert.deepEqual(errorStatuses('get', '/api/v1/things', false), ['400', '401', '403']);
    const doc = finishDocument({ paths: { '/api/v1/things/{id}': { post: { responses: { '201': {} } as Record<string, unknown> } } } }, limited);
    assert.deepEqual(doc.paths['/api/v1/things/{id}']?.post?.responses['429'], { $ref: '#/components/responses/TooManyRequests' });
    const plain = describeRoute('/api/v1/things', 'GET', { querystring: {} }, undefined, limited);
    assert.deepEqual(plain, { querystring: {} }, 'other routes are left as they are');
  });
});
