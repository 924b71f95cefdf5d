import { z } from 'zod';
import { blankToUndefined } from '../../platform/validation.ts';
import { ORGANISATION_TYPES } from '../organisations/schema.ts';

/** Organisation types that provide services and can be commissioned. */
export const PROVIDER_TYPES = ['acute', 'ambulance', 'mental_health', 'community'] as const;

/**
 * Whether a commissioning link covers a financial year: from its first year (`from_year`) on, or always when it
 * has none. A commissioner sees a provider's submitted reviews and signed reports only for the years covered.
 */
export const coversYear = (link: { from_year: number | null } | undefined, year: number) => link !== undefined && (link.from_year ?? 0) <= year;

export const providerLinkInput = z.object({
  providerOrgId: z.preprocess(blankToUndefined, z.uuid({ error: 'Select the provider organisation' })),
  fromYear: z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.trim())) : (v ?? undefined)),
    z
      .number({ error: 'Enter the first year of the financial year, like 2026' })
      .int('Financial year must be a whole number, like 2026')
      .min(2000, 'Financial year must be 2000 or later')
      .max(2100, 'Financial year must be 2100 or earlier')
      .optional(),
  ),
});
export type ProviderLinkInput = z.infer<typeof providerLinkInput>;

export const providerOut = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  type: z.enum(ORGANISATION_TYPES),
  fromYear: z.number().int().nullable(),
  fromYearLabel: z.string().nullable(),
  linkedAt: z.iso.datetime(),
});
