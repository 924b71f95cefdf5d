/**
 * What every operation of the JSON API shares, added to the OpenAPI document in one place (issue 4 item 15: the
 * API is "documented in the OpenAPI file"): how to authenticate, the problem-details errors each operation can
 * give, and the multipart/form-data bodies of uploads (Fastify's `consumes` alone is not enough for OpenAPI 3).
 */

type JsonSchema = Record<string, unknown>;
type Operation = { security?: unknown; responses?: Record<string, unknown>; parameters?: { in: string }[]; [key: string]: unknown };
type Document = { components?: Record<string, Record<string, unknown>>; paths?: Record<string, Record<string, Operation>> };

const WRITES = new Set(['post', 'put', 'patch', 'delete']);

/** The authentication schemes the API accepts (app.ts): a bearer token, or the browser session with the CSRF header on writes. */
export function securitySchemes(sessionCookie: string) {
  return {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'wdn_…',
      description: 'An API token (`Authorization: Bearer wdn_…`), made on the API tokens page. A bad or revoked token is a 401; no CSRF header is needed.',
    },
    session: {
      type: 'apiKey',
      in: 'cookie',
      name: sessionCookie,
      description: 'The signed-in browser session. Writes need the `x-csrf-token` header as well.',
    },
    csrf: {
      type: 'apiKey',
      in: 'header',
      name: 'x-csrf-token',
      description:
        'With the session cookie, every POST, PUT, PATCH and DELETE needs the CSRF token of the page (its `<meta name="csrf-token">`) in this header, and the CSRF cookie that came with it.',
    },
  } as const;
}

/** RFC 9457 problem details, as http.ts `problem()` builds them. */
const PROBLEM: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. Bad input lists one message per field under `errors`; nothing was written.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri', examples: ['https://warden.invalid/problems/validation'] },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The path of the request.' },
    requestId: { type: 'string', description: 'The reference to quote to support; also sent as the `x-request-id` header.' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', description: 'The field, e.g. `reviewDue` or `victims.0.name`.' }, message: { type: 'string' } },
      },
    },
  },
};

/** Each error status the API gives, with the component name that documents it. */
export const ERROR_RESPONSES = {
  '400': ['BadRequest', 'Invalid input: the query, path or body (field errors under `errors`). Nothing was written.'],
  '401': ['Unauthenticated', 'No session or token, or a bad, expired or revoked token.'],
  '403': ['Forbidden', 'The role does not allow this, the record is outside your organisation, or (session only) the CSRF header is missing.'],
  '404': ['NotFound', 'There is no such resource, or it is not one you may see.'],
  '409': ['Conflict', 'The resource’s state does not allow this (for example, a closed case) or it changed meanwhile.'],
  '413': ['TooLarge', 'The body is larger than Warden accepts (1 MB for JSON). Nothing was written.'],
  '429': ['TooManyRequests', 'Too many requests: wait a few minutes and try again.'],
} as const;

export type ErrorStatus = keyof typeof ERROR_RESPONSES;

/**
 * The errors an operation can give: all can refuse input or access; only paths with ids can miss; only writes can
 * conflict; only writes with a body can be too large.
 */
export function errorStatuses(method: string, path: string, rateLimited: boolean): ErrorStatus[] {
  const out: ErrorStatus[] = ['400', '401', '403'];
  if (path.includes('{')) out.push('404');
  if (WRITES.has(method)) out.push('409');
  if (method !== 'delete' && WRITES.has(method)) out.push('413');
  if (rateLimited) out.push('429');
  return out;
}

/** Extra form fields of the upload routes, besides the `file` itself; a route not listed takes the file alone. */
const UPLOAD_FIELDS: Record<string, { properties: Record<string, JsonSchema>; required?: string[] }> = {
  '/api/v1/cases/:id/attachments': { properties: { description: { type: 'string', maxLength: 500, description: 'What the file shows.' } } },
  '/api/v1/self-reviews/import': {
    properties: {
      year: { type: 'string', pattern: '^[0-9]{4}$', description: 'The year of the review, e.g. 2025.' },
      frameworkVersionId: { type: 'string', format: 'uuid', description: 'The standards the review was made against.' },
    },
    required: ['year', 'frameworkVersionId'],
  },
  '/api/v1/self-reviews/:id/standards/:number/documents': {
    properties: {
      kind: { type: 'string', enum: ['output', 'outcome'] },
      label: { type: 'string', maxLength: 500, description: 'What the document is.' },
    },
    required: ['kind'],
  },
};

/** The multipart/form-data body of an upload route: the `file` and the route's other fields. */
export function multipartBody(url: string): JsonSchema {
  const extra = UPLOAD_FIELDS[url] ?? { properties: {} };
  return {
    type: 'object',
    required: ['file', ...(extra.required ?? [])],
    properties: {
      file: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description: 'The file to upload.' },
      ...extra.properties,
    },
  };
}

/**
 * The swagger `transform` step for one route, after the Zod schemas became JSON Schema: an upload route
 * (`consumes: multipart/form-data`) without a body gets its multipart body; a rate-limited route is noted so
 * that its 429 is documented.
 */
export function describeRoute<S extends object>(url: string, method: string | string[], schema: S, config: unknown, rateLimited: Set<string>): S {
  const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  if ((config as { rateLimit?: unknown } | undefined)?.rateLimit) for (const m of [method].flat()) rateLimited.add(`${m.toLowerCase()} ${path}`);
  const { consumes, body } = schema as { consumes?: string[]; body?: unknown };
  if (consumes?.includes('multipart/form-data') && !body) return { ...schema, body: multipartBody(url) };
  return schema;
}

/**
 * The swagger `transformObject` step: every operation gets the security it needs (bearer, or session — with the
 * CSRF header on writes) and the problem-details responses it can give, referring to shared components.
 */
export function finishDocument<D extends object>(document: D, rateLimited: Set<string>): D {
  const doc = document as Document;
  const components = doc.components ?? {};
  components.schemas = { ...components.schemas, Problem: PROBLEM };
  components.responses = {
    ...components.responses,
    ...Object.fromEntries(
      Object.values(ERROR_RESPONSES).map(([name, description]) => [
        name,
        { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      ]),
    ),
  };
  doc.components = components;
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      op.security = WRITES.has(method) ? [{ bearer: [] }, { session: [], csrf: [] }] : [{ bearer: [] }, { session: [] }];
      const responses = op.responses ?? {};
      for (const status of errorStatuses(method, path, rateLimited.has(`${method} ${path}`)))
        responses[status] ??= { $ref: `#/components/responses/${ERROR_RESPONSES[status][0]}` };
      op.responses = responses;
    }
  }
  return document;
}
