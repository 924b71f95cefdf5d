import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Incidents, designed for the whole case lifecycle (SPEC C2, C3; issue 4):
 *
 * - `incidents`: one row per case, holding the current version of the report and its status. A readable
 *   reference per organisation (`RXX-2026-000123`) comes from `incident_reference_counters`, a per-organisation,
 *   per-year counter updated in the reporting transaction, so references are unique and have no gaps.
 *   Submission is idempotent: `(org_id, submitter, idempotency_key)` is unique and inserts use ON CONFLICT.
 * - `incident_people`: people affected and assailants (`003 §3.2.5, §3.2.9`).
 * - `incident_events`: the status history (who, when, from, to, why). Append-only.
 * - `incident_versions`: the previous content of a corrected report; nothing is overwritten without a copy.
 * - `incident_drafts`: a reporter's unfinished report, as the form values (one per person per organisation).
 *
 * Every table is a tenant table with forced row-level security by `org_id`, exactly like `sites`.
 * `search` is a generated full-text vector over the narrative, with a GIN index, for case lists to search.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- lets incidents reference a department of the same organisation (as departments do with sites)
    CREATE UNIQUE INDEX IF NOT EXISTS departments_org_id_id_key ON departments (org_id, id);

    CREATE TABLE incident_reference_counters (
      org_id uuid NOT NULL REFERENCES organisations(id),
      year integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
      last_value integer NOT NULL CHECK (last_value > 0),
      PRIMARY KEY (org_id, year)
    );

    CREATE TABLE incidents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      reference text NOT NULL,
      status text NOT NULL DEFAULT 'reported'
        CHECK (status IN ('reported','triaged','under_investigation','awaiting_decision','closed','closed_nfa')),
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      category text NOT NULL CHECK (category IN ('physical_assault','non_physical_assault','theft','criminal_damage','burglary',
        'unauthorised_access','drugs_prescriptions_hazardous','maternity_paediatric','lone_worker','near_miss')),
      occurred_at timestamptz NOT NULL,
      reported_at timestamptz NOT NULL DEFAULT now(),
      -- a person, or (later) an integration's service token; one of them is always set
      reported_by uuid REFERENCES users(id),
      reported_by_token uuid REFERENCES api_tokens(id),
      submitter uuid GENERATED ALWAYS AS (coalesce(reported_by, reported_by_token)) STORED NOT NULL,
      -- where: a site (and optionally a department) of the organisation, or a community address
      location_kind text NOT NULL CHECK (location_kind IN ('site','community')),
      site_id uuid,
      department_id uuid,
      location_detail text,
      community_address text,
      -- 003 §2.2.3.7: report before the end of the shift; late reports are accepted and flagged
      shift_ends_at timestamptz,
      is_late boolean NOT NULL DEFAULT false,
      late_reason text,
      -- 004: assaults involving medical factors are counted apart
      medical_factors text CHECK (medical_factors IN ('yes','no','unknown')),
      -- 003 §3.2.10
      aggravating_factors text[] NOT NULL DEFAULT '{}'
        CHECK (aggravating_factors <@ ARRAY['racist','homophobic','religious','disability','alcohol','drugs']::text[]),
      -- 003 §3.2.4, §3.2.8
      injured boolean NOT NULL DEFAULT false,
      injury_description text,
      examined_within_48h text CHECK (examined_within_48h IN ('yes','not_yet','no')),
      -- 003 §3.2.6, §3.2.7
      police_involved boolean NOT NULL DEFAULT false,
      police_attended boolean NOT NULL DEFAULT false,
      police_officer_name text,
      police_officer_number text,
      police_station text,
      crime_reference text,
      cad_number text,
      property_description text,
      property_value_pence bigint CHECK (property_value_pence >= 0),
      witnesses text,
      narrative text NOT NULL CHECK (length(btrim(narrative)) > 0),
      -- feedback to the reporter (000 §7.2.6, Appendix 1), filled in by case management
      outcome_summary text,
      support_offered text,
      closed_at timestamptz,
      version integer NOT NULL DEFAULT 1 CHECK (version > 0),
      idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
      -- SHA-256 of the submitted input: a key reused for a different report is refused
      idempotency_fingerprint text NOT NULL,
      search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, narrative)) STORED,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, reference),
      UNIQUE (org_id, id),
      CONSTRAINT incidents_idempotency_key UNIQUE (org_id, submitter, idempotency_key),
      FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
      FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id),
      CHECK (location_kind <> 'site' OR site_id IS NOT NULL),
      CHECK (location_kind <> 'community' OR (community_address IS NOT NULL AND site_id IS NULL)),
      CHECK (injured OR (injury_description IS NULL AND examined_within_48h IS NULL)),
      CHECK (police_involved OR NOT police_attended)
    );
    CREATE INDEX incidents_reporter ON incidents (org_id, submitter, reported_at DESC);
    CREATE INDEX incidents_status ON incidents (org_id, status, reported_at DESC);
    CREATE INDEX incidents_occurred ON incidents (org_id, occurred_at DESC);
    CREATE INDEX incidents_search ON incidents USING gin (search);
    CREATE TRIGGER incidents_touch BEFORE UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE incident_people (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      involvement text NOT NULL CHECK (involvement IN ('affected','assailant')),
      position integer NOT NULL DEFAULT 0,
      person_type text NOT NULL CHECK (person_type IN ('staff','patient','visitor','contractor','other','unknown')),
      name text,
      date_of_birth date,
      staff_role text,
      description text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX incident_people_incident ON incident_people (incident_id, involvement, position);
    CREATE TRIGGER incident_people_touch BEFORE UPDATE ON incident_people FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE incident_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid REFERENCES users(id),
      from_status text,
      to_status text NOT NULL,
      reason text,
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

    CREATE TABLE incident_versions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      -- the version number the snapshot had; the incident row now holds a later one
      version integer NOT NULL,
      snapshot jsonb NOT NULL,
      reason text NOT NULL,
      changed_by uuid REFERENCES users(id),
      changed_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (incident_id, version),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );

    CREATE TABLE incident_drafts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      user_id uuid NOT NULL REFERENCES users(id),
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, user_id)
    );
    CREATE TRIGGER incident_drafts_touch BEFORE UPDATE ON incident_drafts FOR EACH ROW EXECUTE FUNCTION warden_touch();

    -- history is append-only for the application role
    CREATE FUNCTION warden_incident_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER incident_events_append_only BEFORE UPDATE OR DELETE ON incident_events
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
    CREATE TRIGGER incident_versions_append_only BEFORE UPDATE OR DELETE ON incident_versions
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
  `.execute(db);

  const grants: [string, string][] = [
    ['incident_reference_counters', 'SELECT, INSERT, UPDATE'],
    ['incidents', 'SELECT, INSERT, UPDATE'],
    ['incident_people', 'SELECT, INSERT, UPDATE'],
    ['incident_events', 'SELECT, INSERT'],
    ['incident_versions', 'SELECT, INSERT'],
    ['incident_drafts', 'SELECT, INSERT, UPDATE, DELETE'],
  ];
  for (const [table, privileges] of grants) await tenantTable(db, table, privileges);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS incident_drafts, incident_versions, incident_events, incident_people, incidents, incident_reference_counters;
    DROP FUNCTION IF EXISTS warden_incident_history_append_only();
    DROP INDEX IF EXISTS departments_org_id_id_key;
  `.execute(db);
}
