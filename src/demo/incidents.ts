/**
 * The demo's incidents: about two years of reports for each demo provider, made by a seeded generator (the same
 * seed and the same `now` give the same rows), at the rates of src/demo/rates.ts scaled down to a few hundred per
 * provider, so that a newcomer finds case lists, dashboards and benchmarks with something in them. No I/O: seed.ts
 * writes the rows with plain bulk INSERTs, and the roll-ups follow by their triggers.
 *
 * Cases are progressed as an LSMS would have progressed them by `now`: older ones mostly closed (a few with
 * sanctions, `002 std 4.2`, or redress), recent ones reported, triaged or under a manager's investigation, and a
 * few left open past their due date (the overdue figure). References are numbered per organisation and calendar
 * year in the order of reporting, as the reference counter would have numbered them (issue 4 item 3).
 */
import type { Insertable } from 'kysely';
import type { DB } from '../db/schema.ts';
import { financialYearOf } from '../domain/analytics.ts';
import { assessLateness, formatReference, type IncidentCategory, londonYear } from '../domain/incidents.ts';
import { categoriesOf, MEDICAL, type ProviderType, RATES, type Random, random, totalRate } from './rates.ts';

/**
 * The share of the national rates the demo generates: a quarter keeps every provider at a few hundred incidents
 * over two years (the mental-health trust about 700) and seeding under a second, while the proportions between
 * types and categories stay the national ones. The demo's published statistics are made at the same scale, so a
 * provider's figures run on without a step from the published years into Warden's.
 */
export const DEMO_SCALE = 0.25;
/** How far back the demo's incidents go. */
export const DEMO_MONTHS = 24;

export type DemoPlace = { siteId: string | null; departmentId: string | null; weight: number };
export type DemoProvider = {
  id: string;
  code: string;
  type: ProviderType;
  staff: number;
  places: DemoPlace[];
  /** Staff who report incidents. */
  reporters: string[];
  /** A reporter who signs in to the demo: given a handful of recent reports, so "My reports" has some. */
  featuredReporter?: string;
  /** The security specialist (LSMS) who triages and closes cases, if the demo has one for the organisation. */
  handler: string | null;
  /** A line manager who is given investigations (`003 §7`), if the demo has one. */
  manager: string | null;
  /** Town used in community addresses. */
  town: string;
};

