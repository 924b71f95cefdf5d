/**
 * The demo's records beyond incidents, so that every role finds its work in progress: warning markers placed
 * after the demo's incidents, with their review trail (SPEC C3; 003 §2.2.3.9, §3.2.11), a few of them due for
 * review; reporters' requests for a marker still to be answered; this year's self review, begun (002 §3.9–3.11);
 * and last year's annual report to the Board, presented and signed off (002 std 1.5), which the commissioner can
 * read. Made by a seeded generator from the demo's incidents and `now`; no I/O: seed.ts writes the rows.
 */
import type { Insertable } from 'kysely';
import type { DB } from '../db/schema.ts';
import { financialYearOf } from '../domain/analytics.ts';
import { isClosed } from '../domain/incidents.ts';
import { addMonths, londonToday } from '../domain/markers.ts';
import { reviewSnapshot, reviewState } from '../features/self-review/service.ts';
import type { Framework } from '../standards/schema.ts';
import { type DemoIncidents, type DemoProvider, uuid } from './incidents.ts';
import { random } from './rates.ts';

export type DemoMarkers = {
  markers: Insertable<DB['warning_markers']>[];
  links: Insertable<DB['warning_marker_incidents']>[];
  reviews: Insertable<DB['warning_marker_reviews']>[];
  /** Open cases whose reporter asked for a marker that nobody has answered yet: incident id and the reason. */
  requests: { incidentId: string; reason: string }[];
};

