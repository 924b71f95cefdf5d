import { z } from 'zod';
import { MARKER_SUBJECTS, REVIEW_DECISIONS } from '../../domain/markers.ts';
import { blankToUndefined, optionalFlag } from '../../platform/validation.ts';

const text = (max: number, what: string) => z.preprocess(blankToUndefined, z.string().trim().max(max, `${what} must be ${max} characters or fewer`).optional());
const required = (max: number, what: string, missing: string) =>
  z.preprocess(blankToUndefined, z.string({ error: missing }).trim().min(1, missing).max(max, `${what} must be ${max} characters or fewer`));
const day = (missing: string, what: string) =>
  z.preprocess(
    blankToUndefined,
    z.iso.date({ error: (i) => (i.input === undefined ? missing : `${what} must be a real date in the format YYYY-MM-DD, like 2026-03-31`) }),
  );

/** Incident references: an array (API) or text with one or more, separated by commas, spaces or new lines (form). */
const references = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[\s,;]+/).filter(Boolean) : v === undefined ? [] : v),
  z
    .array(z.string().trim().toUpperCase().min(1).max(40, 'An incident reference is at most 40 characters'), { error: 'Give incident references as a list' })
    .min(1, 'Enter the reference of at least one incident that justifies the marker (003 §2.2.3.9)')
    .max(50, 'Link at most 50 incidents'),
);

const checkbox = z.preprocess((v) => v === true || v === 'yes' || v === 'true' || v === '1' || (Array.isArray(v) && v.includes('yes')), z.boolean());

/**
 * A new warning marker (SPEC C3; `003 §2.2.3.9, §3.2.11`): the subject, the risk, what staff should do, the
 * incidents that justify it, and the review date. Shared by the form and `POST /api/v1/markers`. The review date
 * is checked against today (at most 12 months ahead) by the service.
 */
export const markerInput = z
  .object({
    subjectKind: z.enum(MARKER_SUBJECTS, { error: 'Select whether the marker is for an address or an individual' }),
    address: text(500, 'Address'),
    notPublicPlace: checkbox.default(false),
    personName: text(200, 'Name'),
    personDateOfBirth: z.preprocess(blankToUndefined, z.iso.date({ error: 'Date of birth must be a real date in the format YYYY-MM-DD' }).optional()),
    personDescription: text(1000, 'Description'),
    risk: required(2000, 'Risk', 'Describe the risk to staff'),
    handlingAdvice: required(2000, 'Advice', 'Enter the advice for staff: what to do before and during a visit or contact'),
    reviewDue: day('Enter the date the marker must be reviewed by', 'Review date'),
    incidents: references,
  })
  .superRefine((m, ctx) => {
    if (m.subjectKind === 'address') {
      if (!m.address) ctx.addIssue({ code: 'custom', path: ['address'], message: 'Enter the address' });
      // 003 §2.2.3.9: "not a public place or building"
      if (!m.notPublicPlace) ctx.addIssue({ code: 'custom', path: ['notPublicPlace'], message: 'Confirm the address is not a public place or building' });
    } else if (!m.personName && !m.personDescription)
      ctx.addIssue({ code: 'custom', path: ['personName'], message: 'Enter the person’s name, or a description if the name is not known' });
    if (m.personDateOfBirth && m.personDateOfBirth > new Date().toISOString().slice(0, 10))
      ctx.addIssue({ code: 'custom', path: ['personDateOfBirth'], message: 'Date of birth must be in the past' });
  });
export type MarkerInput = z.infer<typeof markerInput>;

/** A review decision: keep (with a new review date), vary (new risk or advice, new date), or remove. */
export const reviewInput = z
  .object({
    decision: z.enum(REVIEW_DECISIONS, { error: 'Select the review decision' }),
    reason: required(2000, 'Reason', 'Enter the reason for the decision'),
    reviewDue: z.preprocess(blankToUndefined, z.iso.date({ error: 'Review date must be a real date in the format YYYY-MM-DD, like 2026-03-31' }).optional()),
    risk: text(2000, 'Risk'),
    handlingAdvice: text(2000, 'Advice'),
  })
  .superRefine((r, ctx) => {
    if (r.decision !== 'removed' && !r.reviewDue) ctx.addIssue({ code: 'custom', path: ['reviewDue'], message: 'Enter the date of the next review' });
    if (r.decision === 'varied' && !r.risk && !r.handlingAdvice)
      ctx.addIssue({ code: 'custom', path: ['risk'], message: 'Enter the changed risk or advice, or choose to keep the marker as it is' });
  });
export type ReviewInput = z.infer<typeof reviewInput>;

/**
 * The security specialist's answer to a reporter's request that no marker is needed (003 §2.2.3.9: a marker is
 * placed "where appropriate … (i.e. not a public place or building)"), and why.
 */
export const requestDecisionInput = z.object({
  reason: required(2000, 'Reason', 'Enter why no warning marker is needed'),
});

export const markerRequestOut = z.object({ id: z.uuid(), reference: z.string(), categoryLabel: z.string(), reportedAt: z.date() });

export const markerListQuery = z.object({
  // Optional; `due=yes` or any other unknown value is a 400 naming the field, not a silent "no".
  due: optionalFlag('due'),
});

export const markerOut = z.object({
  id: z.uuid(),
  subjectKind: z.enum(MARKER_SUBJECTS),
  address: z.string().nullable(),
  personName: z.string().nullable(),
  personDateOfBirth: z.string().nullable(),
  personDescription: z.string().nullable(),
  risk: z.string(),
  handlingAdvice: z.string(),
  status: z.enum(['active', 'removed']),
  reviewDue: z.string().nullable(),
  due: z.boolean(),
  createdAt: z.date(),
});

export const markerDetailOut = markerOut.extend({
  incidents: z.array(z.object({ id: z.uuid(), reference: z.string() })),
  reviews: z.array(
    z.object({
      decision: z.enum(['created', ...REVIEW_DECISIONS]),
      reason: z.string(),
      reviewer: z.string().nullable(),
      decidedOn: z.string(),
      decidedAt: z.date(),
      previousReviewDue: z.string().nullable(),
      nextReviewDue: z.string().nullable(),
      changes: z.unknown(),
    }),
  ),
});
