import { type Kysely, sql } from 'kysely';

/**
 * When the manager's investigation of a case was completed, on the incident itself, as its due date already is
 * (`incidents.investigation_due_on`): `investigation_completed_at`, kept by a trigger on case_investigations
 * (completed, reopened by a new assignment, or removed), so that every writer — the services, the demo's bulk
 * load, the test factories — leaves the two in step.
 *
 * Why: a completed investigation is not overdue work (002 std 4.1; the case lists' rule), but the dashboard's
 * overdue figure comes from `incident_open_rollups` by due day, which cannot know of completion; a case awaiting
 * the LSMS's sanction decision after its manager had finished counted as overdue for the Board and not in the
 * LSMS's list. The dashboard now takes off the open cases whose investigation is complete and whose due day has
 * passed, read through `incidents_open_investigated`: a partial index of open cases with a completed investigation
 * (cases awaiting a decision: few, whatever the history), so the figure still costs what the roll-ups cost.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE incidents ADD COLUMN investigation_completed_at timestamptz;
    UPDATE incidents i SET investigation_completed_at = ci.completed_at
      FROM case_investigations ci
      WHERE ci.incident_id = i.id AND ci.org_id = i.org_id AND ci.completed_at IS NOT NULL;
    CREATE INDEX incidents_open_investigated ON incidents (org_id)
      WHERE investigation_completed_at IS NOT NULL AND status NOT IN ('closed', 'closed_nfa');

    CREATE FUNCTION warden_investigation_completed() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        UPDATE incidents SET investigation_completed_at = NULL
          WHERE id = OLD.incident_id AND org_id = OLD.org_id AND investigation_completed_at IS NOT NULL;
      ELSE
        UPDATE incidents SET investigation_completed_at = NEW.completed_at
          WHERE id = NEW.incident_id AND org_id = NEW.org_id AND investigation_completed_at IS DISTINCT FROM NEW.completed_at;
      END IF;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER case_investigations_completed AFTER INSERT OR UPDATE OF completed_at OR DELETE ON case_investigations
      FOR EACH ROW EXECUTE FUNCTION warden_investigation_completed();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS case_investigations_completed ON case_investigations;
    DROP FUNCTION IF EXISTS warden_investigation_completed();
    DROP INDEX IF EXISTS incidents_open_investigated;
    ALTER TABLE incidents DROP COLUMN IF EXISTS investigation_completed_at;
  `.execute(db);
}
