import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Case management (SPEC C3, issue 4 §5–§12): triage, the manager's investigation, the LSMS investigation log,
 * attachments, sanctions, redress, victim support and feedback, lessons learned, overdue escalation.
 *
 * - `incidents` gains the triage result (severity), the assigned manager (read by case lists), the manager's
 *   investigation due date and the lessons learned recorded at closure (`000 §6.1.5`).
 * - `case_settings`: per-organisation defaults (days allowed for a manager's investigation; whether and how often
 *   an overdue escalation is repeated).
 * - `case_investigations`: the manager's investigation (findings, contributing factors, actions, welfare).
 * - `case_log_entries`: the LSMS investigation log, append-only (action, evidence, police liaison, note).
 * - `case_attachments`: metadata of files stored outside the web root under `<dataDir>/attachments/<org>/<id>`.
 * - `case_sanctions`: sanctions applied (`002 std 4.2`), each with its publicity decision (`003 §6.4–6.5`).
 * - `case_outcomes`: one row per case: the advice and reasons when no sanction is applied, redress, victim
 *   support and feedback (`000` Appendix 1).
 * - `case_escalations`: each overdue escalation sent, so the daily run does not repeat it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE incidents
      ADD COLUMN severity text CHECK (severity IN ('low','medium','high','critical')),
      ADD COLUMN assigned_manager_id uuid REFERENCES users(id),
      ADD COLUMN investigation_due_on date,
      ADD COLUMN lessons_learned text;
    CREATE INDEX incidents_assigned_manager ON incidents (org_id, assigned_manager_id) WHERE assigned_manager_id IS NOT NULL;

    CREATE TABLE case_settings (
      org_id uuid PRIMARY KEY REFERENCES organisations(id),
      investigation_days integer NOT NULL DEFAULT 14 CHECK (investigation_days BETWEEN 1 AND 365),
      -- null: one escalation per overdue investigation; otherwise repeat after this many days
      escalation_repeat_days integer CHECK (escalation_repeat_days BETWEEN 1 AND 365),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE case_investigations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      manager_id uuid NOT NULL REFERENCES users(id),
      due_on date NOT NULL,
      assigned_by uuid REFERENCES users(id),
      assigned_at timestamptz NOT NULL DEFAULT now(),
      findings text,
      contributing_factors text,
      actions_taken text,
      welfare_support text,
      completed_at timestamptz,
      completed_by uuid REFERENCES users(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (incident_id),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_investigations_due ON case_investigations (org_id, due_on) WHERE completed_at IS NULL;
    CREATE TRIGGER case_investigations_touch BEFORE UPDATE ON case_investigations FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE case_log_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('action','evidence','police','note')),
      occurred_on date NOT NULL,
      text text NOT NULL CHECK (length(btrim(text)) > 0),
      crime_reference text,
      officer text,
      cps_decision text,
      author_id uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_log_entries_incident ON case_log_entries (incident_id, created_at);
    CREATE TRIGGER case_log_entries_append_only BEFORE UPDATE OR DELETE ON case_log_entries
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();

    CREATE TABLE case_attachments (
      id uuid PRIMARY KEY,
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      file_name text NOT NULL,
      content_type text NOT NULL CHECK (content_type IN ('image/jpeg','image/png','application/pdf')),
      size_bytes integer NOT NULL CHECK (size_bytes > 0),
      sha256 text NOT NULL,
      description text,
      uploaded_by uuid REFERENCES users(id),
      uploaded_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_attachments_incident ON case_attachments (incident_id, uploaded_at);

    CREATE TABLE case_sanctions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('criminal','civil','administrative','disciplinary')),
      sanction text NOT NULL,
      decided_on date NOT NULL,
      outcome text NOT NULL CHECK (length(btrim(outcome)) > 0),
      publicise boolean NOT NULL,
      publicity_reason text NOT NULL CHECK (length(btrim(publicity_reason)) > 0),
      recorded_by uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_sanctions_incident ON case_sanctions (incident_id);

    CREATE TABLE case_outcomes (
      incident_id uuid PRIMARY KEY,
      org_id uuid NOT NULL,
      no_sanction_advice_from text,
      no_sanction_advice text,
      no_sanction_reasons text,
      redress_sought_pence bigint CHECK (redress_sought_pence >= 0),
      redress_recovered_pence bigint CHECK (redress_recovered_pence >= 0),
      redress_route text CHECK (redress_route IN ('civil_recovery','compensation_order','neighbourhood_resolution')),
      support_offered text,
      support_offered_on date,
      support_taken_up boolean,
      acknowledgement_sent_on date,
      feedback_on date,
      feedback_summary text,
      updated_by uuid REFERENCES users(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE TRIGGER case_outcomes_touch BEFORE UPDATE ON case_outcomes FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE case_escalations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      due_on date NOT NULL,
      sent_at timestamptz NOT NULL DEFAULT now(),
      recipients text[] NOT NULL,
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX case_escalations_incident ON case_escalations (incident_id, sent_at DESC);
  `.execute(db);
  const grants: [string, string][] = [
    ['case_settings', 'SELECT, INSERT, UPDATE'],
    ['case_investigations', 'SELECT, INSERT, UPDATE'],
    ['case_log_entries', 'SELECT, INSERT'],
    ['case_attachments', 'SELECT, INSERT'],
    ['case_sanctions', 'SELECT, INSERT'],
    ['case_outcomes', 'SELECT, INSERT, UPDATE'],
    ['case_escalations', 'SELECT, INSERT'],
  ];
  for (const [table, privileges] of grants) await tenantTable(db, table, privileges);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS case_escalations, case_outcomes, case_sanctions, case_attachments, case_log_entries, case_investigations, case_settings;
    DROP INDEX IF EXISTS incidents_assigned_manager;
    ALTER TABLE incidents DROP COLUMN IF EXISTS severity, DROP COLUMN IF EXISTS assigned_manager_id,
      DROP COLUMN IF EXISTS investigation_due_on, DROP COLUMN IF EXISTS lessons_learned;
  `.execute(db);
}
