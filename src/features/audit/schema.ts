import { z } from 'zod';
import { parseReference } from '../../domain/incidents.ts';
import { blankToUndefined, fromNotAfterTo, optionalDay, pageNumber } from '../../platform/validation.ts';

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export const AUDIT_OUTCOME_LABELS: Record<(typeof AUDIT_OUTCOMES)[number], string> = {
  success: 'Succeeded',
  denied: 'Refused',
  failure: 'Failed',
};

/** Results per page of the audit trail. */
export const AUDIT_PAGE_SIZE = 50;

const optionalText = (max: number, message: string) => z.preprocess(blankToUndefined, z.string().trim().max(max, message).optional());
const day = optionalDay;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The object an event is about: its id (a UUID, as events record it), or a case reference such as
 * `RXX-2026-000123` (issue 4 §14: "who has read case X's personal data?"). Normalised: ids in lower case,
 * references in upper case.
 */
const objectFilter = z.preprocess(
  (v) => (typeof v === 'string' ? blankToUndefined(v.trim()) : v),
  z
    .string()
    .max(100, 'Enter a case reference like RXX-2026-000123, or the id of an object')
    .refine((v) => UUID.test(v) || parseReference(v) !== null, 'Enter a case reference like RXX-2026-000123, or the id of an object')
    .transform((v) => (UUID.test(v) ? v.toLowerCase() : v.toUpperCase()))
    .optional(),
);

/**
 * The audit trail search, shared by the page's GET form and `/api/v1/audit-events`. Every field is optional;
 * dates are UK calendar days (inclusive). `org` is honoured only for deployment-wide administrators. `object` finds
 * the events about one object, and for a case (by id or reference) every event about that case.
 */
export const auditSearch = z
  .object({
    action: optionalText(100, 'Action must be 100 characters or fewer'),
    actor: optionalText(320, 'E-mail address must be 320 characters or fewer'),
    from: day('Date from'),
    to: day('Date to'),
    object: objectFilter,
    outcome: z.preprocess(blankToUndefined, z.enum(AUDIT_OUTCOMES, { error: 'Select an outcome from the list' }).optional()),
    org: z.preprocess(blankToUndefined, z.uuid({ error: 'Select an organisation from the list' }).optional()),
    page: pageNumber,
  })
  .refine(...fromNotAfterTo);
export type AuditSearch = z.infer<typeof auditSearch>;

export const auditEventOut = z.object({
  seq: z.number().int().nullable(), // null for a moment after writing, until sealed into the chain
  at: z.string(),
  actor: z.object({ id: z.uuid(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
  organisation: z.object({ id: z.uuid(), name: z.string().nullable() }).nullable(),
  action: z.string(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  requestId: z.string().nullable(),
  detail: z.unknown(),
});
export type AuditEventOut = z.infer<typeof auditEventOut>;

export const auditPageOut = z.object({
  page: z.number().int(),
  pageSize: z.number().int(),
  hasNext: z.boolean(),
  events: z.array(auditEventOut),
});
