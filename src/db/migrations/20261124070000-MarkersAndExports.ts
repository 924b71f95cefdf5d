import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Warning ("history") markers (SPEC C3; `003 §2.2.3.9, §3.2.11`; src/domain/markers.ts) and support for case
 * lists and their exports (issue 4 §13):
 *
 * - `warning_markers`: a marker on an address or an individual, with the risk, the handling advice for staff, and
 *   a mandatory review date no more than twelve months after the last decision on it (checked here on the row's
 *   own values; the service also checks it against today). Never deleted: removal is a review decision.
 * - `warning_marker_incidents`: the incidents that justify a marker. The composite keys make an incident of
 *   another organisation impossible to link.
 * - `warning_marker_reviews`: the decision trail (created / kept / varied / removed, with reason, reviewer and
 *   date, and what changed). Append-only.
 * - an index on incidents by reported date, the order of case lists and exports.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE warning_markers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      subject_kind text NOT NULL CHECK (subject_kind IN ('address','individual')),
      address text CHECK (address IS NULL OR length(btrim(address)) > 0),
      -- 003 §2.2.3.9: only where the location is not a public place or building
      not_public_place boolean NOT NULL DEFAULT false,
      person_name text,
      person_date_of_birth date,
      person_description text,
      risk text NOT NULL CHECK (length(btrim(risk)) > 0),
      handling_advice text NOT NULL CHECK (length(btrim(handling_advice)) > 0),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','removed')),
      -- the day of the last decision (creation or review) and the review it set
      decided_on date NOT NULL,
      review_due date,
      created_by uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, id),
      CHECK (subject_kind <> 'address' OR (address IS NOT NULL AND not_public_place)),
      CHECK (subject_kind <> 'individual' OR person_name IS NOT NULL OR person_description IS NOT NULL),
      -- SPEC C3: a live marker always has a review date, after its decision and at most 12 months later
      CHECK (status = 'removed' OR review_due IS NOT NULL),
      CHECK (review_due IS NULL OR (review_due > decided_on AND review_due <= decided_on + interval '12 months'))
    );
    CREATE INDEX warning_markers_due ON warning_markers (org_id, status, review_due);
    CREATE TRIGGER warning_markers_touch BEFORE UPDATE ON warning_markers FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE warning_marker_incidents (
      org_id uuid NOT NULL,
      marker_id uuid NOT NULL,
      incident_id uuid NOT NULL,
      linked_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (marker_id, incident_id),
      FOREIGN KEY (org_id, marker_id) REFERENCES warning_markers (org_id, id),
      FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
    );
    CREATE INDEX warning_marker_incidents_incident ON warning_marker_incidents (incident_id);

    CREATE TABLE warning_marker_reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      marker_id uuid NOT NULL,
      decision text NOT NULL CHECK (decision IN ('created','kept','varied','removed')),
      reason text NOT NULL CHECK (length(btrim(reason)) > 0),
      reviewer_id uuid REFERENCES users(id),
      decided_on date NOT NULL,
      decided_at timestamptz NOT NULL DEFAULT now(),
      previous_review_due date,
      next_review_due date,
      -- for a variation: the fields changed, with their previous values
      changes jsonb NOT NULL DEFAULT '{}',
      FOREIGN KEY (org_id, marker_id) REFERENCES warning_markers (org_id, id),
      CHECK ((decision = 'removed') = (next_review_due IS NULL))
    );
    CREATE INDEX warning_marker_reviews_marker ON warning_marker_reviews (marker_id, decided_at);
    CREATE TRIGGER warning_marker_reviews_append_only BEFORE UPDATE OR DELETE ON warning_marker_reviews
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();
    CREATE TRIGGER warning_marker_incidents_append_only BEFORE UPDATE OR DELETE ON warning_marker_incidents
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();

    -- case lists and exports sort by reported date within an organisation
    CREATE INDEX IF NOT EXISTS incidents_org_reported ON incidents (org_id, reported_at DESC);
  `.execute(db);
  // No DELETE for the application: markers are never deleted, their links and reviews are append-only.
  await tenantTable(db, 'warning_markers', 'SELECT, INSERT, UPDATE');
  await tenantTable(db, 'warning_marker_incidents', 'SELECT, INSERT');
  await tenantTable(db, 'warning_marker_reviews', 'SELECT, INSERT');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS warning_marker_reviews, warning_marker_incidents, warning_markers;
    DROP INDEX IF EXISTS incidents_org_reported;
  `.execute(db);
}
