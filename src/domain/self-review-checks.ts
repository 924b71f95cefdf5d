/**
 * The checks an assessor would make of a self review (002 §3.16, §3.19: "The red, amber or green rating provided in
 * the SRT is not supported by comments made in the SRT"; "significant gaps … across key areas of activity"). Pure;
 * the review page and the list of flagged reviews show what these return.
 *
 * Evidence is classed as an output or an outcome (002 §3.45–3.46): outputs show a task was done (policies,
 * presentations, terms of reference); outcomes show the risk was addressed (staff survey results, case closure
 * reports, a reduction in breaches). Amber needs outputs; green needs outcomes (002 §3.37–3.38).
 */
import { isWeighted, type RollUp, type StandardRating } from './rag.ts';

export type EvidenceKind = 'output' | 'outcome';

export type ReviewedStandard = {
  number: string;
  keyArea: string;
  weight: number;
  rating: StandardRating | null;
  comments: string;
  evidence: readonly { kind: EvidenceKind }[];
};

export type CheckCode = 'green_without_outcomes' | 'amber_without_outputs' | 'rating_without_comments' | 'weighted_red' | 'key_area_red';

export type Flag = {
  code: CheckCode;
  /** The standard flagged, or null for a flag on a key area. */
  standard: string | null;
  keyArea: string;
  message: string;
};

/** The flags for a review: per standard in the order given, then per key area. */
export function assessorChecks(
  standards: readonly ReviewedStandard[],
  keyAreas: readonly { id: string; name: string }[],
  areaRollUps: Record<string, RollUp>,
): Flag[] {
  const flags: Flag[] = [];
  for (const s of standards) {
    const flag = (code: CheckCode, message: string) => flags.push({ code, standard: s.number, keyArea: s.keyArea, message });
    const has = (kind: EvidenceKind) => s.evidence.some((e) => e.kind === kind);
    if (s.rating === 'green' && !has('outcome'))
      flag('green_without_outcomes', `Standard ${s.number} is rated green but no evidence of evaluation or outcomes is recorded (002 §3.37–3.38, §3.46).`);
    if (s.rating === 'amber' && !has('output') && !has('outcome'))
      flag('amber_without_outputs', `Standard ${s.number} is rated amber but no evidence of outputs is recorded (002 §3.37, §3.45).`);
    if ((s.rating === 'green' || s.rating === 'amber') && s.comments.trim() === '')
      flag('rating_without_comments', `Standard ${s.number} is rated ${s.rating} with no comments to support the rating (002 §3.16, §3.19).`);
    if (s.rating === 'red' && isWeighted(s))
      flag('weighted_red', `Standard ${s.number} is a weighted standard rated red: its key area and the overall rating cannot be green (002 §3.49).`);
  }
  for (const area of keyAreas)
    if (areaRollUps[area.id]?.rating === 'red')
      flags.push({
        code: 'key_area_red',
        standard: null,
        keyArea: area.id,
        message: `${area.name} is rated red: a significant gap across a key area (002 §3.19).`,
      });
  return flags;
}
