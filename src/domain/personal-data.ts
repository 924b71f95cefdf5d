/**
 * Who sees which personal data in an incident (issue 4 §14, SPEC C3): the one place the rule lives. Pages, exports
 * and the JSON API of case lists, and the case page, all ask here; every read of what this allows is audited as
 * `incident.read_personal` by the caller (src/features/cases-list/personal-data.ts does it).
 *
 * Personal data in a report: the identity of the people affected and of assailants (name, description, staff
 * role), dates of birth, police details (officer name and number, station, crime reference, CAD number), the
 * narrative (free text that names people), the precise place (the address of an incident in the community — often
 * a patient's home on a lone-worker visit — and the free-text detail of where on a site), and the description of
 * injuries (health data about the person affected). The case facts (reference, dates, category, status, the site
 * and department or "in the community", lateness, medical factors, whether anyone was injured, whether the police
 * attended) are not personal data and are shown to every role that may see the case at all.
 *
 * - security specialist (LSMS): everything, for every case of the organisation (they investigate, `003 §2.3`).
 * - manager: everything, only for the cases whose investigation they are assigned.
 * - the reporter: what they entered themselves (their own report).
 * - SMD and board members: case facts only, without identities (oversight, not investigation).
 * - commissioners, national assessors, administrators: never identifiable details.
 */
import type { Role } from '../platform/access/roles.ts';

export const PERSONAL_FIELDS = ['identities', 'datesOfBirth', 'police', 'narrative', 'place', 'injuries'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];

export const PERSONAL_FIELD_LABELS: Record<PersonalField, string> = {
  identities: 'Names and descriptions of the people affected and of assailants',
  datesOfBirth: 'Dates of birth',
  police: 'Police details (officer, station, crime reference, CAD number)',
  narrative: 'What happened, in the reporter’s words',
  place: 'The address in the community and the detail of where on a site',
  injuries: 'Descriptions of injuries',
};

/** Roles that see every personal field of every case of their own organisation. */
export const SEES_ALL_PERSONAL_DATA: readonly Role[] = ['security_specialist'];
/** Roles that see every personal field, but only of the cases assigned to them. */
export const SEES_ASSIGNED_PERSONAL_DATA: readonly Role[] = ['manager'];

/** Who is looking, at which case: roles in the case's organisation, and their relation to the case. */
export type Viewer = {
  /** Roles held in the organisation the case belongs to (not deployment-wide roles: those never see identities). */
  roles: readonly Role[];
  /** The viewer submitted the report. */
  isReporter?: boolean;
  /** The viewer is the manager assigned to investigate the case. */
  isAssignedManager?: boolean;
};

/** The personal fields `viewer` may see in one case. Empty means case facts only. */
export function personalFieldsFor(viewer: Viewer): ReadonlySet<PersonalField> {
  const all = new Set<PersonalField>(PERSONAL_FIELDS);
  if (viewer.roles.some((r) => SEES_ALL_PERSONAL_DATA.includes(r))) return all;
  if (viewer.isAssignedManager && viewer.roles.some((r) => SEES_ASSIGNED_PERSONAL_DATA.includes(r))) return all;
  // 000 §7.2.6: the reporter is told what happened, and sees the report they made.
  if (viewer.isReporter) return all;
  return new Set();
}

/** True when the viewer may see personal data of the case at all. */
export function seesPersonalData(viewer: Viewer): boolean {
  return personalFieldsFor(viewer).size > 0;
}

/**
 * True when a role may ever see personal data in a list of cases (exports and lists decide their columns with
 * this before reading any row).
 */
export function roleMaySeePersonalData(roles: readonly Role[]): boolean {
  return roles.some((r) => SEES_ALL_PERSONAL_DATA.includes(r) || SEES_ASSIGNED_PERSONAL_DATA.includes(r));
}

type Person = { name?: string | null; dateOfBirth?: string | Date | null; description?: string | null; staffRole?: string | null };
type Police = {
  officerName?: string | null;
  officerNumber?: string | null;
  station?: string | null;
  crimeReference?: string | null;
  cadNumber?: string | null;
};

type Place = { communityAddress?: string | null; detail?: string | null };

