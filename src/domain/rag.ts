/**
 * The red/amber/green roll-up of a self review: from each standard's rating and weight to a rating for each key area
 * of activity and an overall rating for the organisation (002 §3.11, §3.38). Pure; no I/O.
 *
 * THE RULE (documented for users in docs/self-review-roll-up.md):
 *
 * 1. Standards rated "not applicable" and standards not yet rated are left out of the calculation; the roll-up says
 *    how many of each there are, and is `null` when no standard in the group has a red, amber or green rating.
 * 2. Each rating scores red 0, amber 1, green 2 (002 §3.37: no or insufficient action; outputs without evaluated
 *    outcomes; outcomes present).
 * 3. The group's score is the mean of its standards' scores weighted by their weights (002 §3.48: weights reflect a
 *    standard's importance). Green if the weighted mean is at least 1.5, amber if at least 0.5, red below that.
 * 4. A weighted standard (weight above 1) rated red, "no activity" in 002 §3.38, keeps the group from being green:
 *    the rating is at most amber (002 §3.49: "If an organisation does not conduct activity against a weighted
 *    standard, the overall RAG rating, either for the relevant key area of activity or for the self review as a
 *    whole, is affected").
 * 5. The overall rating applies steps 1–4 to all standards together, and in addition is at most amber when any key
 *    area is red (significant gaps across a key area, 002 §3.19).
 *
 * Consequences, checked by property tests in rag.test.ts: all green gives green, all red gives red; raising any
 * standard's rating never lowers any roll-up; a red weighted standard means neither its area nor the overall rating
 * is green; adding a not-applicable standard changes nothing.
 */

export const RATINGS = ['red', 'amber', 'green'] as const;
export type Rating = (typeof RATINGS)[number];
/** A standard's rating in a review: red, amber, green, or not applicable to this organisation. */
export type StandardRating = Rating | 'not_applicable';

export type RatedStandard = { number: string; keyArea: string; weight: number; rating: StandardRating | null };

export type RollUp = {
  rating: Rating | null;
  /** Standards rated red, amber or green. */
  rated: number;
  /** Standards with no rating yet. */
  toRate: number;
  notApplicable: number;
  /** Why the rating is capped below what the scores alone give, in words for the page. */
  reasons: string[];
};

export type ReviewRollUp = { keyAreas: Record<string, RollUp>; overall: RollUp };

const SCORE: Record<Rating, number> = { red: 0, amber: 1, green: 2 };

/** True when a standard counts as weighted in the sense of 002 §3.48–3.49. */
export const isWeighted = (s: { weight: number }) => s.weight > 1;

/** Steps 1–4 of the rule for one group of standards. */
export function rollUp(standards: readonly RatedStandard[]): RollUp {
  const rated = standards.filter((s): s is RatedStandard & { rating: Rating } => s.rating !== null && s.rating !== 'not_applicable');
  const base = {
    rated: rated.length,
    toRate: standards.filter((s) => s.rating === null).length,
    notApplicable: standards.filter((s) => s.rating === 'not_applicable').length,
  };
  if (rated.length === 0) return { ...base, rating: null, reasons: [] };
  const total = rated.reduce((n, s) => n + s.weight, 0);
  const points = rated.reduce((n, s) => n + s.weight * SCORE[s.rating], 0);
  // Compared without division: mean >= 1.5 ⇔ 2·points >= 3·total; mean >= 0.5 ⇔ 2·points >= total.
  let rating: Rating = 2 * points >= 3 * total ? 'green' : 2 * points >= total ? 'amber' : 'red';
  const reasons: string[] = [];
  const redWeighted = rated.filter((s) => isWeighted(s) && s.rating === 'red');
  if (redWeighted.length > 0 && rating === 'green') {
    rating = 'amber';
    reasons.push(
      `Weighted standard${redWeighted.length > 1 ? 's' : ''} ${redWeighted.map((s) => s.number).join(', ')} rated red, so this cannot be green (002 §3.49).`,
    );
  }
  return { ...base, rating, reasons };
}

/** The whole rule: a roll-up per key area (in the order given) and overall. */
export function rollUpReview(keyAreas: readonly { id: string; name: string }[], standards: readonly RatedStandard[]): ReviewRollUp {
  const areas: Record<string, RollUp> = {};
  for (const area of keyAreas) areas[area.id] = rollUp(standards.filter((s) => s.keyArea === area.id));
  const overall = rollUp(standards);
  const redAreas = keyAreas.filter((a) => areas[a.id]?.rating === 'red');
  if (overall.rating === 'green' && redAreas.length > 0) {
    overall.rating = 'amber';
    overall.reasons.push(
      `Key area${redAreas.length > 1 ? 's' : ''} ${redAreas.map((a) => a.name).join(', ')} rated red, so the overall rating cannot be green (002 §3.19).`,
    );
  }
  return { keyAreas: areas, overall };
}
