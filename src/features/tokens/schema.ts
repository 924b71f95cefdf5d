import { z } from 'zod';
import { ROLES } from '../../platform/access/roles.ts';
import { blankToUndefined } from '../../platform/validation.ts';

/** `wdn_` and 43 base64url characters (32 random bytes): recognisable in logs and by secret scanners. */
export const TOKEN_PREFIX = 'wdn_';
export const TOKEN_PATTERN = /^wdn_[A-Za-z0-9_-]{43}$/;

/** How long a token lasts. Personal tokens always expire (within a year); service tokens may not. */
export const EXPIRY_CHOICES = ['30', '90', '365', 'never'] as const;
export const EXPIRY_LABELS: Record<(typeof EXPIRY_CHOICES)[number], string> = {
  '30': '30 days',
  '90': '90 days',
  '365': '1 year',
  never: 'Does not expire (service tokens only)',
};

const name = z.preprocess(
  blankToUndefined,
  z
    .string({ error: 'Enter a name that says what the token is for' })
    .trim()
    .min(1, 'Enter a name that says what the token is for')
    .max(100, 'Name must be 100 characters or fewer'),
);
const role = z.enum(ROLES, { error: 'Select the role the token acts with' });
const expiresIn = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : blankToUndefined(v)),
  z.enum(EXPIRY_CHOICES, { error: 'Select when the token expires' }),
);

export const personalTokenInput = z.object({ name, role, expiresIn });
export type PersonalTokenInput = z.infer<typeof personalTokenInput>;

export const serviceTokenInput = z.object({
  name,
  orgId: z.preprocess(blankToUndefined, z.uuid({ error: 'Select an organisation' })),
  role,
  expiresIn,
});
export type ServiceTokenInput = z.infer<typeof serviceTokenInput>;

export const tokenOut = z.object({
  id: z.uuid(),
  kind: z.enum(['personal', 'service']),
  name: z.string(),
  orgId: z.uuid(),
  orgName: z.string(),
  role: z.enum(ROLES),
  userId: z.uuid().nullable(),
  userName: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
/** Returned once, at creation: the only time the token itself is ever shown. */
export const createdTokenOut = tokenOut.extend({ token: z.string() });
