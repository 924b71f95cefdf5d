import { z } from 'zod';
import { INCIDENT_CATEGORIES, INCIDENT_STATUSES, poundsToPence } from '../../domain/incidents.ts';
import { blankToUndefined } from '../../platform/validation.ts';

/**
 * One Zod schema per case-management form and endpoint (pages and /api/v1/cases share them). Field names are
 * unique across the case page, because all its forms share one error summary.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const SEVERITY_LABELS: Record<(typeof SEVERITIES)[number], string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

/** 002 std 4.2 and 003 §6: the range of sanctions, grouped by kind. */
export const SANCTIONS = {
  prosecution: { kind: 'criminal', label: 'Charge or prosecution' },
  caution: { kind: 'criminal', label: 'Caution' },
  conditional_caution: { kind: 'criminal', label: 'Conditional caution' },
  conditional_discharge: { kind: 'criminal', label: 'Conditional discharge' },
  fine: { kind: 'criminal', label: 'Fine' },
  community_order: { kind: 'criminal', label: 'Community order' },
  imprisonment: { kind: 'criminal', label: 'Imprisonment' },
  injunction: { kind: 'civil', label: 'Injunction' },
  verbal_warning: { kind: 'administrative', label: 'Verbal warning' },
  written_warning: { kind: 'administrative', label: 'Written warning' },
  acceptable_behaviour_agreement: { kind: 'administrative', label: 'Acceptable behaviour agreement' },
  exclusion_or_conditions: { kind: 'administrative', label: 'Exclusion or conditions of entry' },
  treatment_elsewhere: { kind: 'administrative', label: 'Treatment elsewhere or withholding treatment (where clinically safe)' },
  internal_disciplinary: { kind: 'disciplinary', label: 'Internal disciplinary action' },
} as const;
export type Sanction = keyof typeof SANCTIONS;
export const SANCTION_KEYS = Object.keys(SANCTIONS) as [Sanction, ...Sanction[]];
export const SANCTION_KIND_LABELS = { criminal: 'Criminal', civil: 'Civil', administrative: 'Administrative', disciplinary: 'Internal disciplinary' } as const;

export const LOG_KINDS = ['action', 'evidence', 'police', 'note'] as const;
export const LOG_KIND_LABELS: Record<(typeof LOG_KINDS)[number], string> = {
  action: 'Action taken',
  evidence: 'Evidence',
  police: 'Police liaison',
  note: 'Note',
};

/** 004: the routes by which losses are recovered. */
export const REDRESS_ROUTES = ['civil_recovery', 'compensation_order', 'neighbourhood_resolution'] as const;
export const REDRESS_ROUTE_LABELS: Record<(typeof REDRESS_ROUTES)[number], string> = {
  civil_recovery: 'Civil recovery',
  compensation_order: 'Compensation order',
  neighbourhood_resolution: 'Neighbourhood resolution',
};

const text = (message: string, max = 10_000) =>
  z.preprocess(blankToUndefined, z.string({ error: message }).trim().min(1, message).max(max, `Enter no more than ${max} characters`));
