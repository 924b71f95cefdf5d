import { z } from 'zod';
import { blankToUndefined } from '../../platform/validation.ts';

const year = z.coerce
  .number('Enter a year such as 2026')
  .int('Enter a year such as 2026')
  .min(2000, 'Enter a year such as 2026')
  .max(2100, 'Enter a year such as 2026');

/** Starting a self review: the year (first year of the financial year) and the framework version to use. */
export const startInput = z.object({
  year,
  frameworkVersionId: z.uuid('Choose a framework'),
});

/** Rating one standard: red / amber / green / not applicable (or none, to clear it), with supporting comments. */
export const rateInput = z.object({
  rating: z.preprocess(blankToUndefined, z.enum(['red', 'amber', 'green', 'not_applicable'], 'Choose a rating').optional()),
  comments: z.preprocess((v) => v ?? '', z.string().max(10_000, 'Comments must be 10,000 characters or fewer')),
});

const kind = z.enum(['output', 'outcome'], 'Choose whether this is an output or an outcome');
const optionalLabel = z.preprocess(blankToUndefined, z.string().trim().max(500, 'Keep the description to 500 characters').optional());

/**
 * One piece of evidence for a standard: an output or an outcome (002 §3.45–3.46), described, and optionally linked
 * to one thing: a web page or Warden address, a case (by its reference), or an annual report recorded in Warden.
 */
export const evidenceInput = z
  .object({
    kind,
    label: optionalLabel,
    url: z.preprocess(
      blankToUndefined,
      z
        .string()
        .trim()
        .regex(/^(https?:\/\/|\/)\S+$/, 'Enter a link starting https:// or a Warden address starting /')
        .optional(),
    ),
    caseReference: z.preprocess(
      (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toUpperCase()) : v),
      z
        .string()
        .regex(/^[A-Z0-9]{2,10}-\d{4}-[A-Z0-9]{1,12}$/, 'Enter a case reference such as RXX-2026-000123')
        .optional(),
    ),
    annualReportId: z.preprocess(blankToUndefined, z.uuid('Choose an annual report').optional()),
  })
  .superRefine((v, ctx) => {
    const targets = [v.url, v.caseReference, v.annualReportId].filter((x) => x !== undefined).length;
    if (targets > 1) ctx.addIssue({ code: 'custom', path: ['url'], message: 'Link the evidence to one thing only: a link, a case or an annual report' });
    if (!v.label && targets === 0) ctx.addIssue({ code: 'custom', path: ['label'], message: 'Describe the evidence' });
  });

/** An uploaded document as evidence: the file comes separately (multipart field `file`). */
export const documentInput = z.object({
  kind,
  label: optionalLabel,
});

/** Accepting the suggestion of one suggester for a standard. */
export const acceptSuggestionInput = z.object({
  suggester: z.string('Choose a suggestion').regex(/^[a-z0-9.-]{1,100}$/, 'Choose a suggestion'),
});

/** Reopening a signed review needs a reason, kept with the version it reopens. */
export const reopenInput = z.object({
  reason: z.preprocess(
    blankToUndefined,
    z
      .string('Enter why the self review is being reopened')
      .trim()
      .min(1, 'Enter why the self review is being reopened')
      .max(2000, 'Keep the reason to 2,000 characters'),
  ),
});

/** Importing a previous year's review from the XLSX layout Warden exports. */
export const importInput = z.object({
  year,
  frameworkVersionId: z.uuid('Choose the standards the review was made against'),
});

export const exportQuery = z.object({ format: z.enum(['xlsx', 'pdf'], 'Choose xlsx or pdf').default('xlsx') });

export const oversightQuery = z.object({ year: z.preprocess(blankToUndefined, year.optional()) });

// ---- API responses (documented in OpenAPI; the services return these shapes) ----
const rating = z.enum(['red', 'amber', 'green', 'not_applicable']).nullable();
export const evidenceOut = z.object({
  id: z.string(),
  kind: z.enum(['output', 'outcome']),
  label: z.string(),
  url: z.string().nullable(),
  record: z.object({ type: z.enum(['incident', 'annual_report']), id: z.string() }).nullable(),
  document: z.object({ fileName: z.string(), contentType: z.string(), sizeBytes: z.number() }).nullable(),
  href: z.string().nullable(),
});
const rollUpOut = z.object({
  rating: z.enum(['red', 'amber', 'green']).nullable(),
  rated: z.number(),
  toRate: z.number(),
  notApplicable: z.number(),
  reasons: z.array(z.string()),
});
const flagOut = z.object({ code: z.string(), standard: z.string().nullable(), keyArea: z.string(), message: z.string() });
export const reviewListOut = z.array(
  z.object({
    id: z.string(),
    year: z.number(),
    status: z.enum(['draft', 'signed', 'submitted']),
    version: z.number(),
    framework: z.string(),
    frameworkVersion: z.string(),
    flags: z.number(),
  }),
);
export const reviewOut = z.looseObject({
  id: z.string(),
  year: z.number(),
  status: z.enum(['draft', 'signed', 'submitted']),
  version: z.number(),
  framework: z.looseObject({ id: z.string(), name: z.string(), version: z.string() }),
  standards: z.array(
    z.looseObject({ number: z.string(), keyArea: z.string(), headline: z.string(), rating, comments: z.string(), evidence: z.array(evidenceOut) }),
  ),
  rollUp: z.object({ keyAreas: z.record(z.string(), rollUpOut), overall: rollUpOut }),
  flags: z.array(flagOut),
  progress: z.object({ rated: z.number(), toRate: z.number(), total: z.number() }),
});
export const suggestionsOut = z.array(
  z.object({ standard: z.string(), suggester: z.string(), label: z.string(), rating, reason: z.string(), accepted: z.boolean() }),
);
export const versionOut = z.looseObject({ version: z.number(), signedAt: z.string(), signedBy: z.looseObject({ name: z.string() }), integrity: z.boolean() });
export const compareOut = z.looseObject({ previousYear: z.number(), comparable: z.boolean(), standards: z.array(z.looseObject({ number: z.string() })) });
export const oversightOut = z.looseObject({
  year: z.number().nullable(),
  years: z.array(z.number()),
  groups: z.array(z.looseObject({})),
  notSubmitted: z.array(z.looseObject({})),
});
export const frameworkListOut = z.array(
  z.object({
    id: z.string(),
    frameworkId: z.string(),
    version: z.string(),
    name: z.string(),
    standards: z.number(),
    reviews: z.number(),
    loadedAt: z.string(),
  }),
);
