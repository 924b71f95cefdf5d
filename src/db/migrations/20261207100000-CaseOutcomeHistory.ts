import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Case management keeps what it used to overwrite (issue 4 items 5, 8, 10, 12: nothing is deleted):
 *
 * - `case_no_sanction_advice`: every version of the advice received and the reasons no sanction was applied
 *   (`002 std 4.2`), append-only; the latest is the current one. `case_outcomes.no_sanction_*` keeps a copy of
 *   the latest for the readers that already use it.
 * - `case_closures`: the lessons learned at each closure (`000 §6.1.5`), append-only, so reopening and closing
 *   again keeps the earlier closure's lessons. `incidents.lessons_learned` keeps the latest.
 * - `case_outcomes.support_taken_up_on`: the date victim support was taken up (item 10: "each with its date").
 *
 * Existing advice and lessons are copied into the new tables so no case loses its history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE case_no_sanction_advice (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      advice_from text NOT NULL CHECK (length(btrim(advice_from)) > 0),
      advice text NOT NULL CHECK (length(btrim(advice)) > 0),
      reasons text NOT NULL CHECK (length(btrim(reasons)) > 0),
      recorded_by uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_no_sanction_advice_incident ON case_no_sanction_advice (incident_id, created_at);
    CREATE TRIGGER case_no_sanction_advice_append_only BEFORE UPDATE OR DELETE ON case_no_sanction_advice
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
    INSERT INTO case_no_sanction_advice (org_id, incident_id, advice_from, advice, reasons, recorded_by, created_at)
      SELECT org_id, incident_id, coalesce(nullif(btrim(no_sanction_advice_from), ''), 'Not recorded'),
             coalesce(nullif(btrim(no_sanction_advice), ''), 'Not recorded'), no_sanction_reasons, updated_by, updated_at
      FROM case_outcomes WHERE nullif(btrim(no_sanction_reasons), '') IS NOT NULL;

    CREATE TABLE case_closures (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      to_status text NOT NULL CHECK (to_status IN ('closed','closed_nfa')),
      reason text,
      lessons_learned text NOT NULL CHECK (length(btrim(lessons_learned)) > 0),
      closed_by uuid REFERENCES users(id),
      closed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_closures_incident ON case_closures (incident_id, closed_at);
    CREATE TRIGGER case_closures_append_only BEFORE UPDATE OR DELETE ON case_closures
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
    INSERT INTO case_closures (org_id, incident_id, to_status, reason, lessons_learned, closed_by, closed_at)
      SELECT i.org_id, i.id, coalesce(e.to_status, CASE WHEN i.status = 'closed_nfa' THEN 'closed_nfa' ELSE 'closed' END),
             e.reason, i.lessons_learned, e.actor_id, coalesce(e.at, i.closed_at, i.updated_at)
      FROM incidents i
      LEFT JOIN LATERAL (
        SELECT to_status, reason, actor_id, at FROM incident_events
        WHERE incident_id = i.id AND to_status IN ('closed','closed_nfa') ORDER BY at DESC LIMIT 1
      ) e ON true
      WHERE nullif(btrim(i.lessons_learned), '') IS NOT NULL;

    ALTER TABLE case_outcomes ADD COLUMN support_taken_up_on date;
  `.execute(db);
  await tenantTable(db, 'case_no_sanction_advice', 'SELECT, INSERT');
  await tenantTable(db, 'case_closures', 'SELECT, INSERT');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS case_closures, case_no_sanction_advice;
    ALTER TABLE case_outcomes DROP COLUMN IF EXISTS support_taken_up_on;
  `.execute(db);
}