const optionalText = (max = 10_000) => z.preprocess(blankToUndefined, z.string().trim().max(max, `Enter no more than ${max} characters`).optional());
const dayString = (message: string) =>
  z
    .string({ error: message })
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${message}, for example 2026-11-24`)
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), `${message}, for example 2026-11-24`);
const day = (message: string) => z.preprocess(blankToUndefined, dayString(message));
/** Blank (as a form sends an empty field) or absent means not given. */
const optionalDay = (message: string) => z.preprocess(blankToUndefined, dayString(message).optional());
const yesNo = (message: string) => z.preprocess(blankToUndefined, z.enum(['yes', 'no'], { error: message }));
/** A number is pence (API); a string is pounds as typed on the form (`£40.50`). */
const pence = (message: string) =>
  z.preprocess((v) => {
    const b = blankToUndefined(v);
    return typeof b === 'string' ? (poundsToPence(b) ?? Number.NaN) : b;
  }, z.number({ error: message }).int(message).min(0, 'Enter an amount of £0 or more').max(1e12, message).optional());

export const statusChange = z.object({
  to: z.enum(INCIDENT_STATUSES, { error: 'Select the new status' }),
  statusReason: optionalText(),
  lessonsLearned: optionalText(),
});
export type StatusChange = z.infer<typeof statusChange>;

export const triage = z.object({
  category: z.enum(INCIDENT_CATEGORIES, { error: 'Select the type of incident' }),
  categoryReason: optionalText(),
  severity: z.enum(SEVERITIES, { error: 'Select the severity' }),
  managerId: z.uuid({ error: 'Select the manager who will investigate' }),
  dueOn: optionalDay('Enter the date the investigation is due'),
  /** Required when a re-triage changes the manager or the due date (the earlier assignment is kept). */
  assignmentReason: optionalText(2000),
});
export type Triage = z.infer<typeof triage>;

export const correction = z.object({
  narrative: text('Enter what happened'),
  correctionReason: text('Enter why the report is being corrected', 2000),
});

export const investigation = z.object({
  findings: optionalText(),
  contributingFactors: optionalText(),
  actionsTaken: optionalText(),
  welfareSupport: optionalText(),
  complete: z.preprocess(blankToUndefined, z.enum(['yes']).optional()),
});
export type Investigation = z.infer<typeof investigation>;

export const logEntry = z
  .object({
    kind: z.enum(LOG_KINDS, { error: 'Select the kind of entry' }),
    occurredOn: day('Enter the date of the entry'),
    entryText: text('Enter the details'),
    crimeReference: optionalText(100),
    officer: optionalText(200),
    cpsDecision: optionalText(2000),
  })
  .superRefine((v, ctx) => {
    if (v.kind === 'police' && !v.crimeReference && !v.officer)
      ctx.addIssue({ code: 'custom', path: ['crimeReference'], message: 'Enter the crime reference or the officer for a police liaison entry' });
  });
export type LogEntry = z.infer<typeof logEntry>;

export const sanction = z.object({
  sanction: z.enum(SANCTION_KEYS, { error: 'Select the sanction' }),
  decidedOn: day('Enter the date of the sanction'),
  outcome: text('Enter the outcome', 4000),
  publicise: yesNo('Select whether the sanction will be publicised'),
  publicityReason: text('Enter the reason for the publicity decision', 4000),
});
export type SanctionInput = z.infer<typeof sanction>;

export const noSanction = z.object({
  adviceFrom: text('Enter who gave the advice', 500),
  advice: text('Enter the advice received'),
  noSanctionReasons: text('Enter the reasons no sanction was applied'),
});
export type NoSanction = z.infer<typeof noSanction>;

export const redress = z.object({
  soughtPence: pence('Enter the amount sought in pounds, for example £40.00'),
  recoveredPence: pence('Enter the amount recovered in pounds, for example £40.00'),
  route: z.enum(REDRESS_ROUTES, { error: 'Select the route' }),
});
export type Redress = z.infer<typeof redress>;

export const support = z
  .object({
    supportOffered: optionalText(4000),
    supportOfferedOn: optionalDay('Enter the date support was offered'),
    supportTakenUp: z.preprocess(blankToUndefined, z.enum(['yes', 'no'], { error: 'Select whether the support was taken up' }).optional()),
    supportTakenUpOn: optionalDay('Enter the date the support was taken up'),
    acknowledgementSentOn: optionalDay('Enter the date the acknowledgement was sent'),
    feedbackOn: optionalDay('Enter the date the outcome was fed back'),
    feedbackSummary: optionalText(4000),
  })
  .superRefine((v, ctx) => {
    if (v.supportOffered && !v.supportOfferedOn) ctx.addIssue({ code: 'custom', path: ['supportOfferedOn'], message: 'Enter the date support was offered' });
    if (v.supportOfferedOn && !v.supportOffered) ctx.addIssue({ code: 'custom', path: ['supportOffered'], message: 'Enter the support offered' });
    // issue 4 item 10: support taken up, with its date
    if (v.supportTakenUp === 'yes' && !v.supportTakenUpOn)
      ctx.addIssue({ code: 'custom', path: ['supportTakenUpOn'], message: 'Enter the date the support was taken up' });
    if (v.feedbackSummary && !v.feedbackOn) ctx.addIssue({ code: 'custom', path: ['feedbackOn'], message: 'Enter the date the outcome was fed back' });
    if (v.feedbackOn && !v.feedbackSummary) ctx.addIssue({ code: 'custom', path: ['feedbackSummary'], message: 'Enter the outcome fed back to the reporter' });
  });
export type Support = z.infer<typeof support>;

export const attachmentDescription = z.object({ description: optionalText(500) });

export const caseOut = z.object({ id: z.string() }).passthrough();
export const okOut = z.object({ ok: z.literal(true) });

export const settings = z.object({
  investigationDays: z.coerce
    .number({ error: 'Enter the number of days, for example 14' })
    .int('Enter a whole number of days')
    .min(1, 'Enter at least 1 day')
    .max(365, 'Enter no more than 365 days'),
  escalationRepeatDays: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'Enter the number of days' })
      .int('Enter a whole number of days')
      .min(1, 'Enter at least 1 day')
      .max(365, 'Enter no more than 365 days')
      .optional(),
  ),
});
