import { z } from 'zod';
import { isMonth } from '../../domain/analytics.ts';
import { INCIDENT_CATEGORIES } from '../../domain/incidents.ts';
import { blankToUndefined } from '../../platform/validation.ts';
import { PROVIDER_TYPES } from '../commissioning/schema.ts';
import { ORGANISATION_TYPES } from '../organisations/schema.ts';

/** The longest period a dashboard shows: ten years of months. */
export const MAX_PERIOD_MONTHS = 120;
/** The monthly chart's default span: 24 months (issue 6 item 1). */
export const DEFAULT_PERIOD_MONTHS = 24;
/** Repeat locations: places with at least this many incidents in the period, most first, at most REPEAT_LIMIT. */
export const REPEAT_MIN = 2;
export const REPEAT_LIMIT = 10;

const month = (what: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine(isMonth, { error: `${what} must be a month in the format YYYY-MM, like 2026-03` })
      .refine((m) => m >= '2000-01' && m <= '2100-12', { error: `${what} must be between 2000 and 2100` })
      .optional(),
  );

/**
 * Dashboard filters (issue 6 item 1): the period as months (`from`, `to`, inclusive; default the 24 months to this
 * month), a category, and a site (`community` for incidents in the community). Shared by the page's GET form, its
 * exports and the API.
 */
export const dashboardFilters = z
  .object({
    from: month('Month from'),
    to: month('Month to'),
    category: z.preprocess(blankToUndefined, z.enum(INCIDENT_CATEGORIES, { error: 'Select a category from the list' }).optional()),
    site: z.preprocess(blankToUndefined, z.union([z.uuid(), z.literal('community')], { error: 'Select a site from the list' }).optional()),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], error: 'Month to must be the same as or after month from' });
export type DashboardFilters = z.infer<typeof dashboardFilters>;

const financialYear = (what = 'Financial year') =>
  z.preprocess(
    (v) => {
      if (typeof v !== 'string') return v ?? undefined;
      const t = v.trim();
      if (t === '') return undefined;
      // "2010/11" as published, or "2010"
      const m = /^(\d{4})(?:\/(\d{2}))?$/.exec(t);
      if (m && (!m[2] || Number(m[2]) === (Number(m[1]) + 1) % 100)) return Number(m[1]);
      return Number.NaN;
    },
    z
      .number({ error: `${what} must be a year like 2025, or 2025/26` })
      .int(`${what} must be a year like 2025, or 2025/26`)
      .min(2000, `${what} must be 2000 or later`)
      .max(2100, `${what} must be 2100 or earlier`),
  );

/** A financial year to benchmark (default: the last complete one). */
export const yearQuery = z.object({ year: financialYear().optional() });

export const nationalQuery = z.object({
  year: financialYear().optional(),
  type: z.preprocess(blankToUndefined, z.enum(PROVIDER_TYPES, { error: 'Select a type of organisation from the list' }).optional()),
});

const wholeNumber = (what: string, label: string, min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.replace(/,/g, '').trim())) : v),
    z
      .number({ error: `Enter ${what}` })
      .int(`${label} must be a whole number`)
      .min(min, `${label} must be ${min.toLocaleString('en-GB')} or more`)
      .max(max, `${label} must be ${max.toLocaleString('en-GB')} or fewer`),
  );

const percentNumber = (label: string) =>
  z
    .number({ error: `Enter ${label.toLowerCase()} as a percentage, like 14.2` })
    .min(0, `${label} must be between 0 and 100`)
    .max(100, `${label} must be between 0 and 100`)
    .refine((x) => Math.round(x * 10) === x * 10, { error: `${label} must have at most one decimal place, like 14.2` });
const toNumber = (v: unknown) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.replace(/%$/, '').trim())) : (v ?? undefined));
const percentage = (label: string) => z.preprocess(toNumber, percentNumber(label));
const optionalPercentage = (label: string) => z.preprocess(toNumber, percentNumber(label).optional());

/**
 * Staff-survey figures for a financial year (`000 §8.2`: perception as well as reality). The NHS Staff Survey is
 * run in the autumn: the 2025 survey belongs to 2025/26.
 */
