import { z } from 'zod';
import { ROLES, type Role } from '../../platform/access/roles.ts';
import { blankToUndefined } from '../../platform/validation.ts';

/**
 * Roles held in one organisation. `national_assessor` is deployment-wide only: it means nothing inside a single
 * organisation (the policy grants it only on any organisation).
 */
export const ORG_ROLES = ROLES.filter((r) => r !== 'national_assessor') as Exclude<Role, 'national_assessor'>[];
/** Roles a system administrator may grant across the whole deployment (stored with no organisation). */
export const DEPLOYMENT_ROLES = ['administrator', 'national_assessor'] as const satisfies Role[];
export const DEPLOYMENT_ROLE_LABELS: Record<(typeof DEPLOYMENT_ROLES)[number], string> = {
  administrator: 'System administrator (every organisation)',
  national_assessor: 'National quality assessor (every organisation)',
};

/** The value a form uses for "deployment-wide" where it would otherwise name an organisation. */
export const DEPLOYMENT = 'deployment';

// A blank choice is no choice (the service asks a system administrator to make one); "deployment" is null.
const orgRef = z.preprocess((v) => (v === DEPLOYMENT ? null : blankToUndefined(v)), z.uuid({ error: 'Select an organisation' }).nullable());
const role = z.enum(ROLES, { error: 'Select a role' });

export const userInput = z.object({
  name: z.preprocess(
    blankToUndefined,
    z.string({ error: 'Enter the person’s full name' }).trim().min(1, 'Enter the person’s full name').max(200, 'Name must be 200 characters or fewer'),
  ),
  email: z.preprocess(
    blankToUndefined,
    z
      .email({ error: 'Enter an e-mail address in the correct format, like name@example.nhs.uk' })
      .trim()
      .toLowerCase()
      .max(320, 'E-mail address must be 320 characters or fewer'),
  ),
  /** The organisation the roles are held in; null (or "deployment") for deployment-wide roles. */
  orgId: orgRef.optional(),
  roles: z.preprocess(
    (v) => (typeof v === 'string' ? [v] : (v ?? [])),
    z.array(role, { error: 'Select at least one role' }).min(1, 'Select at least one role'),
  ),
});
export type UserInput = z.infer<typeof userInput>;

export const roleInput = z.object({
  orgId: orgRef.optional(),
  role,
});
export type RoleInput = z.infer<typeof roleInput>;

export const listQuery = z.object({
  orgId: z.preprocess(blankToUndefined, z.uuid({ error: 'Select an organisation' }).optional()),
  q: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(100_000).default(1)),
});
export type ListQuery = z.infer<typeof listQuery>;

export const PAGE_SIZE = 50;

// JSON API response shapes.
export const roleOut = z.object({ orgId: z.uuid().nullable(), orgName: z.string().nullable(), role: z.enum(ROLES) });
export const userSummaryOut = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  isActive: z.boolean(),
  hasPassword: z.boolean(),
  roles: z.array(roleOut),
});
export const userListOut = z.object({ users: z.array(userSummaryOut), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
export const userOut = userSummaryOut.extend({
  createdAt: z.iso.datetime(),
  /** True when the e-mail address already had an account, which was given the roles instead. */
  existing: z.boolean().optional(),
});
export const sessionOut = z.object({
  id: z.string(),
  orgId: z.uuid().nullable(),
  orgName: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
