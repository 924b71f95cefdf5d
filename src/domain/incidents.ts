/**
 * Incident rules with no I/O: the taxonomy and the definitions shown on the report form, the case statuses and
 * their allowed transitions, the late-report rule, references, and London wall-clock time. Each rule cites the
 * source paragraph it comes from (files in /work/shared/seeds, see their README).
 */

// ---- categories ------------------------------------------------------------------------------------------

/** SPEC C2; `000 §7` (specific areas of action), `003 §7.6.1` (staff report assaults, thefts and near misses). */
export const INCIDENT_CATEGORIES = [
  'physical_assault',
  'non_physical_assault',
  'theft',
  'criminal_damage',
  'burglary',
  'unauthorised_access',
  'drugs_prescriptions_hazardous',
  'maternity_paediatric',
  'lone_worker',
  'near_miss',
] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

export type CategoryDefinition = { label: string; definition: string; source: string };

/** Label and the definition shown beside each category on the form, so reporters classify alike (`000 §10.3.1`). */
export const CATEGORY_DEFINITIONS: Record<IncidentCategory, CategoryDefinition> = {
  physical_assault: {
    label: 'Physical assault',
    // 004 (Violence and Aggression): the NHS SMS definition, quoted.
    definition:
      'The intentional application of force to the person of another without lawful justification, resulting in physical injury or personal discomfort.',
    source: '004',
  },
  non_physical_assault: {
    label: 'Non-physical assault',
    definition: 'Verbal abuse, threats or harassment: inappropriate words or behaviour that cause distress or amount to harassment, without physical contact.',
    source: '003 §2.2.3.1, §2.2.3.5; 000 §10.3.1',
  },
  theft: {
    label: 'Theft',
    definition: 'Theft of NHS property or equipment, or of the personal belongings of staff, patients or visitors.',
    source: '000 §7.3.2; 003 §1.4, §4.3',
  },
  criminal_damage: {
    label: 'Criminal damage',
    definition: 'Deliberate or reckless damage to NHS buildings, vehicles or equipment, or to personal property.',
    source: '003 §1.4, §4.3.1',
  },
  burglary: {
    label: 'Burglary',
    definition: 'Entering a building, or part of one, without permission in order to steal or cause damage.',
    source: '000 §7.3.3',
  },
  unauthorised_access: {
    label: 'Unauthorised access or security breach',
    definition:
      'Someone entering, or trying to enter, an area they have no right to be in; or a failure of locks, access control, ID badges or other security measures.',
    source: '000 §7.3.3',
  },
  drugs_prescriptions_hazardous: {
    label: 'Loss or theft of drugs, prescription forms or hazardous materials',
    definition: 'Any loss, theft or unexplained shortfall of medicines (including controlled drugs), prescription forms or potentially hazardous materials.',
    source: '000 §7.4.1',
  },
  maternity_paediatric: {
    label: 'Maternity or paediatric security breach',
    definition: 'A breach of security on a maternity, neonatal or children’s unit, including an actual or attempted abduction of a baby or child.',
    source: '000 §7.4.2',
  },
  lone_worker: {
    label: 'Lone-worker incident',
    definition: 'An incident affecting a member of staff working alone, without close or direct supervision: for example on a home visit or in the community.',
    source: '001 §7.6; 002 std 3.2',
  },
  near_miss: {
    label: 'Near miss',
    definition: 'Something that could have led to harm, loss or damage but did not, or was stopped in time.',
    source: '003 §7.6.1',
  },
};

/** Assaults: the categories where the people affected matter most and a person affected must be recorded. */
export function isAssault(category: IncidentCategory): boolean {
  return category === 'physical_assault' || category === 'non_physical_assault';
}

/**
 * The medical-factors answer is required for physical assault: the yearly reported-physical-assault statistic
 * counts assaults "involving medical factors" apart (`004` peer table).
 */
export function requiresMedicalFactors(category: IncidentCategory): boolean {
  return category === 'physical_assault';
}

// ---- medical and aggravating factors ----------------------------------------------------------------------

/** SPEC glossary and `004` (peer table: "assaults involving medical factors"). Shown on the form as the hint. */
export const MEDICAL_FACTORS_DEFINITION =
  'Medical factors contributed if the assailant did not know what they were doing, or did not know that what they were doing was wrong, ' +
  'because of a medical illness, mental ill health, a severe learning disability or treatment they were given.';

export const MEDICAL_FACTORS = ['yes', 'no', 'unknown'] as const;
export type MedicalFactors = (typeof MEDICAL_FACTORS)[number];
export const MEDICAL_FACTORS_LABELS: Record<MedicalFactors, string> = {
  yes: 'Yes, medical factors contributed',
  no: 'No',
  unknown: 'I do not know',
};