export const surveyInput = z.object({
  financialYear: financialYear(),
  physicalViolencePublic: percentage('Staff experiencing physical violence from patients or the public'),
  abusePublic: optionalPercentage('Staff experiencing harassment, bullying or abuse from patients or the public'),
  violenceReported: optionalPercentage('Staff who reported the violence they experienced'),
  respondents: z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.replace(/,/g, '').trim())) : (v ?? undefined)),
    z
      .number({ error: 'Respondents must be a whole number' })
      .int('Respondents must be a whole number')
      .min(1, 'Respondents must be 1 or more')
      .max(2_000_000, 'Respondents must be 2,000,000 or fewer')
      .optional(),
  ),
});
export type SurveyInput = z.infer<typeof surveyInput>;
/** The same, for `PUT /api/v1/.../perception/:year` (the year is in the address). */
export const surveyBody = surveyInput.omit({ financialYear: true });

/**
 * One row of a published-statistics file (`004` peer table: organisation, physical assaults, those involving
 * medical factors, staff): header `code,financial_year,physical_assaults,medical_factors,staff`.
 */
export const statisticsRow = z
  .object({
    code: z.preprocess(
      blankToUndefined,
      z
        .string({ error: 'Enter the organisation code' })
        .trim()
        .toUpperCase()
        .regex(/^[A-Z0-9]{3,5}$/, 'Organisation code must be 3 to 5 letters or numbers, like RXX'),
    ),
    financial_year: financialYear(),
    physical_assaults: wholeNumber('the number of physical assaults', 'Physical assaults', 0, 1_000_000),
    medical_factors: wholeNumber('the number of assaults involving medical factors', 'Assaults involving medical factors', 0, 1_000_000),
    staff: wholeNumber('the number of staff', 'Staff', 1, 2_000_000),
  })
  .refine((r) => r.medical_factors <= r.physical_assaults, {
    path: ['medical_factors'],
    error: 'Assaults involving medical factors cannot be more than the physical assaults',
  });
export const STATISTICS_HEADER = 'code,financial_year,physical_assaults,medical_factors,staff';

/** One row of a staff-survey file: header `code,financial_year,physical_violence_public,abuse_public,violence_reported,respondents`. */
export const surveyRow = z.object({
  code: statisticsRow.shape.code,
  financial_year: financialYear(),
  physical_violence_public: surveyInput.shape.physicalViolencePublic,
  abuse_public: surveyInput.shape.abusePublic,
  violence_reported: surveyInput.shape.violenceReported,
  respondents: surveyInput.shape.respondents,
});
export const SURVEY_HEADER = 'code,financial_year,physical_violence_public,abuse_public,violence_reported,respondents';

export const importKind = z.enum(['statistics', 'survey'], { error: 'Select what the file holds' });
export const importBody = z.object({ csv: z.string().max(5_000_000, 'The file must be smaller than 5 MB') });

export const exportQuery = z.object({
  format: z.enum(['csv', 'xlsx'], { error: 'Choose CSV or XLSX' }),
  table: z.string().max(40),
});

// ---- JSON API response shapes ------------------------------------------------------------------------------------

const orgOut = z.object({ id: z.uuid(), code: z.string(), name: z.string(), type: z.enum(ORGANISATION_TYPES) });
const nullableNumber = z.number().nullable();

