import { z } from 'zod';
import { blankToUndefined } from '../../platform/validation.ts';

export const ORGANISATION_TYPES = ['acute', 'ambulance', 'mental_health', 'community', 'commissioner', 'national_body'] as const;

export const ORGANISATION_TYPE_LABELS: Record<(typeof ORGANISATION_TYPES)[number], string> = {
  acute: 'Acute trust',
  ambulance: 'Ambulance trust',
  mental_health: 'Mental health trust',
  community: 'Community trust',
  commissioner: 'Commissioner',
  national_body: 'National body',
};

const text = (what: string, max: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string({ error: `Enter ${what}` })
      .trim()
      .max(max, `${what[0]?.toUpperCase()}${what.slice(1)} must be ${max} characters or fewer`),
  );

/** ODS-style organisation codes are 3–5 letters and digits (e.g. RXX, RX1, 5QT, Y1234). */
export const organisationInput = z.object({
  name: text('the organisation name', 200),
  code: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'Enter the organisation code' })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9]{3,5}$/, 'Organisation code must be 3 to 5 letters or numbers, like RXX or 5QT'),
  ),
  type: z.enum(ORGANISATION_TYPES, { error: 'Select the type of organisation' }),
});
export type OrganisationInput = z.infer<typeof organisationInput>;

const checkbox = z.preprocess((v) => v === true || v === 'true' || v === 'yes' || v === 'on' || (Array.isArray(v) && v.includes('yes')), z.boolean());

export const siteInput = z.object({
  name: text('the site name', 200),
  address: text('the site address', 500),
  postcode: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/, 'Enter a real postcode, like LS1 4AP')
      .optional(),
  ),
  isLarge: checkbox.default(false),
});
export type SiteInput = z.infer<typeof siteInput>;

export const departmentInput = z.object({
  name: text('the department or service name', 200),
  siteId: z.preprocess(blankToUndefined, z.uuid({ error: 'Select a site from the list' }).optional()),
});
export type DepartmentInput = z.infer<typeof departmentInput>;

const wholeNumber = (what: string, label: string, min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.replace(/,/g, '').trim())) : v),
    z
      .number({ error: `Enter ${what}` })
      .int(`${label} must be a whole number`)
      .min(min, `${label} must be ${min} or more`)
      .max(max, `${label} must be ${max.toLocaleString('en-GB')} or fewer`),
  );

/** Staff headcount for one NHS financial year (April–March), the denominator of rates per 1,000 staff (`004`). */
export const headcountInput = z.object({
  financialYear: wholeNumber('the first year of the financial year, like 2026', 'Financial year', 2000, 2100),
  headcount: wholeNumber('the staff headcount', 'Staff headcount', 0, 2_000_000),
});
export type HeadcountInput = z.infer<typeof headcountInput>;

/** 2026 → "2026/27", the way NHS annual reports write financial years. */
export function financialYearLabel(startYear: number): string {
  return `${startYear}/${String((startYear + 1) % 100).padStart(2, '0')}`;
}

/** The financial year (April–March) containing `date`. */
export function financialYearOf(date: Date): number {
  return date.getUTCMonth() >= 3 ? date.getUTCFullYear() : date.getUTCFullYear() - 1;
}

// JSON API response shapes, used for validation of responses and for the OpenAPI document.
export const organisationOut = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  type: z.enum(ORGANISATION_TYPES),
});
export const siteOut = z.object({
  id: z.uuid(),
  name: z.string(),
  address: z.string(),
  postcode: z.string().nullable(),
  isLarge: z.boolean(),
});
export const departmentOut = z.object({ id: z.uuid(), name: z.string(), siteId: z.uuid().nullable() });
export const headcountOut = z.object({ financialYear: z.number().int(), label: z.string(), headcount: z.number().int() });
export const organisationDetailOut = organisationOut.extend({
  sites: z.array(siteOut),
  departments: z.array(departmentOut),
  headcounts: z.array(headcountOut),
});