/** `003 §3.2.10`: "racist or homophobic elements, or the involvement of drugs or alcohol"; SPEC C2 adds religious and disability-related. */
export const AGGRAVATING_FACTORS = ['racist', 'homophobic', 'religious', 'disability', 'alcohol', 'drugs'] as const;
export type AggravatingFactor = (typeof AGGRAVATING_FACTORS)[number];
export const AGGRAVATING_FACTOR_LABELS: Record<AggravatingFactor, string> = {
  racist: 'Racist',
  homophobic: 'Homophobic',
  religious: 'Religious or faith-related',
  disability: 'Disability-related',
  alcohol: 'Alcohol was involved',
  drugs: 'Drugs were involved',
};

/** Who a person in the report is (`003 §3.2.5`, SPEC C2): staff role, patient, visitor, contractor. */
export const PERSON_TYPES = ['staff', 'patient', 'visitor', 'contractor', 'other', 'unknown'] as const;
export type PersonType = (typeof PERSON_TYPES)[number];
export const AFFECTED_PERSON_TYPES = ['staff', 'patient', 'visitor', 'contractor', 'other'] as const satisfies readonly PersonType[];
export const PERSON_TYPE_LABELS: Record<PersonType, string> = {
  staff: 'Member of staff',
  patient: 'Patient',
  visitor: 'Visitor or relative',
  contractor: 'Contractor',
  other: 'Someone else',
  unknown: 'Not known',
};

/** `003 §3.2.4`: where an injury has or may have occurred, examination at A&E or by a GP within 48 hours. */
export const EXAMINED_WITHIN_48H = ['yes', 'not_yet', 'no'] as const;
export type Examined = (typeof EXAMINED_WITHIN_48H)[number];
export const EXAMINED_LABELS: Record<Examined, string> = {
  yes: 'Yes, examined at A&E or by a GP',
  not_yet: 'Not yet: it is less than 48 hours since the incident',
  no: 'No',
};

// ---- statuses ----------------------------------------------------------------------------------------------

/** SPEC C3 and issue 4 item 5: every incident is a case tracked from report to conclusion (`000 §10.3.1`). */
export const INCIDENT_STATUSES = ['reported', 'triaged', 'under_investigation', 'awaiting_decision', 'closed', 'closed_nfa'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const STATUS_LABELS: Record<IncidentStatus, string> = {
  reported: 'Reported',
  triaged: 'Triaged',
  under_investigation: 'Under investigation',
  awaiting_decision: 'Awaiting sanction or redress decision',
  closed: 'Closed',
  closed_nfa: 'Closed – no further action',
};

/** The statuses in which a case is closed: nothing but victim support and feedback changes until it is reopened. */
export const CLOSED_STATUSES: readonly IncidentStatus[] = ['closed', 'closed_nfa'];
export const isClosed = (status: string): boolean => (CLOSED_STATUSES as readonly string[]).includes(status);
/** Why a write to a closed case is refused: reopening (closed → under investigation, with a reason) exists. */
export const CLOSED_CASE = 'This case is closed. Reopen it first (change its status to under investigation, with the reason) to change it.';

/**
 * A case still open this many days after it was reported is overdue while no manager's investigation has been
 * assigned (`002 std 4.1`: timely). Once one is assigned, its due date decides. The case list's overdue filter,
 * the overdue page and the escalation e-mails all use this rule.
 */
export const OVERDUE_AFTER_DAYS = 30;

/** Open cases reported before this instant, with no investigation assigned, are overdue at `now`. */
export function unassignedOverdueBefore(now: Date): Date {
  return new Date(now.getTime() - OVERDUE_AFTER_DAYS * 86_400_000);
}

/**
 * Allowed status changes (each recorded as an event with who, when and why). A closed case can be reopened into
 * investigation; "no further action" can be decided at any point before closure.
 */
export const STATUS_TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  reported: ['triaged', 'closed_nfa'],
  triaged: ['under_investigation', 'awaiting_decision', 'closed', 'closed_nfa'],
  under_investigation: ['awaiting_decision', 'closed', 'closed_nfa'],
  awaiting_decision: ['under_investigation', 'closed', 'closed_nfa'],
  closed: ['under_investigation'],
  closed_nfa: ['under_investigation'],
};

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

// ---- references ---------------------------------------------------------------------------------------------

/**
 * A readable reference per organisation: `<ORGCODE>-<YYYY>-<6 digits>`, e.g. `RXX-2026-000123` (issue 4 item 3).
 * The number is the organisation's count of reports in that calendar year; past 999,999 it simply grows wider.
 */
export function formatReference(orgCode: string, year: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError(`reference sequence must be a positive integer, got ${sequence}`);
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`reference year must have four digits, got ${year}`);
  return `${orgCode.toUpperCase()}-${year}-${String(sequence).padStart(6, '0')}`;
}

const REFERENCE = /^([A-Z0-9]{3,5})-(\d{4})-(\d{6,})$/;