export const dashboardOut = z.object({
  organisation: orgOut,
  period: z.object({ from: z.string(), to: z.string(), category: z.enum(INCIDENT_CATEGORIES).nullable(), site: z.string().nullable() }),
  totals: z.object({
    incidents: z.number().int(),
    physicalAssaults: z.number().int(),
    physicalAssaultsMedical: z.number().int(),
    medicalFactorsShare: nullableNumber.describe('% of physical assaults involving medical factors (004)'),
    late: z.number().int(),
    lateShare: nullableNumber,
    police: z.number().int(),
    policeShare: nullableNumber,
    injured: z.number().int(),
    closed: z.number().int(),
    averageDaysToClose: nullableNumber,
    open: z.number().int(),
    overdue: z.number().int(),
    sanctions: z.number().int(),
    casesSanctioned: z.number().int(),
    redressCases: z.number().int(),
    redressSoughtPence: z.number().int(),
    redressRecoveredPence: z.number().int(),
    redressRecoveredCases: z.number().int(),
  }),
  months: z.array(z.object({ month: z.string(), total: z.number().int(), byCategory: z.record(z.string(), z.number().int()) })),
  categories: z.array(
    z.object({
      category: z.enum(INCIDENT_CATEGORIES),
      label: z.string(),
      incidents: z.number().int(),
      last12: z.number().int(),
      previous12: z.number().int(),
      change: nullableNumber,
    }),
  ),
  yearOnYear: z.object({ to: z.string(), last12: z.number().int(), previous12: z.number().int(), change: nullableNumber }),
  sites: z.array(z.object({ siteId: z.string().nullable(), name: z.string(), incidents: z.number().int() })),
  departments: z.array(z.object({ departmentId: z.string().nullable(), name: z.string(), incidents: z.number().int() })),
  repeatLocations: z.array(z.object({ location: z.string(), incidents: z.number().int(), months: z.number().int() })),
  siteOptions: z.array(z.object({ id: z.uuid(), name: z.string() })),
  years: z.array(
    z.object({
      financialYear: z.number().int(),
      label: z.string(),
      partial: z.boolean(),
      incidents: z.number().int(),
      physicalAssaults: z.number().int(),
      staff: z.number().int().nullable(),
      ratePer1000: nullableNumber,
      assaultRatePer1000: nullableNumber,
      change: nullableNumber,
    }),
  ),
});

const benchmarkRowOut = z.object({
  organisation: orgOut,
  financialYear: z.number().int(),
  source: z.enum(['published', 'warden']),
  physicalAssaults: z.number().int(),
  physicalAssaultsMedical: z.number().int(),
  medicalFactorsShare: nullableNumber,
  staff: z.number().int().nullable(),
  ratePer1000: nullableNumber,
  rank: z.number().int().nullable(),
  percentile: nullableNumber,
});
export type BenchmarkRowOut = z.infer<typeof benchmarkRowOut>;

export const benchmarkOut = z.object({
  organisation: orgOut,
  financialYear: z.number().int(),
  label: z.string(),
  years: z.array(z.number().int()),
  own: benchmarkRowOut.nullable(),
  peers: z.object({ type: z.enum(PROVIDER_TYPES), ranked: z.number().int(), median: nullableNumber, rows: z.array(benchmarkRowOut) }),
  national: z.object({ ranked: z.number().int(), median: nullableNumber, rank: z.number().int().nullable(), percentile: nullableNumber }),
  history: z.array(
    z.object({ financialYear: z.number().int(), label: z.string(), rate: nullableNumber, peerMedian: nullableNumber, nationalMedian: nullableNumber }),
  ),
});

export const nationalOut = z.object({
  financialYear: z.number().int(),
  label: z.string(),
  years: z.array(z.number().int()),
  median: nullableNumber,
  ranked: z.number().int(),
  types: z.array(
    z.object({ type: z.enum(PROVIDER_TYPES), label: z.string(), organisations: z.number().int(), ranked: z.number().int(), median: nullableNumber }),
  ),
  rows: z.array(benchmarkRowOut.extend({ nationalRank: z.number().int().nullable(), nationalPercentile: nullableNumber })),
});

export const perceptionOut = z.object({
  organisation: orgOut,
  years: z.array(
    z.object({
      financialYear: z.number().int(),
      label: z.string(),
      physicalViolencePublic: nullableNumber,
      abusePublic: nullableNumber,
      violenceReported: nullableNumber,
      respondents: z.number().int().nullable(),
      surveyPer1000: nullableNumber.describe('the survey percentage as staff per 1,000'),
      reportedRatePer1000: nullableNumber.describe('reported physical assaults per 1,000 staff'),
      source: z.enum(['published', 'warden']).nullable(),
    }),
  ),
});

export const surveyOut = z.object({
  financialYear: z.number().int(),
  physicalViolencePublic: z.number(),
  abusePublic: nullableNumber,
  violenceReported: nullableNumber,
  respondents: z.number().int().nullable(),
});

export const publishedOut = z.array(
  z.object({
    code: z.string(),
    name: z.string(),
    financialYear: z.number().int(),
    physicalAssaults: z.number().int(),
    physicalAssaultsMedical: z.number().int(),
    staff: z.number().int(),
    ratePer1000: nullableNumber,
    source: z.string().nullable(),
  }),
);

export const importOut = z.object({ rows: z.number().int(), organisations: z.number().int(), years: z.array(z.number().int()) });
