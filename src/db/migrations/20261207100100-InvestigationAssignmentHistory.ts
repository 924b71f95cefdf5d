import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Re-triage kept no trace of the manager's investigation it replaced (issue 4 items 5, 6: nothing is deleted; the
 * due date is part of the escalation of overdue work). `case_investigation_history` keeps each assignment as it was
 * when a re-triage replaced it: manager, due date, who assigned it, what was recorded and whether it was completed,
 * with who replaced it, when and why. Append-only; `case_investigations` stays the current assignment.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE case_investigation_history (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      manager_id uuid NOT NULL REFERENCES users(id),
      due_on date NOT NULL,
      assigned_by uuid REFERENCES users(id),
      assigned_at timestamptz NOT NULL,
      findings text,
      contributing_factors text,
      actions_taken text,
      welfare_support text,
      completed_at timestamptz,
      completed_by uuid REFERENCES users(id),
      replaced_by uuid REFERENCES users(id),
      replaced_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      reason text NOT NULL CHECK (length(btrim(reason)) > 0),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_investigation_history_incident ON case_investigation_history (incident_id, replaced_at);
    CREATE TRIGGER case_investigation_history_append_only BEFORE UPDATE OR DELETE ON case_investigation_history
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
  `.execute(db);
  await tenantTable(db, 'case_investigation_history', 'SELECT, INSERT');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS case_investigation_history`.execute(db);
}
