import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';
import type { auditRecord } from '../../platform/audit.ts';
import { inScope } from '../../platform/tenancy.ts';
import type { IncidentInput } from './schema.ts';

const SUMMARY = [
  'id',
  'reference',
  'status',
  'category',
  'occurred_at',
  'reported_at',
  'is_late',
  'late_reason',
  'outcome_summary',
  'support_offered',
  'idempotency_fingerprint',
] as const;

export type NewIncident = {
  orgId: string;
  /** Calendar year in England of `reportedAt`: the year in the reference. */
  year: number;
  reportedAt: Date;
  reportedBy: string | null;
  reportedByToken: string | null;
  input: IncidentInput;
  late: boolean;
  lateReason: string | null;
  idempotencyKey: string;
  fingerprint: string;
};

/** The submitter already sent a report with this idempotency key; nothing was written. */
export class DuplicateKey extends Error {}

/**
 * The only code that touches the incident tables. Every query runs in a scoped transaction (tenancy.ts), except
 * `insert` and `insertMany` called on the pool, which are their own transactions and set their own scope.
 */
export const incidentsRepository = {
  /** The incident this submitter already sent with this idempotency key, if any. */
  findByKey(tx: Tx, orgId: string, submitter: string, key: string) {
    return tx
      .selectFrom('incidents')
      .select(SUMMARY)
      .where('org_id', '=', orgId)
      .where('submitter', '=', submitter)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
  },

  /**
   * Numbers and inserts the incident, its people, its first status event and its audit event, in one round trip
   * (`warden_report_incident`, migration 20261205090000-IntakeInOneRoundTrip). The reference is
   * `formatReference(code, year, n)` (src/domain/incidents.ts) from the organisation's counter for `year`: the
   * counter row stays locked until the transaction ends, so concurrent reports of one organisation take
   * consecutive numbers and a rolled-back report leaves no gap.
   *
   * `db` is the form's scoped transaction (its submission also deletes the draft) or the pool (a lone API report:
   * the call is its own transaction and sets its own scope). Answers `null` when the submitter's idempotency key is
   * already taken: the statement, and the number it took, are rolled back.
   */
  async insert(db: Database | Tx, year: number, r: ReturnType<typeof report>) {
    try {
      const { rows } = await sql<{ id: string; reference: string; status: string; reported_at: Date }>`
        SELECT * FROM warden_report_incident(${r.org}, ${year}, ${JSON.stringify(r.incident)}::jsonb, ${JSON.stringify(r.people)}::jsonb,
          ${r.actor}, ${JSON.stringify(r.audit)}::jsonb)
      `.execute(db);
      return rows[0] as NonNullable<(typeof rows)[0]>;
    } catch (err) {
      if ((err as { code?: string }).code === 'WD001') return null;
      throw err;
    }
  },

  /**
   * Numbers and inserts several reports of one year, of any organisations, in one statement, as `insert` does
   * one (`warden_report_incidents`, migrations IntakeBatches and IntakeKeysOnInsert): one COMMIT for them all.
   * Answers one row per report, in order; a report whose submitter and key are already taken (by a committed
   * report or an earlier one in the batch) is not written and answers `null`. On the pool the call is its own
   * transaction; the deployment-wide scope it needs (a batch may hold several organisations) is put back to the
   * caller's before it returns.
   * A key a committed report holds makes the statement fail (`WD002`, nothing written). That is a client's retry,
   * which is rare: only then are the batch's keys looked up, and the others are sent again together without them.
   * For one report `insert` does less: this statement pays for locking counters first and numbering per
   * organisation.
   */
  async insertMany(db: Database, year: number, reports: ReturnType<typeof report>[]) {
    try {
      return await reportTogether(db, year, reports);
    } catch (err) {
      if ((err as { code?: string }).code !== 'WD002') throw err;
      const taken = await inScope(db, { all: true }, (tx) => takenKeys(tx, reports));
      const rest = reports.filter((r) => !taken.has(submissionKey(r)));
      const stored = rest.length ? await reportTogether(db, year, rest) : [];
      return reports.map((r) => (taken.has(submissionKey(r)) ? null : (stored.shift() ?? null)));
    }
  },

  /** The submitter's reports, newest first. No personal data of anyone. */
  listBySubmitter(tx: Tx, orgId: string, submitter: string) {
    return tx
      .selectFrom('incidents')
      .select(SUMMARY)
      .where('org_id', '=', orgId)
      .where('submitter', '=', submitter)
      .orderBy('reported_at', 'desc')
      .limit(500)
      .execute();
  },

  /** One of the submitter's reports, whole, with the names of its site and department. */
  findBySubmitter(tx: Tx, orgId: string, submitter: string, id: string) {
    return tx
      .selectFrom('incidents as i')
      .leftJoin('sites as s', 's.id', 'i.site_id')
      .leftJoin('departments as d', 'd.id', 'i.department_id')
      .selectAll('i')
      .select(['s.name as site_name', 'd.name as department_name'])
      .where('i.org_id', '=', orgId)
      .where('i.submitter', '=', submitter)
      .where('i.id', '=', id)
      .executeTakeFirst();
  },

  /** Reference only: for the confirmation page, which shows no personal data. */
  referenceBySubmitter(tx: Tx, orgId: string, submitter: string, id: string) {
    return tx
      .selectFrom('incidents')
      .select(['id', 'reference', 'is_late', 'late_reason'])
      .where('org_id', '=', orgId)
      .where('submitter', '=', submitter)
      .where('id', '=', id)
      .executeTakeFirst();
  },

  /** Whether a warning marker is linked to the incident, and whether one was decided against (003 §3.2.11). */
  async markerAnswer(tx: Tx, orgId: string, incidentId: string) {
    const r = await tx
      .selectNoFrom((eb) => [
        eb.exists(eb.selectFrom('warning_marker_incidents').select('marker_id').where('org_id', '=', orgId).where('incident_id', '=', incidentId)).as('placed'),
        eb.exists(eb.selectFrom('marker_request_decisions').select('id').where('org_id', '=', orgId).where('incident_id', '=', incidentId)).as('declined'),
      ])
      .executeTakeFirstOrThrow();
    return { placed: !!r.placed, declined: !!r.declined };
  },

  people(tx: Tx, orgId: string, incidentId: string) {
    return tx
      .selectFrom('incident_people')
      .select(['involvement', 'position', 'person_type', 'name', 'date_of_birth', 'staff_role', 'description'])
      .where('org_id', '=', orgId)
      .where('incident_id', '=', incidentId)
      .orderBy('involvement')
      .orderBy('position')
      .execute();
  },

  events(tx: Tx, orgId: string, incidentId: string) {
    return tx
      .selectFrom('incident_events')
      .select(['at', 'to_status'])
      .where('org_id', '=', orgId)
      .where('incident_id', '=', incidentId)
      .orderBy('at')
      .execute();
  },

  /**
   * The report's earlier versions (kept by case management when it corrects a report, src/features/cases), oldest
   * first: the first holds the report as it was sent.
   */
  versions(tx: Tx, orgId: string, incidentId: string) {
    return tx
      .selectFrom('incident_versions')
      .select(['version', 'snapshot', 'changed_at'])
      .where('org_id', '=', orgId)
      .where('incident_id', '=', incidentId)
      .orderBy('version')
      .execute();
  },

  // ---- drafts ----------------------------------------------------------------------------------------------
  // The report form's draft: one per person per organisation (`source = 'form'`, migration IncidentDraftsApi).
  draft(tx: Tx, orgId: string, userId: string) {
    return tx
      .selectFrom('incident_drafts')
      .select(['data', 'updated_at'])
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('source', '=', 'form')
      .executeTakeFirst();
  },
  saveDraft(tx: Tx, orgId: string, userId: string, data: unknown) {
    const json = JSON.stringify(data);
    return tx
      .insertInto('incident_drafts')
      .values({ org_id: orgId, user_id: userId, data: json, source: 'form' })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).where('source', '=', 'form').doUpdateSet({ data: json }))
      .returning(['updated_at'])
      .executeTakeFirstOrThrow();
  },
  async deleteDraft(tx: Tx, orgId: string, userId: string): Promise<boolean> {
    const r = await tx.deleteFrom('incident_drafts').where('org_id', '=', orgId).where('user_id', '=', userId).where('source', '=', 'form').executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  // Drafts made through the JSON API: several per person, each by id, only ever the person's own.
  apiDrafts(tx: Tx, orgId: string, userId: string) {
    return tx
      .selectFrom('incident_drafts')
      .select(['id', 'data', 'created_at', 'updated_at'])
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('source', '=', 'api')
      .orderBy('updated_at', 'desc')
      .limit(500)
      .execute();
  },
  async countApiDrafts(tx: Tx, orgId: string, userId: string) {
    const r = await tx
      .selectFrom('incident_drafts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('source', '=', 'api')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  apiDraft(tx: Tx, orgId: string, userId: string, id: string, lock = false) {
    let q = tx
      .selectFrom('incident_drafts')
      .select(['id', 'data', 'created_at', 'updated_at'])
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('source', '=', 'api')
      .where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  },
  insertApiDraft(tx: Tx, orgId: string, userId: string, data: unknown) {
    return tx
      .insertInto('incident_drafts')
      .values({ org_id: orgId, user_id: userId, data: JSON.stringify(data), source: 'api' })
      .returning(['id', 'data', 'created_at', 'updated_at'])
      .executeTakeFirstOrThrow();
  },
  updateApiDraft(tx: Tx, orgId: string, userId: string, id: string, data: unknown) {
    return tx
      .updateTable('incident_drafts')
      .set({ data: JSON.stringify(data) })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('source', '=', 'api')
      .where('id', '=', id)
      .returning(['id', 'data', 'created_at', 'updated_at'])
      .executeTakeFirst();
  },
  async deleteApiDraft(tx: Tx, orgId: string, userId: string, id: string): Promise<boolean> {
    const r = await tx
      .deleteFrom('incident_drafts')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('source', '=', 'api')
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  // ---- places of the organisation, for the form ---------------------------------------------------------
  sites(tx: Tx, orgId: string) {
    return tx.selectFrom('sites').select(['id', 'name']).where('org_id', '=', orgId).orderBy('name').execute();
  },
  departments(tx: Tx, orgId: string) {
    return tx.selectFrom('departments').select(['id', 'name', 'site_id']).where('org_id', '=', orgId).orderBy('name').execute();
  },
  findSite(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('sites').select(['id', 'name']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  },
  findDepartment(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('departments').select(['id', 'name', 'site_id']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  },
};

async function reportTogether(db: Database, year: number, reports: ReturnType<typeof report>[]) {
  const { rows } = await sql<{ ord: number; id: string | null; reference: string; status: string; reported_at: Date }>`
    SELECT * FROM warden_report_incidents(${year}, ${JSON.stringify(reports)}::jsonb)
  `.execute(db);
  return rows.map((r) => (r.id ? { id: r.id, reference: r.reference, status: r.status, reported_at: r.reported_at } : null));
}

/** Who sent a report and with which key: what makes a submission the same one (`incidents_idempotency_key`). */
const keyOf = (org: string, submitter: string | null, key: string) => `${org} ${submitter} ${key}`;
const submissionKey = (r: ReturnType<typeof report>) => keyOf(r.org, r.incident.reported_by ?? r.incident.reported_by_token, r.incident.idempotency_key);

/** The submission keys of these reports that committed reports already hold. */
async function takenKeys(tx: Tx, reports: ReturnType<typeof report>[]) {
  const rows = await tx
    .selectFrom('incidents')
    .select(['org_id', 'submitter', 'idempotency_key'])
    .where((eb) =>
      eb.or(
        reports.map((r) =>
          eb.and([
            eb('org_id', '=', r.org),
            eb('submitter', '=', (r.incident.reported_by ?? r.incident.reported_by_token) as string),
            eb('idempotency_key', '=', r.incident.idempotency_key),
          ]),
        ),
      ),
    )
    .execute();
  return new Set(rows.map((k) => keyOf(k.org_id, k.submitter, k.idempotency_key)));
}

/** A report as the intake functions take it: the incident's columns, its people, the actor and the audit event. */
export function report(n: NewIncident, actorId: string | null, auditEvent: ReturnType<typeof auditRecord>) {
  const i = n.input;
  const people = [
    ...i.affected.map((p, position) => ({ involvement: 'affected', position, ...person(p) })),
    ...i.assailants.map((p, position) => ({ involvement: 'assailant', position, ...person(p) })),
  ];
  const incident = {
    category: i.category,
    occurred_at: i.occurredAt,
    reported_at: n.reportedAt,
    reported_by: n.reportedBy,
    reported_by_token: n.reportedByToken,
    location_kind: i.locationKind,
    site_id: i.siteId,
    department_id: i.departmentId,
    location_detail: i.locationDetail,
    community_address: i.communityAddress,
    shift_ends_at: i.shiftEndsAt,
    is_late: n.late,
    late_reason: n.lateReason,
    medical_factors: i.medicalFactors,
    aggravating_factors: i.aggravatingFactors,
    injured: i.injured,
    injury_description: i.injuryDescription,
    examined_within_48h: i.examinedWithin48h,
    police_involved: i.policeInvolved,
    police_attended: i.policeAttended,
    police_officer_name: i.policeOfficerName,
    police_officer_number: i.policeOfficerNumber,
    police_station: i.policeStation,
    crime_reference: i.crimeReference,
    cad_number: i.cadNumber,
    property_description: i.propertyDescription,
    property_value_pence: i.propertyValuePence,
    witnesses: i.witnesses,
    narrative: i.narrative,
    marker_requested: i.markerRequested,
    marker_reason: i.markerReason,
    idempotency_key: n.idempotencyKey,
    idempotency_fingerprint: n.fingerprint,
  };
  return { org: n.orgId, incident, people, actor: actorId, audit: auditEvent };
}

function person(p: IncidentInput['affected'][number] | IncidentInput['assailants'][number]) {
  return {
    person_type: p.type,
    name: p.name ?? null,
    date_of_birth: p.dateOfBirth ?? null,
    staff_role: p.staffRole ?? null,
    description: p.description ?? null,
  };
}