/** Splits a reference into its parts, or null when it is not one. */
export function parseReference(reference: string): { orgCode: string; year: number; sequence: number } | null {
  const m = REFERENCE.exec(reference.trim().toUpperCase());
  if (!m) return null;
  return { orgCode: m[1] as string, year: Number(m[2]), sequence: Number(m[3]) };
}

// ---- London wall-clock time ------------------------------------------------------------------------------

const ZONE = 'Europe/London';
const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The date and time on a clock in England at `instant`. */
export function londonParts(instant: Date): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const p = Object.fromEntries(partsFormat.formatToParts(instant).map((x) => [x.type, x.value]));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second) };
}

function londonOffsetMs(instant: Date): number {
  const p = londonParts(instant);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant a clock in England showed the given date and time. Staff enter local time; GMT/BST is resolved
 * here. A time skipped by the clocks going forward resolves to the hour after.
 */
export function londonTime(year: number, month: number, day: number, hour: number, minute: number): Date {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - londonOffsetMs(new Date(guess));
  const second = guess - londonOffsetMs(new Date(first));
  return new Date(second);
}

/**
 * The calendar year in England at `instant`: the year of a reference issued then. England keeps GMT (UTC+0) from
 * late October to late March, so its new year begins at midnight UTC and the year is the UTC year (tested against
 * `londonParts` around every new year from 2000 to 2100). Read on every submission: the time-zone formatter
 * `londonParts` uses cost about 40 µs a call under load.
 */
export function londonYear(instant: Date): number {
  return instant.getUTCFullYear();
}

/** A time of day as `HH:MM` (24-hour), or null. Accepts `9:05`, `09.05`, `0905`. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } | null {
  const m = /^(\d{1,2})[:.]?(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  return hour <= 23 && minute <= 59 ? { hour, minute } : null;
}

// ---- the late-report rule ---------------------------------------------------------------------------------

/**
 * `003 §2.2.3.7`: staff must "complete and submit an incident report … before the end of their shift". Warden
 * does not know rotas, so the rule is:
 * - when the reporter gives the time their shift ends, the deadline is the first time the clock in England shows
 *   that time at or after the incident (a night shift ending 07:00 after a 23:00 incident ends the next morning);
 * - otherwise the deadline is LATE_AFTER_HOURS after the incident: the longest normal NHS shift.
 * A report submitted after its deadline is accepted but flagged late, with the reason recorded.
 */
export const LATE_AFTER_HOURS = 12;

export const LATE_RULE_TEXT =
  'Report an incident before the end of your shift (Security Management Procedure, 003 §2.2.3.7). ' +
  `If you give the time your shift ends, a report submitted after that time is marked as late; if you do not, ` +
  `a report submitted more than ${LATE_AFTER_HOURS} hours after the incident is marked as late. Late reports are still accepted.`;

/** The end of the shift during which the incident happened: the first `hh:mm` in England at or after it. */
export function shiftEndAfter(occurredAt: Date, time: { hour: number; minute: number }): Date {
  const p = londonParts(occurredAt);
  let candidate = londonTime(p.year, p.month, p.day, time.hour, time.minute);
  if (candidate.getTime() < occurredAt.getTime()) {
    const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
    candidate = londonTime(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), time.hour, time.minute);
  }
  return candidate;
}

export type Lateness = { late: boolean; deadline: Date; reason: string | null };

/** Applies the late-report rule (see LATE_AFTER_HOURS) to a report submitted at `reportedAt`. */
export function assessLateness(input: { occurredAt: Date; reportedAt: Date; shiftEndsAt?: Date | null }): Lateness {
  const { occurredAt, reportedAt, shiftEndsAt } = input;
  const deadline = shiftEndsAt ?? new Date(occurredAt.getTime() + LATE_AFTER_HOURS * 3_600_000);
  if (reportedAt.getTime() <= deadline.getTime()) return { late: false, deadline, reason: null };
  const hours = (reportedAt.getTime() - occurredAt.getTime()) / 3_600_000;
  const after = hours < 48 ? `${Math.floor(hours)} hours` : `${Math.floor(hours / 24)} days`;
  const reason = shiftEndsAt
    ? `Submitted after the end of the reporter's shift, ${after} after the incident (003 §2.2.3.7)`
    : `Submitted ${after} after the incident, more than ${LATE_AFTER_HOURS} hours (003 §2.2.3.7)`;
  return { late: true, deadline, reason };
}

// ---- money -------------------------------------------------------------------------------------------------

/** Pounds as typed (`£1,250.50`, `40`) → whole pence, or null when it is not an amount of money. */
export function poundsToPence(text: string): number | null {
  const cleaned = text.trim().replace(/^£/, '').replace(/,/g, '').trim();
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!m) return null;
  const pence = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  return m[1] === '-' ? -pence : pence;
}

/** Whole pence → `£1,250.50`. */
export function formatPence(pence: number): string {
  return `£${(pence / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
