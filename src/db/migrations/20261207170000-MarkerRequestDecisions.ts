import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * A reporter's request for a warning marker (003 §2.2.3.9, §3.2.11; 20261207160000-MarkerRequests) is the
 * security specialist's to decide: "where appropriate … (i.e. not a public place or building)". Placing a marker
 * answers it; `marker_request_decisions` records the other answer — no marker needed — with who decided, when and
 * why, so that the request leaves the LSMS's list, the case shows the decision and the reporter is told. One
 * decision per incident, append-only: a marker placed later still answers the request, and the decision stays.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE marker_request_decisions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL UNIQUE,
      reason text NOT NULL CHECK (length(btrim(reason)) > 0 AND char_length(reason) <= 2000),
      decided_by uuid NOT NULL REFERENCES users(id),
      decided_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE TRIGGER marker_request_decisions_append_only BEFORE UPDATE OR DELETE ON marker_request_decisions
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
  `.execute(db);
  await tenantTable(db, 'marker_request_decisions', 'SELECT, INSERT');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS marker_request_decisions`.execute(db);
}
