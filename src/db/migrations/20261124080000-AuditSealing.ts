import { type Kysely, sql } from 'kysely';

/**
 * Audit sealing (issue 4, intake benchmark): audited transactions no longer serialise on the chain.
 *
 * Before, the BEFORE INSERT trigger `warden_audit_chain` took an advisory lock and held it to COMMIT, so every
 * audited transaction, fsync included, ran one at a time and group commit could not help. Now:
 *
 * - An insert is stored UNSEALED: `seq`, `prev_hash` and `hash` are NULL, `at` is the database's clock, and
 *   `row_hash` is SHA-256 over the row's own content and id (`warden_audit_row_hash`). No lock is taken.
 * - `warden_audit_seal()` (run by `warden start` every 200 ms and by `warden verify-audit` before verifying)
 *   takes the chain's advisory lock for its own short transaction, and gives every committed unsealed row, in id
 *   order, the next `seq`, the previous row's hash and its chain hash (`warden_audit_hash`, unchanged, so the
 *   chain sealed before this migration verifies exactly as before).
 * - The append-only trigger still refuses DELETE, TRUNCATE and every UPDATE, except the sealer's one-time
 *   NULL → value of exactly `seq`, `prev_hash` and `hash`, with every other column unchanged, the hash correct and
 *   the link to the previous sealed row correct.
 *
 * Tamper evidence: a sealed row is covered by the chain as before. A row altered (by someone who can switch the
 * triggers off) in the short window before sealing no longer matches its `row_hash`, which the verifier checks
 * on every row. See ARCHITECTURE.md, "Audit trail".
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_events DISABLE TRIGGER USER;
    ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL,
      ADD COLUMN row_hash text;

    CREATE FUNCTION warden_audit_row_hash(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT encode(sha256(convert_to(concat_ws('|',
        e.id::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(e.actor_id::text, ''), coalesce(e.org_id::text, ''), e.action, coalesce(e.object_type, ''),
        coalesce(e.object_id, ''), e.outcome, coalesce(e.request_id, ''), e.detail::text), 'UTF8')), 'hex')
    $$;
    UPDATE audit_events e SET row_hash = warden_audit_row_hash(e);
    ALTER TABLE audit_events ALTER COLUMN row_hash SET NOT NULL,
      ADD CONSTRAINT audit_events_sealed_together CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));
    CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE seq IS NULL;
    ALTER TABLE audit_events ENABLE TRIGGER USER;

    CREATE OR REPLACE FUNCTION warden_audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      -- Stored unsealed: whatever the inserter sent, the position, link and hash are the sealer's to assign.
      NEW.seq := NULL;
      NEW.prev_hash := NULL;
      NEW.hash := NULL;
      NEW.at := date_trunc('microseconds', clock_timestamp());
      NEW.row_hash := warden_audit_row_hash(NEW);
      RETURN NEW;
    END $$;
  `.execute(db);
  await sql.raw(appendOnly).execute(db);
  await sql.raw(seal).execute(db);
  await sql`
    REVOKE ALL ON FUNCTION warden_audit_seal(integer, boolean) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION warden_audit_seal(integer, boolean) TO warden_app;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Seal whatever is unsealed so the columns can be NOT NULL again, then restore the Platform functions.
  await sql`
    SELECT warden_audit_seal(2147483647);
    DROP FUNCTION warden_audit_seal(integer, boolean);
    CREATE OR REPLACE FUNCTION warden_audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
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
    CREATE OR REPLACE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    DROP INDEX audit_events_unsealed;
    ALTER TABLE audit_events DROP CONSTRAINT audit_events_sealed_together;
    ALTER TABLE audit_events DISABLE TRIGGER USER;
    ALTER TABLE audit_events DROP COLUMN row_hash,
      ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
    ALTER TABLE audit_events ENABLE TRIGGER USER;
    DROP FUNCTION warden_audit_row_hash(audit_events);
  `.execute(db);
}

/** The append-only trigger function of this migration, which checked each sealed row (restored by a later `down`). */
export const appendOnly = `
    CREATE OR REPLACE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
        AND current_setting('warden.audit_sealing', true) = 'on'
        AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
        AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
        AND (NEW.id, NEW.at, NEW.actor_id, NEW.org_id, NEW.action, NEW.object_type, NEW.object_id, NEW.outcome,
             NEW.request_id, NEW.detail, NEW.row_hash)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.at, OLD.actor_id, OLD.org_id, OLD.action, OLD.object_type, OLD.object_id, OLD.outcome,
             OLD.request_id, OLD.detail, OLD.row_hash)
        AND NEW.hash = warden_audit_hash(NEW)
        AND ((NEW.seq = 1 AND NEW.prev_hash = repeat('0', 64))
             OR EXISTS (SELECT 1 FROM audit_events p WHERE p.seq = NEW.seq - 1 AND p.hash = NEW.prev_hash))
      THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
`;

/** The sealer of this migration, one UPDATE a row (restored by a later `down`). */
export const seal = `
    CREATE OR REPLACE FUNCTION warden_audit_seal(max_rows integer DEFAULT 10000, wait boolean DEFAULT true) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE
      last_seq bigint;
      last_hash text;
      r audit_events;
      n integer := 0;
    BEGIN
      IF wait THEN
        PERFORM pg_advisory_xact_lock(727001);
      ELSIF NOT pg_try_advisory_xact_lock(727001) THEN
        RETURN 0;
      END IF;
      PERFORM set_config('warden.audit_sealing', 'on', true);
      SELECT max(seq) INTO last_seq FROM audit_events;
      IF last_seq IS NULL THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
      ELSE
        SELECT hash INTO last_hash FROM audit_events WHERE seq = last_seq;
      END IF;
      -- Committed rows only (a statement sees no other transaction's uncommitted rows); a row committed after
      -- this snapshot is sealed by the next run.
      FOR r IN SELECT * FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT max_rows LOOP
        r.seq := last_seq + 1;
        r.prev_hash := last_hash;
        r.hash := warden_audit_hash(r);
        UPDATE audit_events SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        last_seq := r.seq;
        last_hash := r.hash;
        n := n + 1;
      END LOOP;
      PERFORM set_config('warden.audit_sealing', '', true);
      RETURN n;
    END $$;
`;
