import { type Kysely, sql } from 'kysely';
import { appendOnly as appendOnlyBefore, seal as sealBefore } from './20261124080000-AuditSealing.ts';

/**
 * The sealer writes a run's events in one statement and checks them as a set (issue 4, intake benchmark).
 *
 * Measured on 6 December 2026, sealing cost 130 µs an event, more than a third of what PostgreSQL spent on an
 * incident report at 32 clients: `warden_audit_seal` ran one UPDATE per event, each passing the row trigger of
 * migration AuditSealing, which hashed the event again and looked its predecessor up; and `warden_audit_hash`,
 * declared IMMUTABLE around `to_char` and `convert_to` (STABLE), could not be inlined, so every call went through
 * the SQL-function executor (10 µs against 4 µs inlined). Now, with the hashes and the chain unchanged (events
 * sealed before verify as before):
 *
 * - `warden_audit_seal` computes a run's positions, links and hashes in id order as before, then writes them in
 *   one UPDATE.
 * - Every UPDATE of `audit_events` is checked after the statement, over its rows as a set (transition tables):
 *   refused unless it is the sealer's (`warden.audit_sealing`), and each row was unsealed, keeps every other
 *   column, carries its correct hash, and links to the row before it (sealed earlier or in the same statement).
 *   A refused UPDATE rolls back whole. DELETE and TRUNCATE are refused as before.
 * - The two hash functions are declared STABLE, which is what they are, and are inlined.
 *
 * Sealing now costs about 30 µs an event (`warden_audit_seal` of 20,000 events: 2.6 s before, 0.6 s after).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER FUNCTION warden_audit_hash(audit_events) STABLE;
    ALTER FUNCTION warden_audit_row_hash(audit_events) STABLE;

    DROP TRIGGER audit_events_no_update ON audit_events;
    CREATE OR REPLACE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only();

    CREATE FUNCTION warden_audit_sealed_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
      IF current_setting('warden.audit_sealing', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'the audit trail is append-only: UPDATE is not allowed' USING ERRCODE = 'insufficient_privilege';
      END IF;
      SELECT n.id INTO bad FROM sealed n LEFT JOIN unsealed o ON o.id = n.id
      WHERE o.id IS NULL
         OR o.seq IS NOT NULL OR o.prev_hash IS NOT NULL OR o.hash IS NOT NULL
         OR n.seq IS NULL OR n.prev_hash IS NULL OR n.hash IS NULL
         OR (n.at, n.actor_id, n.org_id, n.action, n.object_type, n.object_id, n.outcome, n.request_id, n.detail, n.row_hash)
            IS DISTINCT FROM
            (o.at, o.actor_id, o.org_id, o.action, o.object_type, o.object_id, o.outcome, o.request_id, o.detail, o.row_hash)
         OR n.hash <> warden_audit_hash(n)
         OR NOT ((n.seq = 1 AND n.prev_hash = repeat('0', 64))
                 OR EXISTS (SELECT 1 FROM audit_events p WHERE p.seq = n.seq - 1 AND p.hash = n.prev_hash))
      LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'the audit trail is append-only: UPDATE is not allowed (event id % would not be a correct seal)', bad
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER audit_events_sealed_check AFTER UPDATE ON audit_events REFERENCING OLD TABLE AS unsealed NEW TABLE AS sealed
      FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_sealed_check();

    CREATE OR REPLACE FUNCTION warden_audit_seal(max_rows integer DEFAULT 10000, wait boolean DEFAULT true) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE
      last_seq bigint;
      last_hash text;
      r audit_events;
      ids bigint[] := '{}';
      prevs text[] := '{}';
      hashes text[] := '{}';
      n integer := 0;
    BEGIN
      IF wait THEN
        PERFORM pg_advisory_xact_lock(727001);
      ELSIF NOT pg_try_advisory_xact_lock(727001) THEN
        RETURN 0;
      END IF;
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
        n := n + 1;
        r.seq := last_seq + n;
        r.prev_hash := last_hash;
        last_hash := warden_audit_hash(r);
        ids := ids || r.id;
        prevs := prevs || r.prev_hash;
        hashes := hashes || last_hash;
      END LOOP;
      IF n > 0 THEN
        PERFORM set_config('warden.audit_sealing', 'on', true);
        UPDATE audit_events e SET seq = last_seq + u.ord, prev_hash = u.prev_hash, hash = u.hash
        FROM unnest(ids, prevs, hashes) WITH ORDINALITY AS u(id, prev_hash, hash, ord)
        WHERE e.id = u.id;
        PERFORM set_config('warden.audit_sealing', '', true);
      END IF;
      RETURN n;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER audit_events_sealed_check ON audit_events;
    DROP FUNCTION warden_audit_sealed_check();
    DROP TRIGGER audit_events_no_delete ON audit_events;
  `.execute(db);
  await sql.raw(appendOnlyBefore).execute(db);
  await sql.raw(sealBefore).execute(db);
  await sql`
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only();
    ALTER FUNCTION warden_audit_hash(audit_events) IMMUTABLE;
    ALTER FUNCTION warden_audit_row_hash(audit_events) IMMUTABLE;
  `.execute(db);
}
