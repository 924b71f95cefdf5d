import { type Kysely, sql } from 'kysely';

/**
 * Incident intake in as few round trips as possible (issue 4, intake benchmark).
 *
 * Measured on these machines: each query costs the application about 0.1 ms of CPU (most of it the socket write),
 * and an API submission took ten of them: a transaction to look up the bearer token (BEGIN, scope, SELECT,
 * COMMIT) and one to report (BEGIN, scope, idempotency lookup, insert, audit, COMMIT). Two functions make that two:
 *
 * - `warden_api_token(hash)`: the token with its organisation, user and whether the role is still held, read
 *   with the deployment-wide scope set inside the call (row-level security still applies: the function runs as
 *   its caller, `warden_app`).
 * - `warden_report_incident(org, year, incident, people, actor, audit)`: sets the organisation's scope, then in
 *   one statement numbers the report from the organisation's counter, inserts the incident, its people, its first
 *   status event and its audit event. The idempotency key is enforced by the unique constraint: when a report
 *   with the same submitter and key exists, the function raises SQLSTATE `WD001`, so the statement's transaction
 *   (and with it the reference number it took) rolls back; the caller then returns the existing report.
 *
 * Called outside a transaction (the API), the call is its own transaction; inside one (the form's
 * check-your-answers submission, which also deletes the draft), it is part of it. The values are checked by the
 * service (Zod, places, lateness) before the call; the database's constraints check them again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION warden_api_token(p_hash text)
    RETURNS TABLE (id uuid, org_id uuid, user_id uuid, name text, role text, last_used_at timestamptz,
                   expires_at timestamptz, revoked_at timestamptz, org_name text, user_name text, user_email text,
                   user_active boolean, role_held boolean)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    BEGIN
      PERFORM set_config('app.org_id', '', true), set_config('app.scope', 'all', true);
      RETURN QUERY
        SELECT t.id, t.org_id, t.user_id, t.name, t.role, t.last_used_at, t.expires_at, t.revoked_at,
               o.name, u.name, u.email, u.is_active,
               EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.org_id = t.org_id AND r.role = t.role)
        FROM api_tokens t
        JOIN organisations o ON o.id = t.org_id
        LEFT JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = p_hash;
    END $$;

    CREATE FUNCTION warden_report_incident(p_org uuid, p_year integer, p_incident jsonb, p_people jsonb, p_actor uuid, p_audit jsonb)
    RETURNS TABLE (id uuid, reference text, status text, reported_at timestamptz)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      made record;
    BEGIN
      PERFORM set_config('app.org_id', p_org::text, true), set_config('app.scope', '', true);
      WITH counter AS (
        INSERT INTO incident_reference_counters AS c (org_id, year, last_value) VALUES (p_org, p_year, 1)
        ON CONFLICT (org_id, year) DO UPDATE SET last_value = c.last_value + 1
        RETURNING last_value
      ), ref AS (
        -- formatReference() in src/domain/incidents.ts: <CODE>-<YYYY>-<at least 6 digits>
        SELECT upper(o.code) || '-' || p_year::text || '-' ||
          CASE WHEN counter.last_value < 1000000 THEN lpad(counter.last_value::text, 6, '0') ELSE counter.last_value::text END AS reference
        FROM counter, organisations o WHERE o.id = p_org
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
          p_org, ref.reference, n.category, n.occurred_at, n.reported_at, n.reported_by, n.reported_by_token,
          n.location_kind, n.site_id, n.department_id, n.location_detail, n.community_address,
          n.shift_ends_at, n.is_late, n.late_reason, n.medical_factors, coalesce(n.aggravating_factors, '{}'),
          n.injured, n.injury_description, n.examined_within_48h,
          n.police_involved, n.police_attended, n.police_officer_name, n.police_officer_number, n.police_station, n.crime_reference, n.cad_number,
          n.property_description, n.property_value_pence, n.witnesses, n.narrative, n.idempotency_key, n.idempotency_fingerprint
        FROM ref, jsonb_populate_record(NULL::incidents, p_incident) n
        ON CONFLICT ON CONSTRAINT incidents_idempotency_key DO NOTHING
        RETURNING incidents.id, incidents.reference, incidents.status, incidents.reported_at
      ), people AS (
        INSERT INTO incident_people (org_id, incident_id, involvement, position, person_type, name, date_of_birth, staff_role, description)
        SELECT p_org, inc.id, p.involvement, p.position, p.person_type, p.name, p.date_of_birth, p.staff_role, p.description
        FROM inc, jsonb_to_recordset(p_people)
          AS p(involvement text, position integer, person_type text, name text, date_of_birth date, staff_role text, description text)
      ), event AS (
        INSERT INTO incident_events (org_id, incident_id, actor_id, from_status, to_status, reason)
        SELECT p_org, inc.id, p_actor, NULL, 'reported', 'Reported' FROM inc
      ), audited AS (
        -- the audit event of src/platform/audit.ts, with the new incident's id and reference added
        INSERT INTO audit_events (actor_id, org_id, action, object_type, object_id, outcome, request_id, detail)
        SELECT a.actor_id, a.org_id, a.action, a.object_type, inc.id::text, a.outcome, a.request_id,
               a.detail || jsonb_build_object('reference', inc.reference)
        FROM inc, jsonb_populate_record(NULL::audit_events, p_audit) a
      )
      SELECT inc.id, inc.reference, inc.status, inc.reported_at INTO made FROM inc;
      IF made.id IS NULL THEN
        RAISE EXCEPTION 'a report with this idempotency key already exists' USING ERRCODE = 'WD001';
      END IF;
      RETURN QUERY SELECT made.id, made.reference, made.status, made.reported_at;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS warden_report_incident(uuid, integer, jsonb, jsonb, uuid, jsonb);
    DROP FUNCTION IF EXISTS warden_api_token(text);
  `.execute(db);
}
