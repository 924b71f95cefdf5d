import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * The platform: organisations and their sites, departments and headcounts; users, roles and sessions; instance
 * settings; the append-only, hash-chained audit trail; and the `warden_app` role the application runs as.
 *
 * Tenant tables carry `org_id` and have forced row-level security: `warden_app` sees a row only when its
 * `org_id` is the organisation set for the transaction (`app.org_id`) or the transaction is deployment-wide
 * (`app.scope = 'all'`, used by system administration and national aggregates).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The migrating role owns the tables; it keeps full access to them through an explicit policy.
  const { rows } = await sql<{ owner: string }>`select current_user as owner`.execute(db);
  const owner = rows[0]?.owner ?? 'postgres';
  await sql`
    DO $$ BEGIN
      CREATE ROLE warden_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$;
  `.execute(db);
  // The connecting role must be able to SET ROLE warden_app.
  await sql`DO $$ BEGIN EXECUTE format('GRANT warden_app TO %I', current_user); EXCEPTION WHEN others THEN NULL; END $$`.execute(db);
  await sql`GRANT USAGE ON SCHEMA public TO warden_app`.execute(db);

  await sql`
    CREATE FUNCTION warden_current_org() RETURNS uuid LANGUAGE sql STABLE AS
      $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
    CREATE FUNCTION warden_all_orgs() RETURNS boolean LANGUAGE sql STABLE AS
      $$ SELECT coalesce(current_setting('app.scope', true), '') = 'all' $$;
    CREATE FUNCTION warden_touch() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

    CREATE TABLE organisations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      code text NOT NULL,
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      type text NOT NULL CHECK (type IN ('acute','ambulance','mental_health','community','commissioner','national_body')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX organisations_code_key ON organisations (upper(code));
    CREATE TRIGGER organisations_touch BEFORE UPDATE ON organisations FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE sites (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      address text NOT NULL,
      postcode text,
      is_large boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, name),
      UNIQUE (org_id, id)
    );
    CREATE TRIGGER sites_touch BEFORE UPDATE ON sites FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE departments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      site_id uuid,
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, name),
      -- a department's site must belong to the same organisation
      FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
    );
    CREATE TRIGGER departments_touch BEFORE UPDATE ON departments FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE staff_headcounts (
      org_id uuid NOT NULL REFERENCES organisations(id),
      financial_year integer NOT NULL CHECK (financial_year BETWEEN 2000 AND 2100),
      headcount integer NOT NULL CHECK (headcount >= 0),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, financial_year)
    );
    CREATE TRIGGER staff_headcounts_touch BEFORE UPDATE ON staff_headcounts FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL,
      name text NOT NULL,
      password_hash text,
      is_active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));
    CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE user_roles (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      org_id uuid REFERENCES organisations(id),
      role text NOT NULL CHECK (role IN ('reporter','manager','security_specialist','smd','board_viewer','commissioner','national_assessor','administrator')),
      created_at timestamptz NOT NULL DEFAULT now(),
      -- only deployment-wide roles may have no organisation
      CHECK (org_id IS NOT NULL OR role IN ('administrator','national_assessor'))
    );
    CREATE UNIQUE INDEX user_roles_key ON user_roles (user_id, coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), role);

    CREATE TABLE sessions (
      id text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      org_id uuid REFERENCES organisations(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      ended_at timestamptz,
      ip text,
      user_agent text
    );
    CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;

    CREATE TABLE instance_settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);

  for (const table of ['sites', 'departments', 'staff_headcounts']) await tenantTable(db, table, 'SELECT, INSERT, UPDATE');
  // Reference and identity tables: read by sign-in across organisations; access is checked in the services.
  await sql`GRANT SELECT, INSERT, UPDATE ON organisations, users, user_roles, sessions, instance_settings TO warden_app`.execute(db);

  // The audit trail: append-only and hash-chained. Each row's hash covers its content and the previous row's
  // hash, in `seq` order; `seq` is assigned under a transaction-scoped advisory lock so the chain has no forks.
  await sql`
    CREATE TABLE audit_events (
      id bigserial PRIMARY KEY,
      seq bigint NOT NULL UNIQUE,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid,
      org_id uuid,
      action text NOT NULL,
      object_type text,
      object_id text,
      outcome text NOT NULL CHECK (outcome IN ('success','denied','failure')),
      request_id text,
      detail jsonb NOT NULL DEFAULT '{}'::jsonb,
      prev_hash text NOT NULL,
      hash text NOT NULL
    );
    CREATE INDEX audit_events_org_at ON audit_events (org_id, at DESC);

    CREATE FUNCTION warden_audit_hash(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT encode(sha256(convert_to(concat_ws('|',
        e.prev_hash, e.seq::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(e.actor_id::text, ''), coalesce(e.org_id::text, ''), e.action, coalesce(e.object_type, ''),
        coalesce(e.object_id, ''), e.outcome, coalesce(e.request_id, ''), e.detail::text), 'UTF8')), 'hex')
    $$;

    CREATE FUNCTION warden_audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE last record;
    BEGIN
      PERFORM pg_advisory_xact_lock(727001);
      SELECT seq, hash INTO last FROM audit_events ORDER BY seq DESC LIMIT 1;
      NEW.seq := coalesce(last.seq, 0) + 1;
      NEW.prev_hash := coalesce(last.hash, repeat('0', 64));
      NEW.at := date_trunc('microseconds', clock_timestamp());
      NEW.hash := warden_audit_hash(NEW);
      RETURN NEW;
    END $$;
    CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION warden_audit_chain();

    CREATE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only();
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_append_only();

    ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_read ON audit_events FOR SELECT TO warden_app USING (org_id = warden_current_org() OR warden_all_orgs());
    CREATE POLICY append ON audit_events FOR INSERT TO warden_app WITH CHECK (true);
    GRANT SELECT, INSERT ON audit_events TO warden_app;
    GRANT USAGE ON SEQUENCE audit_events_id_seq TO warden_app;
  `.execute(db);
  await sql`CREATE POLICY owner ON audit_events TO ${sql.id(owner)} USING (true) WITH CHECK (true)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS audit_events, instance_settings, sessions, user_roles, users, staff_headcounts, departments, sites, organisations CASCADE;
    DROP FUNCTION IF EXISTS warden_audit_append_only(), warden_audit_chain(), warden_audit_hash(audit_events), warden_touch(), warden_all_orgs(), warden_current_org();
  `.execute(db);
}