const DAY = 86_400_000;
/** `YYYY-MM-DD` plus `days` calendar days. */
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T12:00:00Z`) + days * DAY).toISOString().slice(0, 10);
/** Noon on a day: when a decision taken that day is recorded. */
const noon = (day: string) => new Date(`${day}T12:00:00Z`);

/**
 * The people the demo's incidents describe as the one responsible (src/demo/incidents.ts), each given a name,
 * an age and, for a marker on them, the risk and the advice: a marker's person is the incident's.
 */
const PEOPLE: Record<string, { name: string; age: number; risk: string; advice: string }> = {
  'Adult male, about 30': {
    name: 'Michael Dunn',
    age: 30,
    risk: 'Has punched a member of staff, and threatened others who refused his requests.',
    advice: 'Two staff for any one-to-one contact. Keep a clear exit, and call for help early.',
  },
  'Adult female, about 50': {
    name: 'Karen Lowe',
    age: 50,
    risk: 'Grabbed and twisted a staff member’s wrist; has been verbally aggressive since.',
    advice: 'Explain what you are about to do before you do it, with a second member of staff present.',
  },
  'Young man in a grey hoodie': {
    name: 'Dean Walsh',
    age: 22,
    risk: 'Becomes abusive, and then physical, when he is told no.',
    advice: 'Agree arrangements with him in advance; the nurse in charge to speak to him if they must change.',
  },
  'Older man, unsteady on his feet': {
    name: 'Steven Hale',
    age: 78,
    risk: 'Has struck out at staff when approached from behind or woken suddenly.',
    advice: 'Approach from the front and say who you are. Do not wake him suddenly; call for help if he becomes agitated.',
  },
};
/** Addresses: the risk met on a home visit and the advice for the next, told of the same visit. */
const HOMES = [
  {
    risk: 'A relative at this address threatened a visiting community nurse with a knife.',
    advice: 'Visit in pairs only. Phone the base before going in and when you leave; do not enter if the relative is present.',
  },
  {
    risk: 'A dog at the address bit a visiting member of staff; the occupant has been abusive when asked to restrain it.',
    advice: 'Phone ahead and ask for the dog to be shut away before arrival; do not enter if it is loose.',
  },
  {
    risk: 'Staff visiting were verbally abused and followed to their car.',
    advice: 'Visit in daylight and in pairs; park where the car can be seen from the door.',
  },
];
const KEPT = [
  'Reviewed with the ward manager: the behaviour has continued, and the marker is still needed.',
  'Reviewed: a further incident in the year; the marker stays as it is.',
  'Reviewed with the community team: visits still go ahead in pairs, and the risk remains.',
];
const REQUEST_REASONS = [
  'He said he would be waiting for me after my next shift. Colleagues going to the house should know.',
  'The same visitor has been aggressive twice this month; staff on the ward should be warned before visiting time.',
];

/**
 * Markers for each provider with a security specialist: a few for the mental-health trust (about one for every
 * hundred reports of assault), fewer elsewhere. Each is placed a couple of days after a reported assault it is
 * linked to, and reviewed (kept) whenever its twelve months ran out, so live markers are due in the coming year;
 * one per organisation was not reviewed in time and is due for review now, and one at the busiest trust was
 * removed at its review. An address marker only goes on a numbered address, never a public place (003 §2.2.3.9).
 * Separately, one or two recent open cases carry their reporter's request for a marker, not yet answered.
 */
export function demoMarkers(providers: DemoProvider[], made: DemoIncidents, now: Date, seed = 2026): DemoMarkers {
  const rng = random(seed + 3);
  const today = londonToday(now);
  const out: DemoMarkers = { markers: [], links: [], reviews: [], requests: [] };
  type Incident = DemoIncidents['incidents'][number];
  const assault = (i: Incident) => i.category === 'physical_assault' || i.category === 'non_physical_assault';
  const reportedAt = (i: Incident) => new Date(i.reported_at as Date).getTime();
  // the person responsible, as each incident describes them
  const assailants = new Map(made.people.filter((p) => p.involvement === 'assailant').map((p) => [p.incident_id, p.description ?? null]));
  for (const org of providers) {
    if (!org.handler) continue;
    const handler = org.handler;
    const assaults = made.incidents.filter((i) => i.org_id === org.id && assault(i) && i.status !== 'reported').sort((a, b) => reportedAt(a) - reportedAt(b));
    if (assaults.length === 0) continue;
    const placedOn = (i: Incident) => addDays(londonToday(new Date(reportedAt(i))), 2);
    // One placed just over a year ago whose review was missed: due for review today.
    const lapsed = assaults.find((i) => {
      const due = addMonths(placedOn(i), 12);
      return due < today && due >= addDays(today, -25);
    });
    const older = assaults.filter((i) => i !== lapsed && placedOn(i) < addDays(today, -30));
    const count = Math.max(2, Math.min(6, Math.round(assaults.length / 100)));
    // one marker per person or home: the incident's person responsible, or the numbered address it happened at
    const describe = (i: Incident) => assailants.get(i.id as string) ?? null;
    const home = (i: Incident) => (i.community_address && /^\d/.test(i.community_address) ? i.community_address : null);
    const subject = (i: Incident) => home(i) ?? describe(i);
    const chosen = new Set<Incident>();
    const used = new Set(lapsed ? [subject(lapsed)] : []);
    const take = (i: Incident) => {
      if (used.has(subject(i)) || !(home(i) || PEOPLE[describe(i) ?? ''])) return;
      used.add(subject(i));
      chosen.add(i);
    };
    // at least one home visit's address, where staff were assaulted at a numbered address
    const visited = older.filter((i) => home(i));
    if (visited.length && count > 1) take(rng.pick(visited));
    for (let tries = 0; tries < 200 && chosen.size < Math.min(count - (lapsed ? 1 : 0), older.length); tries++) take(rng.pick(older));
    const picks = older.filter((i) => chosen.has(i)); // oldest first, as `assaults`
    // the busiest trust's oldest marker was removed at its first review
    const removedOne = count >= 5 ? picks[0] : undefined;
    if (lapsed) picks.push(lapsed);

    // each organisation's homes have different stories
    const offset = rng.int(0, HOMES.length - 1);
    let homes = 0;
    for (const incident of picks) {
      const id = uuid(rng);
      const address = home(incident);
      const description = address ? null : describe(incident);
      const person = description ? (PEOPLE[description] ?? null) : null;
      const texts = person ?? (HOMES[(homes++ + offset) % HOMES.length] as (typeof HOMES)[number]);
      const created = placedOn(incident);
      let decided = created;
      let due = addMonths(created, 12);
      // the decision trail, as the review page writes it (created, then kept or removed at each review)
      const decide = (decision: 'created' | 'kept' | 'removed', on: string, reason: string, previous: string | null, next: string | null) =>
        out.reviews.push({
          org_id: org.id,
          marker_id: id,
          decision,
          reason,
          reviewer_id: handler,
          decided_on: on,
          decided_at: noon(on),
          previous_review_due: previous,
          next_review_due: next,
        });
      decide('created', created, `Placed after incident ${incident.reference}`, null, due);
      let removed = false;
      // reviewed a week or two before each review date that has passed (the lapsed one: never)
      while (incident !== lapsed && due <= today) {
        const on = addDays(due, -rng.int(5, 20));
        decided = on;
        if (incident === removedOne) {
          const why = person
            ? 'No further incidents in twelve months, and the patient has been discharged from the service.'
            : 'The family has moved away from the address; the marker is no longer needed.';
          decide('removed', on, why, due, null);
          removed = true;
          break;
        }
        const next = addMonths(on, 12);
        decide('kept', on, rng.pick(KEPT), due, next);
        due = next;
      }
      out.markers.push({
        id,
        org_id: org.id,
        subject_kind: address ? 'address' : 'individual',
        address,
        not_public_place: address !== null,
        person_name: person?.name ?? null,
        person_date_of_birth: person
          ? `${Number(today.slice(0, 4)) - person.age - 1}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`
          : null,
        person_description: description,
        risk: texts.risk,
        handling_advice: texts.advice,
        status: removed ? 'removed' : 'active',
        decided_on: decided,
        review_due: removed ? null : due,
        created_by: handler,
        created_at: noon(created),
        updated_at: noon(decided),
      });
      out.links.push({ org_id: org.id, marker_id: id, incident_id: incident.id as string, linked_at: noon(created) });
    }

    // Reporters' requests (003 §3.2.11) on recent open cases, waiting for the security specialist's answer.
    // The newest open reports of assault in the last three weeks (none of them has a marker: those are older).
    const recent = made.incidents
      .filter((i) => i.org_id === org.id && assault(i) && !isClosed(i.status as string) && reportedAt(i) > now.getTime() - 21 * DAY)
      .sort((a, b) => reportedAt(b) - reportedAt(a))
      .slice(0, count >= 5 ? 2 : 1);
    out.requests.push(...recent.map((i, k) => ({ incidentId: i.id as string, reason: REQUEST_REASONS[k % REQUEST_REASONS.length] as string })));
  }
  return out;
}

export type DemoGovernance = {
  reviews: Insertable<DB['self_reviews']>[];
  ratings: Insertable<DB['self_review_ratings']>[];
  evidence: Insertable<DB['self_review_evidence']>[];
  events: Insertable<DB['self_review_events']>[];
  /** Signed versions: seed.ts marks their reviews submitted once ratings and evidence are in (a signed review is locked). */
  versions: Insertable<DB['self_review_versions']>[];
  annualReports: Insertable<DB['annual_reports']>[];
};

const DOMAIN_COMMENTS: Record<'green' | 'amber' | 'red', string> = {
  green: 'Assessed against the published indicators; the gaps found have been acted on and the effect evaluated. See the improvement plan.',
  amber: 'Assessed; actions for the gaps found are under way in the improvement plan, but their effect is not evaluated yet.',
  red: 'Not yet assessed against the indicators of this domain: planned for the next quarter.',
};

type Rated = 'green' | 'amber' | 'red';
/** Rows written as the database takes them and as reviewState() reads them, so a signed snapshot needs no mapping. */
type RatingRow = DemoGovernance['ratings'][number] & Parameters<typeof reviewState>[2][number];
type EvidenceRow = DemoGovernance['evidence'][number] & Parameters<typeof reviewState>[3][number];

/**
 * For an organisation with a Security Management Director, against `framework`: last financial year's self
 * review, every standard rated, signed off by the SMD and submitted to `recipients` (its commissioners and the
 * national body) in March (002 §3.9–3.10); this year's, begun by the SMD and partly rated, better than last year
 * in places (so there is still work before sign-off, and a comparison to read); and the previous year's annual
 * report to the Board, presented in the summer, approved and signed off (002 std 1.5). Every date stays in the
 * past whatever `now` is: early in a financial year, the report is the year before's.
 */
export function demoGovernance(
  org: { id: string; code: string; name: string; smd: { id: string; name: string }; lsms: string | null },
  framework: { versionId: string; content: Framework },
  recipients: { kind: 'commissioner' | 'national_body'; orgId: string; code: string; name: string }[],
  now: Date,
  seed = 2026,
): DemoGovernance {
  const rng = random(seed + 4);
  const today = londonToday(now);
  const year = financialYearOf(now);
  const rater = org.lsms ?? org.smd.id;
  const reportId = uuid(rng);
  const out: DemoGovernance = { reviews: [], ratings: [], evidence: [], events: [], versions: [], annualReports: [] };
  const standards = framework.content.standards;

  /** A review for `reviewYear` with `ratings` for its first standards, and evidence of outputs for a rating above
   * red and of outcomes for green (002 §3.37–3.38, §3.45–3.46); leadership cites last year's report to the Board. */
  const review = (reviewYear: number, begun: Date, ratings: Rated[]) => {
    const reviewId = uuid(rng);
    const rows = { ratings: [] as RatingRow[], evidence: [] as EvidenceRow[] };
    const by = (k: number) => new Date(Math.min(begun.getTime() + (k + 1) * DAY, now.getTime()));
    ratings.forEach((rating, k) => {
      const s = standards[k];
      if (!s) return;
      rows.ratings.push({
        org_id: org.id,
        review_id: reviewId,
        standard_number: s.number,
        rating,
        comments: DOMAIN_COMMENTS[rating],
        suggestion: null,
        updated_by: rater,
        updated_at: by(k),
      });
      if (rating === 'red') return;
      const area = s.headline.toLowerCase();
      const evidence = (kind: 'output' | 'outcome', label: string, record: string | null) =>
        rows.evidence.push({
          id: uuid(rng),
          org_id: org.id,
          review_id: reviewId,
          standard_number: s.number,
          kind,
          label,
          url: null,
          record_type: record ? 'annual_report' : null,
          record_id: record,
          file_name: null,
          content_type: null,
          size_bytes: null,
          added_by: rater,
          added_at: by(k),
        });
      if (k === 0 && reviewYear === year) evidence('output', 'Annual security management report to the Board', reportId);
      else evidence('output', `Self-assessment against the indicators of the ${area} domain, and the actions in the improvement plan`, null);
      if (rating === 'green') evidence('outcome', `Evaluation of the ${area} actions: what changed, reported to the Board`, null);
    });
    out.reviews.push({
      id: reviewId,
      org_id: org.id,
      framework_version_id: framework.versionId,
      year: reviewYear,
      created_by: org.smd.id,
      created_at: begun,
      updated_at: by(ratings.length),
    });
    out.events.push({ org_id: org.id, review_id: reviewId, version: 1, kind: 'started', actor_id: org.smd.id, at: begun });
    out.ratings.push(...rows.ratings);
    out.evidence.push(...rows.evidence);
    return { reviewId, ...rows };
  };

  // Last year's, signed off on 20 March and submitted four days later, as frozen then (reviewSnapshot).
  const last = year - 1;
  const lastRatings = standards.map((_, k): Rated => (k === 0 ? 'amber' : rng.pick(['green', 'amber', 'red'] as const, [2, 5, 2])));
  const previous = review(last, noon(`${last}-12-01`), lastRatings);
  const signedAt = noon(`${year}-03-20`);
  const submittedAt = noon(`${year}-03-24`);
  const { text, sha256 } = reviewSnapshot({
    organisation: { id: org.id, code: org.code, name: org.name },
    reviewId: previous.reviewId,
    year: last,
    version: 1,
    frameworkVersionId: framework.versionId,
    framework: framework.content,
    state: reviewState(previous.reviewId, framework.content, previous.ratings, previous.evidence),
    signedBy: org.smd,
    signedAt,
  });
  out.versions.push({
    org_id: org.id,
    review_id: previous.reviewId,
    version: 1,
    year: last,
    content: text,
    content_sha256: sha256,
    signed_by: org.smd.id,
    signed_at: signedAt,
    submitted_by: org.smd.id,
    submitted_at: submittedAt,
    // recipients is written when a version is submitted (an update); the demo writes the submitted version at once
    ...({ recipients: JSON.stringify(recipients) } as object),
  });
  out.events.push(
    { org_id: org.id, review_id: previous.reviewId, version: 1, kind: 'signed', actor_id: org.smd.id, at: signedAt },
    { org_id: org.id, review_id: previous.reviewId, version: 1, kind: 'submitted', actor_id: org.smd.id, at: submittedAt },
  );

  // This year's, begun by the SMD: the LSMS has rated all but the last two standards, some better than last year.
  const begun = new Date(Math.max(now.getTime() - 40 * DAY, Date.parse(`${year}-04-01T09:00:00Z`)));
  review(
    year,
    begun,
    lastRatings
      .slice(0, Math.max(1, standards.length - 2))
      .map((r): Rated => (r === 'red' && rng.chance(0.5) ? 'amber' : r === 'amber' && rng.chance(0.4) ? 'green' : r)),
  );

  let reportYear = year - 1;
  let presented = addDays(`${year}-04-01`, 70);
  if (presented >= today) {
    reportYear = year - 2;
    presented = addDays(`${year - 1}-04-01`, 70);
  }
  const reportSigned = noon(addDays(presented, 12));
  out.annualReports.push({
    id: reportId,
    org_id: org.id,
    year: reportYear,
    presented_on: presented,
    board_decision: 'approved',
    board_minute: `Board minute ${reportYear + 1}/${rng.int(20, 90)}`,
    summary:
      'Reported physical assaults rose with admissions on the acute wards; most involved medical factors. The Board approved the work plan: ' +
      'conflict resolution training for every ward, body-worn cameras on the two busiest wards, and a review of lone working in the community teams.',
    status: 'signed',
    signed_by: org.smd.id,
    signed_at: reportSigned,
    created_by: rater,
    created_at: noon(addDays(presented, -20)),
    updated_by: org.smd.id,
    updated_at: reportSigned,
  });
  return out;
}
