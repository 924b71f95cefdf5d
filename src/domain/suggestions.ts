/**
 * Ratings Warden can suggest from its own data (SPEC C5: "Warden proposes a rating from its own data where it
 * can"). Pure rules, no I/O: each takes the figures a feature counted and returns a rating with its reason in
 * words, or no rating with the reason why not. The reviewer accepts a suggestion or overrides it; the suggestion
 * never rates a standard by itself. The thresholds are Warden's: 002 gives criteria in words, not numbers.
 */
import type { StandardRating } from './rag.ts';

export type SuggestedRating = {
  /** null: Warden has data but cannot honestly suggest a rating; `reason` says why. */
  rating: StandardRating | null;
  reason: string;
};

const fy = (year: number) => `${year}/${String((year + 1) % 100).padStart(2, '0')}`;
const pct = (n: number, d: number) => Math.round((100 * n) / d);

/** Share of manager's investigations due in the year that must be completed by their due date for green. */
export const TIMELY_GREEN = 0.9;
/** Below this share the arrangements are not working: red. */
export const TIMELY_AMBER = 0.5;

/**
 * Standard 4.1 (002 std 4.1: "security related incidents are investigated in a timely and proportionate manner
 * and these arrangements are monitored, reviewed and evaluated") from case data of the financial year:
 *
 * - no incidents reported and no investigations due: amber, 002's own amber criterion for 4.1 ("The organisation
 *   has arrangements in place … However, no incidents have been reported.");
 * - incidents reported but no manager's investigation fell due: no suggestion (nothing to measure timeliness by);
 * - otherwise the share of manager's investigations due in the year (due date passed) completed by their due
 *   date: at least 90% green (timeliness measured and achieved: an outcome, 002 §3.37), at least 50% amber
 *   (investigations happen but not reliably on time), below 50% red.
 */
export function suggestInvestigationTimeliness(s: { year: number; reported: number; due: number; onTime: number }): SuggestedRating {
  if (s.due === 0 && s.reported === 0)
    return {
      rating: 'amber',
      reason: `No security incidents were reported in ${fy(s.year)}, so no investigations were due. 002 std 4.1 rates arrangements with no incidents reported amber.`,
    };
  if (s.due === 0)
    return {
      rating: null,
      reason: `${s.reported} incident${s.reported === 1 ? ' was' : 's were'} reported in ${fy(s.year)} but no manager's investigation fell due in the year, so Warden has no timeliness to measure.`,
    };
  const share = s.onTime / s.due;
  const rating = share >= TIMELY_GREEN ? 'green' : share >= TIMELY_AMBER ? 'amber' : 'red';
  const rule =
    rating === 'green'
      ? `at least ${TIMELY_GREEN * 100}% on time suggests green`
      : rating === 'amber'
        ? `from ${TIMELY_AMBER * 100}% to under ${TIMELY_GREEN * 100}% on time suggests amber`
        : `under ${TIMELY_AMBER * 100}% on time suggests red`;
  return {
    rating,
    reason: `Of ${s.due} manager's investigation${s.due === 1 ? '' : 's'} due in ${fy(s.year)}, ${s.onTime} (${pct(s.onTime, s.due)}%) ${s.onTime === 1 ? 'was' : 'were'} completed by the due date; ${rule}.`,
  };
}

export type AnnualReportFacts = {
  status: 'draft' | 'signed';
  presentedOn: string | null;
  boardDecision: 'approved' | 'approved_with_amendments' | 'not_approved' | null;
  signedAt: Date | null;
};

/**
 * Standard 1.5 (002 std 1.5: the organisation reports annually to its executive board; "Review and sign off of
 * the annual report should not be delegated to any other committee below the executive board"; amber "Not
 * applicable to this standard") from the annual report recorded for the year: green when it was presented to the
 * Board, the Board approved it (with or without amendments) and the SMD signed it off; red otherwise.
 */
export function suggestAnnualReport(year: number, report: AnnualReportFacts | null): SuggestedRating {
  if (!report) return { rating: 'red', reason: `No annual report for ${fy(year)} is recorded in Warden (002 std 1.5).` };
  if (report.status !== 'signed')
    return { rating: 'red', reason: `The annual report for ${fy(year)} is recorded but has not been signed off by the Security Management Director.` };
  if (report.boardDecision === 'not_approved')
    return { rating: 'red', reason: `The annual report for ${fy(year)} was presented to the Board on ${report.presentedOn} and not approved.` };
  const how = report.boardDecision === 'approved_with_amendments' ? 'approved with amendments' : 'approved';
  return {
    rating: 'green',
    reason: `The annual report for ${fy(year)} was presented to the Board on ${report.presentedOn}, ${how}, and signed off by the Security Management Director.`,
  };
}
