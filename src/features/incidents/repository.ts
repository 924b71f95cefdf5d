import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
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

/** The only code that touches the incident tables. Every query runs in a scoped transaction (tenancy.ts). */
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
   * Numbers and inserts the incident, its people and its first status event in one statement. The reference is
   * `formatReference(code, year, n)` (src/domain/incidents.ts) computed in SQL from the organisation's counter for
   * `year`, bumped in the same statement: the counter row stays locked until the transaction ends, so concurrent
   * reports of one organisation take consecutive numbers, and a rolled-back report leaves no gap. Doing it in one
   * statement keeps that lock for as few round trips as possible.
   *
   * Returns undefined when the submitter's idempotency key is already taken (a concurrent duplicate committed
   * first); the caller must then roll back, which also returns the number it took.
   */
  async insert(tx: Tx, n: NewIncident, actorId: string | null) {
    const i = n.input;
    const people = [
      ...i.affected.map((p, position) => ({ involvement: 'affected', position, ...person(p) })),
      ...i.assailants.map((p, position) => ({ involvement: 'assailant', position, ...person(p) })),
    ];
    const { rows } = await sql<{ id: string; reference: string; status: string; reported_at: Date }>`
      WITH counter AS (
        INSERT INTO incident_reference_counters AS c (org_id, year, last_value) VALUES (${n.orgId}, ${n.year}, 1)
        ON CONFLICT (org_id, year) DO UPDATE SET last_value = c.last_value + 1
        RETURNING last_value
      ), ref AS (
        SELECT upper(o.code) || '-' || ${String(n.year)} || '-' ||
          CASE WHEN counter.last_value < 1000000 THEN lpad(counter.last_value::text, 6, '0') ELSE counter.last_value::text END AS reference
        FROM counter, organisations o WHERE o.id = ${n.orgId}
      ), inc AS (
        INSERT INTO incidents (
          org_id, reference, category, occurred_at, reported_at, reported_by, reported_by_token,
          location_kind, site_id, department_id, location_detail, community_address,
          shift_ends_at, is_late, late_reason, medical_factors, aggravating_factors,
          injured, injury_description, examined_within_48h,
          police_involved, police_attended, police_officer_name, police_officer_number, police_station, crime_reference, cad_number,
          property_description, property_value_pence, witnesses, narrative, idempotency_key, idempotency_fingerprint
        )
        SELECT
          ${n.orgId}, ref.reference, ${i.category}, ${i.occurredAt}, ${n.reportedAt}, ${n.reportedBy}, ${n.reportedByToken},
          ${i.locationKind}, ${i.siteId}, ${i.departmentId}, ${i.locationDetail}, ${i.communityAddress},
          ${i.shiftEndsAt}, ${n.late}, ${n.lateReason}, ${i.medicalFactors}, ${i.aggravatingFactors}::text[],
          ${i.injured}, ${i.injuryDescription}, ${i.examinedWithin48h},
          ${i.policeInvolved}, ${i.policeAttended}, ${i.policeOfficerName}, ${i.policeOfficerNumber}, ${i.policeStation},
          ${i.crimeReference}, ${i.cadNumber},
          ${i.propertyDescription}, ${i.propertyValuePence}, ${i.witnesses}, ${i.narrative}, ${n.idempotencyKey}, ${n.fingerprint}
        FROM ref
        ON CONFLICT ON CONSTRAINT incidents_idempotency_key DO NOTHING
        RETURNING id, reference, status, reported_at
      ), people AS (
        INSERT INTO incident_people (org_id, incident_id, involvement, position, person_type, name, date_of_birth, staff_role, description)
        SELECT ${n.orgId}, inc.id, p.involvement, p.position, p.person_type, p.name, p.date_of_birth, p.staff_role, p.description
        FROM inc, jsonb_to_recordset(${JSON.stringify(people)}::jsonb)
          AS p(involvement text, position integer, person_type text, name text, date_of_birth date, staff_role text, description text)
      ), event AS (
        INSERT INTO incident_events (org_id, incident_id, actor_id, from_status, to_status, reason)
        SELECT ${n.orgId}, inc.id, ${actorId}, NULL, 'reported', 'Reported' FROM inc
      )
      SELECT id, reference, status, reported_at FROM inc
    `.execute(tx);
    return rows[0];
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

  // ---- drafts --------------------------------------------------------------------------------------------
  draft(tx: Tx, orgId: string, userId: string) {
    return tx.selectFrom('incident_drafts').select(['data', 'updated_at']).where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  },
  saveDraft(tx: Tx, orgId: string, userId: string, data: unknown) {
    const json = JSON.stringify(data);
    return tx
      .insertInto('incident_drafts')
      .values({ org_id: orgId, user_id: userId, data: json })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ data: json }))
      .returning(['updated_at'])
      .executeTakeFirstOrThrow();
  },
  async deleteDraft(tx: Tx, orgId: string, userId: string): Promise<boolean> {
    const r = await tx.deleteFrom('incident_drafts').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
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

function person(p: IncidentInput['affected'][number] | IncidentInput['assailants'][number]) {
  return {
    person_type: p.type,
    name: p.name ?? null,
    date_of_birth: p.dateOfBirth ?? null,
    staff_role: p.staffRole ?? null,
    description: p.description ?? null,
  };
}
