import { z } from 'zod';
import { blankToUndefined } from '../../platform/validation.ts';

/** Starting a self review: the year (first year of the financial year) and the framework version to use. */
export const startInput = z.object({
  year: z.coerce
    .number('Enter a year such as 2026')
    .int('Enter a year such as 2026')
    .min(2000, 'Enter a year such as 2026')
    .max(2100, 'Enter a year such as 2026'),
  frameworkVersionId: z.uuid('Choose a framework'),
});

/** Rating one standard: red / amber / green / not applicable (or none, to clear it), with supporting comments. */
export const rateInput = z.object({
  rating: z.preprocess(blankToUndefined, z.enum(['red', 'amber', 'green', 'not_applicable'], 'Choose a rating').optional()),
  comments: z.preprocess((v) => v ?? '', z.string().max(10_000, 'Comments must be 10,000 characters or fewer')),
});

/** One piece of evidence for a standard: an output or an outcome (002 §3.45–3.46), a label and an optional link. */
export const evidenceInput = z.object({
  kind: z.enum(['output', 'outcome'], 'Choose whether this is an output or an outcome'),
  label: z.string().trim().min(1, 'Describe the evidence').max(500, 'Keep the description to 500 characters'),
  url: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^(https?:\/\/|\/)\S+$/, 'Enter a link starting https:// or a Warden address starting /')
      .optional(),
  ),
});
