/**
 * Warning ("history") markers: a flag on an address or an individual that tells staff about a risk before they
 * go there or meet the person (`003 §2.2.1`: staff take "history marks" into account in their dynamic risk
 * assessment). Rules from the Security Management Procedure and SPEC C3:
 * - `003 §2.2.3.9, §3.2.11`: a marker is placed after an incident, "where appropriate for the location (i.e. not a
 *   public place or building)" — so every marker is justified by at least one incident, and an address marker
 *   is confirmed not to be a public place;
 * - SPEC C3: every marker has a mandatory review date, and a decision trail. Warden caps the review date at
 *   twelve months after the decision, so no marker lives unreviewed for more than a year (a marker restricts how
 *   a person is treated, so it must stay necessary and proportionate).
 * - Markers are never deleted: removal is a review decision with its reason.
 */
import { longDate } from './dates.ts';
import { londonParts } from './incidents.ts';

export const MARKER_SUBJECTS = ['address', 'individual'] as const;
export type MarkerSubject = (typeof MARKER_SUBJECTS)[number];
export const MARKER_SUBJECT_LABELS: Record<MarkerSubject, string> = { address: 'An address', individual: 'An individual' };

export const REVIEW_DECISIONS = ['kept', 'varied', 'removed'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
export const REVIEW_DECISION_LABELS: Record<ReviewDecision, string> = {
  kept: 'Keep the marker as it is',
  varied: 'Keep the marker, with changes',
  removed: 'Remove the marker',
};

export const MARKER_STATUSES = ['active', 'removed'] as const;
export type MarkerStatus = (typeof MARKER_STATUSES)[number];

/** The longest a marker may go without review, in months. */
export const MAX_REVIEW_MONTHS = 12;

/** Today's date on a clock in England, as `YYYY-MM-DD`. */
export function londonToday(now: Date = new Date()): string {
  const p = londonParts(now);
  return isoDay(p.year, p.month, p.day);
}

const isoDay = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** `day` plus `months` calendar months; the 29th–31st of a month without that day falls back to its last day. */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return isoDay(year, month, Math.min(d, last));
}

/** The latest review date a decision taken on `today` may set. */
export function latestReviewDate(today: string): string {
  return addMonths(today, MAX_REVIEW_MONTHS);
}

/** Why a review date is not allowed, or null when it is: after `today` and no more than twelve months ahead. */
export function reviewDateProblem(reviewDate: string, today: string): string | null {
  if (reviewDate <= today) return 'Review date must be in the future';
  const latest = latestReviewDate(today);
  if (reviewDate > latest) return `Review date must be no more than ${MAX_REVIEW_MONTHS} months ahead, on or before ${longDate(latest)}`;
  return null;
}

/** A marker is due for review on or after its review date. */
export function isDueForReview(reviewDue: string, today: string): boolean {
  return reviewDue <= today;
}
