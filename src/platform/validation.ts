import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid } from './errors.ts';

/**
 * Parses input with a Zod schema; on failure throws a validation AppError whose field messages are the schema's
 * own, so pages, API and CLI report the same words.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const seen = new Set<string>();
  const fields = [];
  for (const issue of result.error.issues) {
    const field = issue.path.join('.') || 'form';
    if (seen.has(field)) continue;
    seen.add(field);
    fields.push({ field, message: issue.message });
  }
  throw invalid(fields);
}

/** Form fields arrive as strings; an empty one means "not given". */
export function blankToUndefined(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

/** An optional calendar day from a GET filter form or query string (YYYY-MM-DD). */
export const optionalDay = (what: string) =>
  z.preprocess(blankToUndefined, z.iso.date({ error: `${what} must be a real date in the format YYYY-MM-DD, like 2026-03-31` }).optional());

/** The page number of a paginated list (1 when not given). */
export const pageNumber = z.preprocess(
  blankToUndefined,
  z.coerce
    .number({ error: 'Page must be a whole number' })
    .int('Page must be a whole number')
    .min(1, 'Page must be 1 or more')
    .max(100_000, 'Page must be 100,000 or less')
    .default(1),
);

/** For filters with `from` and `to` days: `to` may not come before `from`. */
export const fromNotAfterTo: [(s: { from?: string; to?: string }) => boolean, { path: string[]; error: string }] = [
  (s) => !s.from || !s.to || s.from <= s.to,
  { path: ['to'], error: 'Date to must be the same as or after date from' },
];

/** The values a yes/no query parameter may take; anything else is refused rather than read as "no". */
const FLAG_VALUES = ['true', 'false', '1', '0'] as const;

/**
 * An optional yes/no query parameter (`?due=1`, `?overdue=true`): absent or blank means false; `true`/`1` and
 * `false`/`0` are read as such; any other value (`yes`, a repeated parameter) is a 400 naming the field rather
 * than a silent "no". Also accepts a boolean, so a query a route schema has already parsed parses again in the
 * service. In the OpenAPI document it is an optional string with those four values.
 */
export const optionalFlag = (field: string) =>
  z
    .preprocess(
      (v) => (typeof v === 'boolean' ? String(v) : blankToUndefined(v)),
      z.enum(FLAG_VALUES, { error: `${field} must be true or false (or 1 or 0)` }).optional(),
    )
    .transform((v) => v === 'true' || v === '1');

/**
 * Where a request value holds U+0000 (NUL), which PostgreSQL refuses in text and jsonb: the path of the first
 * string or key that does ('' for the value itself), or undefined. Objects and arrays are walked (a cycle once);
 * an uploaded file part is checked by its file name only (its content is bytes, stored as such).
 */
export function nulField(value: unknown, path = '', seen = new Set<object>()): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = nulField(v, at(String(i)), seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const part = value as { type?: unknown; filename?: unknown };
  if (part.type === 'file' && typeof part.filename === 'string') return part.filename.includes('\u0000') ? path : undefined;
  // Bytes, dates and streams hold no text to store; parsed forms and queries are plain or prototype-less objects.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || typeof (value as { pipe?: unknown }).pipe === 'function')
    return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return at(k.replaceAll('\u0000', '\\u0000'));
    const found = nulField(v, at(k), seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Page routes that check every text field for NUL themselves and show their form again with an error summary in
 * the form's own words (better than the general error page); the general guard leaves them to it. A route may
 * also say so with `config: { ownNulCheck: true }`.
 */
const FIELD_LEVEL_NUL_CHECK: ReadonlySet<string> = new Set([
  'POST /incidents/new', // the report form (incidents/schema.ts `nulFields`, 003 §3.2)
]);

/**
 * A hook for every route, run before any handler: a NUL character anywhere in the query string, path or body
 * is refused with a 400 naming the field, so nothing reaches the database (which would fail with a 500 part-way
 * through). Feature schemas may check their own fields too; this is the net for everything else.
 */
export async function refuseNul(req: FastifyRequest): Promise<void> {
  const route = `${req.method} ${req.routeOptions.url}`;
  if (FIELD_LEVEL_NUL_CHECK.has(route) || (req.routeOptions.config as { ownNulCheck?: boolean } | undefined)?.ownNulCheck) return;
  for (const [where, value] of [
    ['query', req.query],
    ['path', req.params],
    ['body', req.body],
  ] as const) {
    const field = nulField(value);
    if (field === undefined) continue;
    const name = field || where;
    throw invalid([{ field: name, message: `${name} must not contain a NUL character (U+0000): remove it and try again` }]);
  }
}