export type DemoIncidents = {
  incidents: Insertable<DB['incidents']>[];
  people: Insertable<DB['incident_people']>[];
  events: Insertable<DB['incident_events']>[];
  investigations: Insertable<DB['case_investigations']>[];
  sanctions: Insertable<DB['case_sanctions']>[];
  outcomes: Insertable<DB['case_outcomes']>[];
  closures: Insertable<DB['case_closures']>[];
  counters: Insertable<DB['incident_reference_counters']>[];
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365.25 * DAY;

/** A version-4 UUID from the seeded generator (the same seed, the same ids). */
export function uuid(rng: Random): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const date = (t: number) => new Date(t).toISOString().slice(0, 10);

const NARRATIVES: Record<IncidentCategory, string[]> = {
  physical_assault: [
    'During a medication round the patient became agitated, struck the nurse on the arm and had to be calmly moved away by colleagues.',
    'While being helped to stand, the patient grabbed the staff member by the wrist and pulled hard, twisting it.',
    'A visitor who had been asked to leave pushed the member of staff against the door frame.',
    'The patient kicked out during a physical health check, catching the staff member on the leg.',
    'A relative waiting for news punched the receptionist on the shoulder across the desk.',
  ],
  non_physical_assault: [
    'The caller was verbally abusive and threatened to come to the unit and harm staff.',
    'A visitor shouted racist abuse at a nurse when told visiting time had ended.',
    'The patient repeatedly swore at and threatened staff during the night shift.',
    'A member of the public followed a staff member to the car park, shouting threats.',
  ],
  theft: [
    'A staff member’s bag was taken from an unlocked office during the day.',
    'A laptop was found to be missing from a locked store; the asset register was checked.',
    'A patient’s mobile phone went missing from their bedside.',
  ],
  criminal_damage: [
    'A window in the day room was deliberately broken.',
    'Graffiti was sprayed on the side of the building overnight.',
    'A vehicle’s wing mirror was kicked off while it was parked on a call.',
  ],
  burglary: ['The store room was found forced open in the morning and equipment had been taken.'],
  unauthorised_access: [
    'An unknown person was found in a staff-only corridor without an ID badge.',
    'A door held open with a wedge allowed entry to the ward outside visiting hours.',
    'A lost ID badge was used to try to enter a restricted area.',
  ],
  drugs_prescriptions_hazardous: [
    'The controlled drugs count did not match the register at handover.',
    'A pad of prescription forms could not be accounted for.',
  ],
  maternity_paediatric: [
    'The baby tagging alarm sounded at the exit and a visitor could not explain why they were there.',
    'A person tailgated staff through the secure door to the unit.',
  ],
  lone_worker: [
    'On a home visit the staff member felt threatened by a person at the address and left early.',
    'The lone-worker device alert was raised when the staff member did not check in after a visit.',
  ],
  near_miss: [
    'A patient was found carrying a kitchen knife, which was removed before anyone was hurt.',
    'A fire exit was found unlocked and propped open; it was secured before anything happened.',
  ],
};
const INJURIES = ['Bruising to the forearm', 'Scratches to the hand', 'Sprained wrist', 'Bite mark, skin not broken', 'Cut lip'];
const STAFF_NAMES = ['Ana Costa', 'Ben Ward', 'Chloe Ng', 'Dev Patel', 'Ella Hughes', 'Finn Murray', 'Grace Obi', 'Hari Singh', 'Isla Reid', 'Jon Evans'];
const STAFF_ROLES: Record<ProviderType, string[]> = {
  mental_health: ['Staff nurse', 'Healthcare assistant', 'Support worker', 'Occupational therapist'],
  acute: ['Staff nurse', 'Healthcare assistant', 'Receptionist', 'Porter', 'Doctor'],
  ambulance: ['Paramedic', 'Emergency medical technician', 'Call handler'],
  community: ['District nurse', 'Health visitor', 'Receptionist', 'Podiatrist'],
};
/** Lessons learned at closure (000 §6.1.5), which closing a case requires; chosen in turn, not by the seeded PRNG. */
const LESSONS = [
  'Reception to be told of known risk before the visit; the marker process is working.',
  'Second member of staff to attend this address; lone-worker device checked at the start of each shift.',
  'De-escalation refresher booked for the ward team; staffing at handover reviewed.',
  'CCTV coverage of the corridor to be reviewed with estates.',
  'No change needed: procedures were followed and worked.',
];

/** A manager's findings, for investigations the demo has completed (003 §7.5). */
const FINDINGS = [
  'Statements taken from the staff involved; the account in the report is confirmed.',
  'The incident happened at handover; the patient had been refused leave that afternoon.',
  'CCTV reviewed with the security team; it shows the incident as reported.',
  'The member of staff followed the lone-working procedure; the device alert was answered within two minutes.',
];

const STREETS = ['14 Mill Lane', '3 Orchard Close', '27 Station Road', '8 Church Walk', 'Layby on Beacon Road', '52 Victoria Street'];

/** Generates the demo's incidents for `providers`, as at `now`. */
export function generateDemoIncidents(providers: DemoProvider[], now: Date, seed = 2026): DemoIncidents {
  const rng = random(seed);
  const out: DemoIncidents = { incidents: [], people: [], events: [], investigations: [], sanctions: [], outcomes: [], closures: [], counters: [] };
  const end = now.getTime() - HOUR;
  const start = end - DEMO_MONTHS * (YEAR / 12);
  for (const org of providers) {
    const { categories, weights } = categoriesOf(org.type);
    const placeWeights = org.places.map((p) => p.weight);
    // One incident at a time through the window: gaps follow the organisation's rate, a little higher in winter
    // and rising about 3% a year (more reporting, as in bench/national.ts).
    const perMs = (totalRate(org.type) * (org.staff / 1000) * DEMO_SCALE) / YEAR;
    const made: { row: Insertable<DB['incidents']>; reported: number }[] = [];
    const gap = (t: number) => -Math.log(1 - rng.next()) / (perMs * ([11, 0, 1].includes(new Date(t).getUTCMonth()) ? 1.15 : 1) * 1.03 ** ((t - end) / YEAR));
    for (let t = start + gap(start); t < end; t += gap(t))
      made.push(incidentAt(rng, org, t, end, rng.pick(categories, weights), rng.pick(org.places, placeWeights), out));
    // References in reporting order, per calendar year in England (formatReference, as warden_report_incident).
    made.sort((a, b) => a.reported - b.reported);
    const last = new Map<number, number>();
    for (const m of made) {
      const year = londonYear(new Date(m.reported));
      const n = (last.get(year) ?? 0) + 1;
      last.set(year, n);
      m.row.reference = formatReference(org.code, year, n);
      out.incidents.push(m.row);
    }
    for (const [year, lastValue] of last) out.counters.push({ org_id: org.id, year, last_value: lastValue });
  }
  return out;
}

/** One incident and what case management would have recorded about it by `end`. */
function incidentAt(rng: Random, org: DemoProvider, occurred: number, end: number, category: IncidentCategory, place: DemoPlace, out: DemoIncidents) {
  const id = uuid(rng);
  // Most reports are made within the shift; about one in seven later, up to a week (003 §2.2.3.7).
  const delay = rng.chance(0.86) ? rng.between(0.25, 10) * HOUR : rng.between(13, 7 * 24) * HOUR;
  const reported = Math.min(occurred + delay, end);
  const lateness = assessLateness({ occurredAt: new Date(occurred), reportedAt: new Date(reported) });
  const recent = end - reported < 120 * DAY;
  const reporter = org.featuredReporter && recent && rng.chance(0.04) ? org.featuredReporter : rng.pick(org.reporters);
  const assault = category === 'physical_assault';
  const againstPerson = assault || category === 'non_physical_assault' || category === 'lone_worker';
  const property = category === 'theft' || category === 'criminal_damage' || category === 'burglary';
  const injured = assault && rng.chance(0.35);
  const police = rng.chance(assault ? 0.3 : property ? 0.4 : category === 'non_physical_assault' ? 0.08 : 0.03);
  const attended = police && rng.chance(0.6);
  const ambulanceScene = org.type === 'ambulance' && place.siteId === null;

  // The case's progress by `end`.
  const age = (end - reported) / DAY;
  const r = rng.next();
  let status: string;
  // A few older cases are still open: awaiting a sanction decision (their investigation done), or left under
  // investigation past its due date, the overdue work a real caseload has (about 3% of them).
  if (age > 45) status = r < 0.72 ? 'closed' : r < 0.9 ? 'closed_nfa' : r < 0.97 ? (againstPerson ? 'awaiting_decision' : 'closed_nfa') : 'under_investigation';
  else if (age > 10) status = r < 0.35 ? 'closed' : r < 0.45 ? 'closed_nfa' : r < 0.75 ? 'under_investigation' : 'triaged';
  // a report from the last day has not been triaged yet (triage and investigation would otherwise share its minute)
  else if (age < 1) status = 'reported';
  else status = r < 0.45 ? 'reported' : r < 0.8 ? 'triaged' : 'under_investigation';
  const closed = status === 'closed' || status === 'closed_nfa';
  const closedAt = closed ? Math.min(reported + (status === 'closed' ? 2 + rng.next() ** 2 * 55 : 0.5 + rng.next() * 8) * DAY, end) : null;
  const triagedAt = status === 'reported' ? null : Math.min(reported + rng.between(1, 36) * HOUR, closedAt ?? end);
  const investigated = status === 'under_investigation' || status === 'awaiting_decision' || status === 'closed';
  const investigatedAt = investigated && triagedAt !== null ? Math.min(triagedAt + rng.between(1, 48) * HOUR, closedAt ?? end) : null;
  const decisionAt = status === 'awaiting_decision' && investigatedAt !== null ? Math.min(investigatedAt + rng.between(5, 20) * DAY, end) : null;
  // An open investigation is the manager's, due 14 days after it was given (case_settings' default).
  const withManager = org.manager !== null && (status === 'under_investigation' || status === 'awaiting_decision') && investigatedAt !== null;
  const dueOn = withManager && investigatedAt !== null ? date(investigatedAt + 14 * DAY) : null;
  // The manager completes it on time, mostly: always before the case awaits a sanction decision, and four in five
  // of those still under investigation once a few days have passed; the rest are the overdue figure.
  const finishedBy = investigatedAt === null ? null : investigatedAt + rng.between(3, 13) * DAY;
  const completedAt = !withManager ? null : decisionAt !== null ? decisionAt : finishedBy !== null && finishedBy < end && rng.chance(0.8) ? finishedBy : null;

  const lessons = closedAt === null ? null : (LESSONS[out.closures.length % LESSONS.length] as string);
  const closeReason = status === 'closed' ? 'Investigation complete' : 'No further action: no lines of enquiry';
  const events: [number, string | null, string, string | null][] = [[reported, null, 'reported', 'Reported']];
  if (triagedAt !== null) events.push([triagedAt, 'reported', 'triaged', 'Triaged by the security specialist']);
  if (investigatedAt !== null) events.push([investigatedAt, 'triaged', 'under_investigation', 'Investigation started']);
  if (decisionAt !== null) events.push([decisionAt, 'under_investigation', 'awaiting_decision', 'Investigation complete; sanction under consideration']);
  if (closedAt !== null) events.push([closedAt, investigatedAt !== null ? 'under_investigation' : 'triaged', status, closeReason]);
  for (const [at, from, to, reason] of events)
    out.events.push({
      org_id: org.id,
      incident_id: id,
      at: new Date(at),
      actor_id: to === 'reported' ? reporter : org.handler,
      from_status: from,
      to_status: to,
      reason,
    });

  const row: Insertable<DB['incidents']> = {
    id,
    org_id: org.id,
    reference: '', // numbered once the organisation's reports are in order
    status,
    status_changed_at: new Date(events[events.length - 1]?.[0] ?? reported),
    category,
    occurred_at: new Date(occurred),
    reported_at: new Date(reported),
    reported_by: reporter,
    location_kind: place.siteId ? 'site' : 'community',
    site_id: place.siteId,
    department_id: place.departmentId,
    community_address: place.siteId ? null : `${rng.pick(STREETS)}, ${org.town}`,
    location_detail: ambulanceScene ? 'At the scene of a 999 call' : null,
    is_late: lateness.late,
    late_reason: lateness.reason,
    // 004: the share of physical assaults involving medical factors differs by type of organisation
    medical_factors: assault ? (rng.chance(MEDICAL[org.type]) ? 'yes' : rng.chance(0.8) ? 'no' : 'unknown') : null,
    aggravating_factors: againstPerson && rng.chance(0.08) ? [rng.pick(['alcohol', 'drugs', 'racist'] as const)] : [],
    injured,
    injury_description: injured ? rng.pick(INJURIES) : null,
    examined_within_48h: injured ? (rng.chance(0.7) ? 'yes' : 'no') : null,
    police_involved: police,
    police_attended: attended,
    crime_reference: police && rng.chance(0.6) ? `CR/${rng.int(10000, 99999)}/${String(new Date(reported).getUTCFullYear()).slice(2)}` : null,
    property_description: property ? 'See narrative' : null,
    property_value_pence: property ? rng.int(20, 1500) * 100 : null,
    narrative: rng.pick(NARRATIVES[category]),
    severity: triagedAt === null ? null : assault ? rng.pick(['medium', 'high', 'critical'], [5, 4, 1]) : rng.pick(['low', 'medium', 'high'], [5, 4, 1]),
    assigned_manager_id: withManager ? org.manager : null,
    investigation_due_on: dueOn,
    outcome_summary: closedAt !== null ? 'Your report was looked into and the case is now closed. Thank you for reporting it.' : null,
    closed_at: closedAt === null ? null : new Date(closedAt),
    lessons_learned: lessons,
    idempotency_key: `demo-${id}`,
    idempotency_fingerprint: 'demo',
  };
  if (closedAt !== null && lessons !== null)
    out.closures.push({
      org_id: org.id,
      incident_id: id,
      to_status: status,
      reason: closeReason,
      lessons_learned: lessons,
      closed_by: org.handler,
      closed_at: new Date(closedAt),
    });

  if (againstPerson) {
    out.people.push({
      org_id: org.id,
      incident_id: id,
      involvement: 'affected',
      position: 0,
      person_type: 'staff',
      name: rng.pick(STAFF_NAMES),
      staff_role: rng.pick(STAFF_ROLES[org.type]),
    });
    if (category !== 'lone_worker')
      out.people.push({
        org_id: org.id,
        incident_id: id,
        involvement: 'assailant',
        position: 0,
        person_type: org.type === 'ambulance' ? rng.pick(['patient', 'other']) : rng.pick(['patient', 'visitor'], [4, 1]),
        description: rng.pick(['Adult male, about 30', 'Adult female, about 50', 'Young man in a grey hoodie', 'Older man, unsteady on his feet']),
      });
  }
  if (withManager && dueOn !== null && investigatedAt !== null)
    out.investigations.push({
      org_id: org.id,
      incident_id: id,
      manager_id: org.manager as string,
      due_on: dueOn,
      assigned_by: org.handler,
      assigned_at: new Date(investigatedAt),
      ...(completedAt === null
        ? {}
        : {
            findings: FINDINGS[out.investigations.length % FINDINGS.length] as string,
            completed_at: new Date(completedAt),
            completed_by: org.manager,
          }),
    });
  // Sanctions (002 std 4.2): criminal ones where the police were involved, administrative ones otherwise.
  if (status === 'closed' && closedAt !== null && (assault || category === 'non_physical_assault')) {
    const criminal = police && rng.chance(assault ? 0.35 : 0.2);
    const administrative = !criminal && rng.chance(0.05);
    if (criminal || administrative) {
      const sanction = criminal
        ? rng.pick(['caution', 'conditional_caution', 'community_order', 'fine', 'prosecution'], [4, 2, 2, 1, 1])
        : rng.pick(['written_warning', 'acceptable_behaviour_agreement', 'verbal_warning']);
      const publicise = criminal && rng.chance(0.3);
      out.sanctions.push({
        org_id: org.id,
        incident_id: id,
        kind: criminal ? 'criminal' : 'administrative',
        sanction,
        decided_on: date(closedAt),
        outcome: criminal ? 'Outcome confirmed by the police officer in the case' : 'Letter sent and acknowledged',
        publicise,
        // 003 §6.4–6.5: publicity is decided case by case, with the reason recorded
        publicity_reason: publicise ? 'Deterrence: the victim agreed to publicity' : 'The victim asked for no publicity',
        recorded_by: org.handler,
      });
    }
  }
  // Redress for property (000 §6: redress): some sought, about half of it recovered.
  if (status === 'closed' && (category === 'theft' || category === 'criminal_damage') && rng.chance(0.2)) {
    const sought = (row.property_value_pence as number) || rng.int(50, 1500) * 100;
    out.outcomes.push({
      org_id: org.id,
      incident_id: id,
      redress_sought_pence: sought,
      redress_recovered_pence: rng.chance(0.5) ? sought : 0,
      redress_route: rng.pick(['civil_recovery', 'compensation_order']),
    });
  }
  return { row, reported };
}

/**
 * Published statistics (`004` peer table: physical assaults, those involving medical factors, staff) for the
 * financial years before Warden's incidents begin, up to and including the year they begin in, at the demo's
 * scale, falling back about 3% a year from today's rate, with the `004` share of medical factors.
 */
export function demoPublishedStatistics(
  providers: Pick<DemoProvider, 'id' | 'type' | 'staff'>[],
  now: Date,
  seed = 2026,
): Insertable<DB['published_statistics']>[] {
  const rng = random(seed + 1);
  const current = financialYearOf(now);
  const first = financialYearOf(new Date(now.getTime() - DEMO_MONTHS * (YEAR / 12)));
  const rows: Insertable<DB['published_statistics']>[] = [];
  for (const org of providers)
    for (let y = first - 4; y <= first; y++) {
      const staff = Math.round(org.staff * 0.98 ** (current - y));
      const expected = (RATES[org.type].physical_assault ?? 0) * (staff / 1000) * DEMO_SCALE * 1.03 ** (y - current);
      const assaults = Math.max(1, Math.round(expected * rng.between(0.9, 1.1)));
      rows.push({
        org_id: org.id,
        financial_year: y,
        physical_assaults: assaults,
        physical_assaults_medical: Math.min(assaults, Math.round(assaults * MEDICAL[org.type] * rng.between(0.95, 1.05))),
        staff,
        source: 'Demo data (invented)',
      });
    }
  return rows;
}

/** Staff-survey figures (`000 §8.2`: perception beside reality), invented, by type, for the last five years. */
export function demoSurveyResults(providers: Pick<DemoProvider, 'id' | 'type' | 'staff'>[], now: Date, seed = 2026): Insertable<DB['staff_survey_results']>[] {
  const rng = random(seed + 2);
  // Percentage of staff saying they experienced physical violence from patients or the public in the last year.
  const violence: Record<ProviderType, number> = { mental_health: 19, ambulance: 14, acute: 14, community: 6 };
  const abuse: Record<ProviderType, number> = { mental_health: 31, ambulance: 38, acute: 28, community: 18 };
  const current = financialYearOf(now);
  const rows: Insertable<DB['staff_survey_results']>[] = [];
  for (const org of providers)
    for (let y = current - 4; y <= current - 1; y++) {
      const tenth = (x: number) => Math.round(x * 10) / 10;
      rows.push({
        org_id: org.id,
        financial_year: y,
        respondents: Math.round(org.staff * rng.between(0.38, 0.5)),
        physical_violence_public: tenth(violence[org.type] + rng.between(-1.5, 1.5)),
        abuse_public: tenth(abuse[org.type] + rng.between(-2, 2)),
        violence_reported: tenth(rng.between(68, 80)),
      });
    }
  return rows;
}
