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
