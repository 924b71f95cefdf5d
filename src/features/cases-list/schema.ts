import { z } from 'zod';
import { INCIDENT_CATEGORIES, INCIDENT_STATUSES } from '../../domain/incidents.ts';
import { blankToUndefined, fromNotAfterTo, optionalDay, pageNumber } from '../../platform/validation.ts';

/** Cases per page of the list (issue 4 §13). */
export const CASES_PAGE_SIZE = 50;
/** Exports hold at most this many cases: past it, narrow the filters. */
export const EXPORT_LIMIT = 50_000;
/**
 * A case still open this many days after it was reported is overdue when no investigation due date has been set
 * yet (`002 std 4.1`: timely). Once case management sets one, the due date decides.
 */
export const OVERDUE_AFTER_DAYS = 30;

const day = optionalDay;

/**
 * The case list filters, shared by the page's GET form, the export and `/api/v1/cases`. Every field is optional.
 * `from` and `to` bound the date the incident occurred (UK calendar days, inclusive).
 */
export const caseFilters = z
  .object({
    q: z.preprocess(blankToUndefined, z.string().trim().max(200, 'Search words must be 200 characters or fewer').optional()),
    status: z.preprocess(blankToUndefined, z.enum(INCIDENT_STATUSES, { error: 'Select a status from the list' }).optional()),
    category: z.preprocess(blankToUndefined, z.enum(INCIDENT_CATEGORIES, { error: 'Select a category from the list' }).optional()),
    site: z.preprocess(blankToUndefined, z.uuid({ error: 'Select a site from the list' }).optional()),
    overdue: z.preprocess(
      (v) => (v === undefined || v === '' ? false : v === '1' || v === 'true' || v === true ? true : v === '0' || v === 'false' || v === false ? false : v),
      z.boolean({ error: 'Overdue must be yes or no' }),
    ),
    from: day('Date from'),
    to: day('Date to'),
    sort: z.preprocess(blankToUndefined, z.enum(['newest', 'oldest'], { error: 'Select an order from the list' }).default('newest')),
    page: pageNumber,
  })
  .refine(...fromNotAfterTo);
export type CaseFilters = z.infer<typeof caseFilters>;

export const exportFormat = z.enum(['csv', 'xlsx'], { error: 'Choose CSV or XLSX' });

const personOut = z.object({ type: z.string(), name: z.string().nullable(), dateOfBirth: z.string().nullable() });

export const caseRowOut = z.object({
  id: z.uuid(),
  reference: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  statusLabel: z.string(),
  category: z.enum(INCIDENT_CATEGORIES),
  categoryLabel: z.string(),
  occurredAt: z.date(),
  reportedAt: z.date(),
  site: z.string().nullable(),
  department: z.string().nullable(),
  late: z.boolean(),
  overdue: z.boolean(),
  investigationDueOn: z.string().nullable(),
  medicalFactors: z.string().nullable(),
  policeAttended: z.boolean(),
  /** Present only for callers who may see personal data (src/domain/personal-data.ts). */
  personal: z
    .object({
      affected: z.array(personOut),
      assailants: z.array(personOut),
      crimeReference: z.string().nullable(),
      narrative: z.string().nullable(),
    })
    .optional(),
});

export const casePageOut = z.object({
  page: z.number().int(),
  pageSize: z.number().int(),
  total: z.number().int(),
  hasNext: z.boolean(),
  personalData: z.boolean(),
  cases: z.array(caseRowOut),
});
