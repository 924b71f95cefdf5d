import { type Kysely, sql } from 'kysely';
import { reportIncidents as before } from './20261205300000-IntakeBatches.ts';

/**
 * A batch of reports no longer looks its keys up among the submitter's earlier reports (issue 4).
 *
 * `warden_report_incidents` (migration 20261205300000-IntakeBatches) left out a report whose submitter and key a
 * committed report already had, by looking for it before inserting. Measured on 6 December 2026, PostgreSQL
 * answered that look-up through `incidents_reporter (org_id, submitter, reported_at)` instead of the unique key
 * whenever the table's statistics were older than its growth (a new deployment, a busy day, the benchmark):
 * it then read every earlier report of the submitter for every report of the batch (7,490 rows each, 64 ms for a
 * batch of 32, in one probe), so intake slowed as an integration's reports accumulated. After ANALYZE the plan
 * was right again, but intake must not depend on it.
 *
 * Now the insert itself meets a taken key, through the unique constraint (`ON CONFLICT … DO NOTHING`), as the
 * single-report function does; a report numbered but not inserted would leave a gap, so the call then fails with
 * SQLSTATE `WD002` and writes nothing. The application (incidents repository, `insertMany`) then looks the
 * batch's keys up, leaves out those taken (answered from the reports that hold them) and sends the rest again
 * together. A taken key is a retry of a committed report, which is rare, so the look-up is paid only then;
 * repeated keys inside one batch are still left out without failing it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION warden_intake_key_taken() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      RAISE EXCEPTION 'a report in this batch has an idempotency key a committed report already has'
        USING ERRCODE = 'WD002', HINT = 'Send the batch''s reports one at a time.';
    END $$;
  `.execute(db);
  await sql.raw(reportIncidents).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(before).execute(db);
  await sql`DROP FUNCTION warden_intake_key_taken()`.execute(db);
}

const reportIncidents = `
    CREATE OR REPLACE FUNCTION warden_report_incidents(p_year integer, p_batch jsonb)
    RETURNS TABLE (ord integer, id uuid, reference text, status text, reported_at timestamptz)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      v_last jsonb;
      -- the caller's scope, put back before returning: called inside a scoped transaction, the batch must not
      -- leave that transaction able to see every organisation
      v_org text := coalesce(current_setting('app.org_id', true), '');
      v_scope text := coalesce(current_setting('app.scope', true), '');
    BEGIN
      -- Deployment-wide, as a batch may hold several organisations' reports; each row's organisation is the one
      -- its reporter acts for (the service sets it from the authenticated actor, never from the request).
      PERFORM set_config('app.org_id', '', true), set_config('app.scope', 'all', true);
      -- The counter rows' locks, in organisation order (two batches never wait for each other in a circle).
      WITH taken AS (
        INSERT INTO incident_reference_counters AS c (org_id, year, last_value)
        SELECT DISTINCT (x.item->>'org')::uuid, p_year, 0 FROM jsonb_array_elements(p_batch) AS x(item) ORDER BY 1
        ON CONFLICT (org_id, year) DO UPDATE SET last_value = c.last_value
        RETURNING c.org_id, c.last_value
      )
      SELECT jsonb_object_agg(taken.org_id::text, taken.last_value) INTO v_last FROM taken;
      RETURN QUERY
      WITH b AS (
        SELECT x.ord::integer AS ord, x.item, (x.item->>'org')::uuid AS org,
               coalesce(x.item #>> '{incident,reported_by}', x.item #>> '{incident,reported_by_token}')::uuid AS submitter,
               x.item #>> '{incident,idempotency_key}' AS key
        FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS x(item, ord)
      ), fresh AS (
        SELECT b.ord, b.item, b.org, (v_last->>b.org::text)::bigint + row_number() OVER (PARTITION BY b.org ORDER BY b.ord) AS n
        FROM b
        WHERE NOT EXISTS (SELECT 1 FROM b AS e WHERE e.ord < b.ord AND e.org = b.org AND e.submitter = b.submitter AND e.key = b.key)
      ), numbered AS (
        -- formatReference() in src/domain/incidents.ts: <CODE>-<YYYY>-<at least 6 digits>
        SELECT fresh.ord, fresh.item, fresh.org, upper(o.code) || '-' || p_year::text || '-' ||
          CASE WHEN fresh.n < 1000000 THEN lpad(fresh.n::text, 6, '0') ELSE fresh.n::text END AS reference
        FROM fresh JOIN organisations o ON o.id = fresh.org
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
          numbered.org, numbered.reference, n.category, n.occurred_at, n.reported_at, n.reported_by, n.reported_by_token,
          n.location_kind, n.site_id, n.department_id, n.location_detail, n.community_address,
          n.shift_ends_at, n.is_late, n.late_reason, n.medical_factors, coalesce(n.aggravating_factors, '{}'),
          n.injured, n.injury_description, n.examined_within_48h,
          n.police_involved, n.police_attended, n.police_officer_name, n.police_officer_number, n.police_station, n.crime_reference, n.cad_number,
          n.property_description, n.property_value_pence, n.witnesses, n.narrative, n.idempotency_key, n.idempotency_fingerprint
        FROM numbered, jsonb_populate_record(NULL::incidents, numbered.item->'incident') n
        ORDER BY numbered.ord
        -- a key a committed report holds: not inserted here, and the whole call refused below
        ON CONFLICT ON CONSTRAINT incidents_idempotency_key DO NOTHING
        RETURNING incidents.id, incidents.org_id, incidents.reference, incidents.status, incidents.reported_at
      ), made AS (
        SELECT numbered.ord, numbered.item, numbered.org, inc.id, inc.reference, inc.status, inc.reported_at
        FROM inc JOIN numbered ON numbered.org = inc.org_id AND numbered.reference = inc.reference
      ), people AS (
        INSERT INTO incident_people (org_id, incident_id, involvement, position, person_type, name, date_of_birth, staff_role, description)
        SELECT made.org, made.id, p.involvement, p.position, p.person_type, p.name, p.date_of_birth, p.staff_role, p.description
        FROM made, jsonb_to_recordset(made.item->'people')
          AS p(involvement text, position integer, person_type text, name text, date_of_birth date, staff_role text, description text)
      ), event AS (
        INSERT INTO incident_events (org_id, incident_id, actor_id, from_status, to_status, reason)
        SELECT made.org, made.id, (made.item->>'actor')::uuid, NULL, 'reported', 'Reported' FROM made
      ), audited AS (
        -- the audit event of src/platform/audit.ts, with the new incident's id and reference added
        INSERT INTO audit_events (actor_id, org_id, action, object_type, object_id, outcome, request_id, detail)
        SELECT a.actor_id, a.org_id, a.action, a.object_type, made.id::text, a.outcome, a.request_id,
               a.detail || jsonb_build_object('reference', made.reference)
        FROM made, jsonb_populate_record(NULL::audit_events, made.item->'audit') a
        ORDER BY made.ord
      ), counted AS (
        UPDATE incident_reference_counters c SET last_value = (v_last->>c.org_id::text)::bigint + m.n
        FROM (SELECT made.org, count(*) AS n FROM made GROUP BY made.org) m
        WHERE c.org_id = m.org AND c.year = p_year
      )
      SELECT b.ord,
             -- numbered but not inserted: its key was taken, so its number would be a gap
             CASE WHEN made.id IS NULL AND fresh.ord IS NOT NULL THEN warden_intake_key_taken() ELSE made.id END,
             made.reference, made.status, made.reported_at
      FROM b LEFT JOIN made ON made.ord = b.ord LEFT JOIN fresh ON fresh.ord = b.ord
      ORDER BY b.ord;
      PERFORM set_config('app.org_id', v_org, true), set_config('app.scope', v_scope, true);
    END $$;
`;
