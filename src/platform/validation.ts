import type { z } from 'zod';
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
