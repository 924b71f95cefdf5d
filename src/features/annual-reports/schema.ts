import { z } from 'zod';
import { blankToUndefined } from '../../platform/validation.ts';

/**
 * The annual security management report to the Board (002 std 1.5; SPEC C11 will generate its content): one
 * record per organisation per financial year, with when it was presented to the Board, the Board's decision, the
 * Security Management Director's sign-off and, optionally, the report itself as a document. Pages, API and CLI
 * share these schemas.
 */

export const BOARD_DECISIONS = ['approved', 'approved_with_amendments', 'not_approved'] as const;
export type BoardDecision = (typeof BOARD_DECISIONS)[number];
export const BOARD_DECISION_LABELS: Record<BoardDecision, string> = {
  approved: 'Approved',
  approved_with_amendments: 'Approved with amendments',
  not_approved: 'Not approved',
};

const year = z.coerce
  .number({ error: 'Enter a year such as 2026' })
  .int('Enter a year such as 2026')
  .min(2000, 'Enter a year such as 2026')
  .max(2100, 'Enter a year such as 2026');

const day = (message: string) =>
  z
    .string({ error: message })
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${message}, for example 2027-05-20`)
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), `${message}, for example 2027-05-20`);

/** Starting the record for a financial year (its first year: 2026 for 2026/27). */
export const annualReportCreate = z.object({ year });

/** The report's details; each may be filled in as the year goes on. */
export const annualReportDetails = z.object({
  presentedOn: z.preprocess(blankToUndefined, day('Enter the date the report was presented to the Board').optional()),
  boardDecision: z.preprocess(blankToUndefined, z.enum(BOARD_DECISIONS, 'Choose the Board’s decision').optional()),
  boardMinute: z.preprocess(blankToUndefined, z.string().trim().max(500, 'Keep the minute reference to 500 characters').optional()),
  summary: z.preprocess((v) => v ?? '', z.string().trim().max(10_000, 'Keep the summary to 10,000 characters')),
});

/** Reopening a signed report (the SMD only): why. */
export const annualReportReopen = z.object({
  reason: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'Enter why the signed report is being reopened' })
      .trim()
      .min(1, 'Enter why the signed report is being reopened')
      .max(2000, 'Keep the reason to 2,000 characters'),
  ),
});

export const annualReportOut = z.object({
  id: z.string(),
  year: z.number(),
  yearLabel: z.string(),
  presentedOn: z.string().nullable(),
  boardDecision: z.enum(BOARD_DECISIONS).nullable(),
  boardMinute: z.string().nullable(),
  summary: z.string(),
  document: z.object({ fileName: z.string(), contentType: z.string(), sizeBytes: z.number() }).nullable(),
  status: z.enum(['draft', 'signed']),
  signedBy: z.string().nullable(),
  signedAt: z.string().nullable(),
});
export type AnnualReportOut = z.infer<typeof annualReportOut>;

/** One report with each earlier sign-off that was reopened: when, by whom and why, and what was signed then. */
export const annualReportDetailOut = annualReportOut.extend({
  reopenings: z.array(
    z.object({
      reopenedAt: z.string(),
      reopenedBy: z.string().nullable(),
      reason: z.string(),
      signedAt: z.string(),
      signedBy: z.string().nullable(),
      presentedOn: z.string().nullable(),
      boardDecision: z.enum(BOARD_DECISIONS).nullable(),
      documentName: z.string().nullable(),
    }),
  ),
});

const organisationRef = z.object({ id: z.string(), code: z.string(), name: z.string() });
/** A commissioner's view: each provider it commissions, with its signed reports (002 std 1.6, 1.7). */
export const annualReportOversightOut = z.array(z.object({ organisation: organisationRef, reports: z.array(annualReportOut) }));
export const annualReportOverseenOut = z.object({ organisation: organisationRef, report: annualReportOut });
