import { type Kysely, sql } from 'kysely';

/**
 * Reports that arrive together are stored together (issue 4, intake benchmark).
 *
 * Measured on these machines (bench/intake.ts, 5 December 2026): with one call of `warden_report_incident` per
 * report, one organisation's reports queued one at a time on its reference counter row, locked from the report's
 * statement to the end of its COMMIT, and each call carried about 2 ms of fixed cost in the server whatever it
 * inserted (probably per-statement set-up of the six target tables; the roll-up trigger about 0.5 ms of it).
 * Reports are now queued in the application (src/features/incidents/service.ts, with platform/batcher.ts) and
 * those that arrive while a call runs are sent together in the next: one statement, one COMMIT (and fsync) and one run of the roll-up triggers for the lot.
 *
 * `warden_report_incidents(year, batch)`: `batch` is a JSON array of `{ org, incident, people, actor, audit }`,
 * each as `warden_report_incident` takes them. The function
 * 1. takes the counter rows' locks first, in organisation order, so every other report of those organisations and
 *    that year (this function and `warden_report_incident`, which takes its row before inserting) waits for it;
 * 2. leaves out an item whose submitter and idempotency key a committed report of its organisation has, or an
 *    earlier item of the batch: it is returned with a null id, and the caller answers it from the report that has
 *    the key;
 * 3. numbers the rest consecutively per organisation from its counter, inserts them with their people, first status
 *    events and audit events in one statement, and moves each counter on by the number inserted (no gap, no reuse).
 * Rows come back as `(ord, id, reference, status, reported_at)`, `ord` being the item's 1-based position.
 * A conflict the check in 2 did not foresee is not swallowed: the statement fails, nothing is written, and the
 * caller tries the items again one by one, so that one bad report cannot sink the others. The counter may now
 * stand at 0 (its row taken, no number given yet). The caller's row-level-security scope is put back before the
 * function returns, so a call inside a scoped transaction does not leave it deployment-wide.
 *
 * `warden_api_tokens(hashes)`: `warden_api_token` for several bearer tokens at once, with each row's hash, so that
 * the API requests arriving together are authenticated by one call too (src/features/tokens/service.ts). It puts
 * the caller's scope back too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- 0: the year's row exists, no number taken yet (the batch takes the row's lock before it knows how many)
    ALTER TABLE incident_reference_counters DROP CONSTRAINT incident_reference_counters_last_value_check,
      ADD CONSTRAINT incident_reference_counters_last_value_check CHECK (last_value >= 0);
    CREATE FUNCTION warden_api_tokens(p_hashes text[])
    RETURNS TABLE (token_hash text, id uuid, org_id uuid, user_id uuid, name text, role text, last_used_at timestamptz,
                   expires_at timestamptz, revoked_at timestamptz, org_name text, user_name text, user_email text,
                   user_active boolean, role_held boolean)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      v_org text := coalesce(current_setting('app.org_id', true), '');
      v_scope text := coalesce(current_setting('app.scope', true), '');
    BEGIN
      PERFORM set_config('app.org_id', '', true), set_config('app.scope', 'all', true);
      RETURN QUERY
        SELECT t.token_hash, t.id, t.org_id, t.user_id, t.name, t.role, t.last_used_at, t.expires_at, t.revoked_at,
               o.name, u.name, u.email, u.is_active,
               EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.org_id = t.org_id AND r.role = t.role)
        FROM api_tokens t
        JOIN organisations o ON o.id = t.org_id
        LEFT JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = ANY (p_hashes);
      PERFORM set_config('app.org_id', v_org, true), set_config('app.scope', v_scope, true);
    END $$;

  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS warden_report_incidents(integer, jsonb);
    DROP FUNCTION IF EXISTS warden_api_tokens(text[]);
    DELETE FROM incident_reference_counters WHERE last_value = 0;
    ALTER TABLE incident_reference_counters DROP CONSTRAINT incident_reference_counters_last_value_check,
      ADD CONSTRAINT incident_reference_counters_last_value_check CHECK (last_value > 0);
  `.execute(db);
}

/** `warden_report_incidents` as this migration made it (migration 20261206090000-IntakeKeysOnInsert puts it back on `down`). */
export const reportIncidents = `
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
        WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.org_id = b.org AND i.submitter = b.submitter AND i.idempotency_key = b.key)
          AND NOT EXISTS (SELECT 1 FROM b AS e WHERE e.ord < b.ord AND e.org = b.org AND e.submitter = b.submitter AND e.key = b.key)
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
      SELECT b.ord, made.id, made.reference, made.status, made.reported_at
      FROM b LEFT JOIN made ON made.ord = b.ord
      ORDER BY b.ord;
      PERFORM set_config('app.org_id', v_org, true), set_config('app.scope', v_scope, true);
    END $$;
`;