/**
 * A copy of an incident with every personal field the viewer may not see set to null (people keep their type, so
 * "a patient" is still shown; the place keeps its kind, site and department). Works on the shape of
 * `IncidentDetail` (src/features/incidents/service.ts) and any object with the same optional parts.
 */
export function redactIncident<
  T extends {
    affected?: Person[];
    assailants?: Person[];
    police?: Police;
    narrative?: string | null;
    witnesses?: string | null;
    markerRequest?: { requested: boolean; reason: string | null };
    location?: Place;
    injuryDescription?: string | null;
  },
>(incident: T, fields: ReadonlySet<PersonalField>): T {
  const out = { ...incident };
  // issue 4 §14: a home address on a lone-worker visit, or "bed 4, Mr X's room", identifies people
  if (out.location && !fields.has('place')) out.location = { ...out.location, communityAddress: null, detail: null };
  // issue 4 §14: injuries are health data about the person affected; whether anyone was injured stays a fact
  if (!fields.has('injuries') && 'injuryDescription' in out) out.injuryDescription = null;
  const people = (list: Person[] | undefined) =>
    list?.map((p) => ({
      ...p,
      ...(fields.has('identities') ? {} : { name: null, description: null, staffRole: null }),
      ...(fields.has('datesOfBirth') ? {} : { dateOfBirth: null }),
    }));
  if (out.affected) out.affected = people(out.affected) as T['affected'];
  if (out.assailants) out.assailants = people(out.assailants) as T['assailants'];
  if (out.police && !fields.has('police'))
    out.police = { ...out.police, officerName: null, officerNumber: null, station: null, crimeReference: null, cadNumber: null };
  if (!fields.has('narrative')) {
    if ('narrative' in out) out.narrative = null;
    // why staff should be warned describes the person or the place, as the narrative does
    if (out.markerRequest) out.markerRequest = { ...out.markerRequest, reason: null };
    // witnesses are named people too: hidden with the identities
  }
  if (!fields.has('identities') && 'witnesses' in out) out.witnesses = null;
  return out;
}

/**
 * Keys of audit event details that hold free text about a case, which may name or describe the people in it
 * (issue 4 §14: "Mr X has dementia", "Jo on ward 4 knows him"). The case events keep them, before and after, as the
 * history of each change: the manager's investigation (findings, contributing factors, actions taken, welfare
 * support: `case.investigation_update`, `case.investigation_complete`), why an investigation changed hands or
 * dates (`assignmentReason`, `case.triage`), the advice and reasons where no sanction was applied (`adviceFrom`,
 * `advice`, `reasons`: `case.no_sanction`), the support offered and what was fed back (`case.support`), and the
 * lessons learned at closure (`case.status_change`). The trail keeps them; `redactAuditDetail` hides them from
 * audit readers who may not read the case's narrative (administrators).
 */
export const PERSONAL_AUDIT_DETAIL_KEYS: ReadonlySet<string> = new Set([
  'findings',
  'contributingFactors',
  'actionsTaken',
  'welfareSupport',
  'assignmentReason',
  'adviceFrom',
  'advice',
  'reasons',
  'supportOffered',
  'feedbackSummary',
  'lessonsLearned',
]);

/** Stands in for hidden free text in an audit detail: the reader learns there was text, not what it said. */
export const HIDDEN_IN_AUDIT = '(hidden: personal data)';

/**
 * A copy of an audit event's detail with the values of `PERSONAL_AUDIT_DETAIL_KEYS`, at any depth, replaced by
 * `HIDDEN_IN_AUDIT` where they held text (null stays null, so "was empty" still reads as such). For audit readers
 * who hold no role that sees every personal field of the event's organisation (administrators: issue 4 §14).
 */
export function redactAuditDetail(detail: unknown): unknown {
  if (Array.isArray(detail)) return detail.map(redactAuditDetail);
  if (detail === null || typeof detail !== 'object') return detail;
  return Object.fromEntries(
    Object.entries(detail).map(([k, v]) => [k, PERSONAL_AUDIT_DETAIL_KEYS.has(k) && typeof v === 'string' ? HIDDEN_IN_AUDIT : redactAuditDetail(v)]),
  );
}
