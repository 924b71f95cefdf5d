import { z } from 'zod';
import { INCIDENT_CATEGORIES, INCIDENT_STATUSES } from '../../domain/incidents.ts';
import { blankToUndefined, fromNotAfterTo, optionalDay, pageNumber } from '../../platform/validation.ts';

/** Cases per page of the list (issue 4 §13). */
export const CASES_PAGE_SIZE = 50;
/**
 * Exports hold at most this many cases. An export matching more is refused with a message to narrow the filters,
 * never cut short (the service factory's `exportLimit` overrides it, e.g. in tests).
 */
export const EXPORT_LIMIT = 50_000;
const day = optionalDay;

/** The values a yes-filter (`overdue`, `investigating`) accepts: `1`/`true` (only those) and `0`/`false` (any); absent means any. */
export const FLAG_VALUES = ['1', '0', 'true', 'false'] as const;
// A plain optional enum (no preprocess), so the OpenAPI document says what is accepted and that it is optional.
const flag = (error: string) =>
  z
    .enum(FLAG_VALUES, { error })
    .optional()
    .transform((v) => v === '1' || v === 'true');

/**
 * The case list filter fields, shared by the page's GET form, the exports and `/api/v1/cases`. Every field is
 * optional. `from` and `to` bound the date the incident occurred (UK calendar days, inclusive). `q` searches the
 * narratives, so the service refuses it to roles that may not see them (issue 4 item 14).
 */
const filterFields = {
  q: z.preprocess(blankToUndefined, z.string().trim().max(200, 'Search words must be 200 characters or fewer').optional()),
  status: z.preprocess(blankToUndefined, z.enum(INCIDENT_STATUSES, { error: 'Select a status from the list' }).optional()),
  category: z.preprocess(blankToUndefined, z.enum(INCIDENT_CATEGORIES, { error: 'Select a category from the list' }).optional()),
  site: z.preprocess(blankToUndefined, z.uuid({ error: 'Select a site from the list' }).optional()),
  overdue: flag('Overdue must be 1 (only overdue cases) or 0 (any), or left out'),
  /** Open cases whose manager's investigation is assigned and not completed: the managers' work to do. */
  investigating: flag('Investigation not completed must be 1 (only those cases) or 0 (any), or left out'),
  from: day('Date from'),
  to: day('Date to'),
  sort: z.preprocess(blankToUndefined, z.enum(['newest', 'oldest'], { error: 'Select an order from the list' }).default('newest')),
};

/** The case list query: the filters and the page number. */
export const caseFilters = z.object({ ...filterFields, page: pageNumber }).refine(...fromNotAfterTo);
export type CaseFilters = z.infer<typeof caseFilters>;

export const exportFormat = z.enum(['csv', 'xlsx'], { error: 'Download format must be CSV or XLSX' });

/** The export query (`/cases/export`, `/api/v1/cases/export`): the filters, no page, and the file format. */
export const caseExportQuery = z.object({ ...filterFields, format: exportFormat.default('csv') }).refine(...fromNotAfterTo);
export type CaseExportQuery = z.infer<typeof caseExportQuery>;

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
      /** The place detail on a site, or the address in the community. */
      place: z.string().nullable(),
      injuries: z.string().nullable(),
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
