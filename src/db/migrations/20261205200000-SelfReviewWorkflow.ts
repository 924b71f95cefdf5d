import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * The self review's workflow, evidence and the annual report (SPEC C5; issue 5 items 2, 5, 6, 8):
 *
 * - `self_reviews.version` and `status` draft → signed → submitted; reopening makes the next version a draft.
 * - `self_review_versions`: what the Security Management Director signed, frozen as JSON with its SHA-256 (every
 *   standard's rating, comments and evidence, the roll-up and the flags), never changed or deleted. Submission to
 *   the commissioner(s) and the national body, and a later reopening with its reason, are written once each; a
 *   trigger refuses any other change. A commissioner may read the *submitted* versions of the providers it
 *   commissions (002 std 1.6, 1.7) through an extra row-level-security policy; drafts and signed but unsubmitted
 *   versions stay inside the organisation.
 * - `self_review_events`: the review's status history (started, imported, signed, submitted, reopened + reason).
 * - `self_review_evidence`: links to records in Warden (incidents, annual reports) and uploaded documents (stored
 *   outside the web root, `<data dir>/self-review-evidence/<org>/<id>`), removable from a draft but never deleted.
 * - `self_review_ratings.suggestion`: the suggestion a rating was accepted from (suggester, rating, reason).
 * - Ratings and evidence change only while their review is a draft (a trigger, beside the service's own check).
 * - `annual_reports`: the annual security management report to the Board per organisation per financial year
 *   (002 std 1.5): when it was presented, the Board's decision, the SMD's sign-off, an optional document.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE self_reviews DROP CONSTRAINT self_reviews_status_check;
    ALTER TABLE self_reviews
      ADD CONSTRAINT self_reviews_status_check CHECK (status IN ('draft','signed','submitted')),
      ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);

    CREATE TABLE self_review_versions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      review_id uuid NOT NULL,
      version integer NOT NULL CHECK (version >= 1),
      year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
      content jsonb NOT NULL,
      content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
      signed_by uuid NOT NULL REFERENCES users(id),
      signed_at timestamptz NOT NULL DEFAULT now(),
      submitted_by uuid REFERENCES users(id),
      submitted_at timestamptz,
      recipients jsonb,
      reopened_by uuid REFERENCES users(id),
      reopened_at timestamptz,
      reopen_reason text CHECK (reopen_reason IS NULL OR length(btrim(reopen_reason)) > 0),
      UNIQUE (review_id, version),
      UNIQUE (org_id, id),
      FOREIGN KEY (org_id, review_id) REFERENCES self_reviews (org_id, id),
      CHECK ((submitted_at IS NULL) = (recipients IS NULL)),
      CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL))
    );
    CREATE INDEX self_review_versions_submitted ON self_review_versions (year, org_id) WHERE submitted_at IS NOT NULL;

    CREATE FUNCTION self_review_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a signed self review version is kept for ever' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF (NEW.id, NEW.org_id, NEW.review_id, NEW.version, NEW.year, NEW.content, NEW.content_sha256, NEW.signed_by, NEW.signed_at)
         IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.review_id, OLD.version, OLD.year, OLD.content, OLD.content_sha256, OLD.signed_by, OLD.signed_at)
      THEN
        RAISE EXCEPTION 'a signed self review version cannot be changed' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF OLD.submitted_at IS NOT NULL AND (NEW.submitted_at, NEW.submitted_by, NEW.recipients) IS DISTINCT FROM (OLD.submitted_at, OLD.submitted_by, OLD.recipients) THEN
        RAISE EXCEPTION 'a submission cannot be changed' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF OLD.reopened_at IS NOT NULL AND (NEW.reopened_at, NEW.reopened_by, NEW.reopen_reason) IS DISTINCT FROM (OLD.reopened_at, OLD.reopened_by, OLD.reopen_reason) THEN
        RAISE EXCEPTION 'a reopening cannot be changed' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER self_review_versions_guard BEFORE UPDATE OR DELETE ON self_review_versions FOR EACH ROW EXECUTE FUNCTION self_review_versions_guard();

    CREATE TABLE self_review_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      review_id uuid NOT NULL,
      version integer NOT NULL,
      kind text NOT NULL CHECK (kind IN ('started','imported','signed','submitted','reopened')),
      reason text,
      actor_id uuid REFERENCES users(id),
      at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, review_id) REFERENCES self_reviews (org_id, id),
      CHECK (kind <> 'reopened' OR length(btrim(coalesce(reason, ''))) > 0)
    );
    CREATE INDEX self_review_events_review ON self_review_events (review_id, at);
    INSERT INTO self_review_events (org_id, review_id, version, kind, actor_id, at)
      SELECT org_id, id, 1, 'started', created_by, created_at FROM self_reviews;

    ALTER TABLE self_review_evidence
      ADD COLUMN record_type text CHECK (record_type IN ('incident','annual_report')),
      ADD COLUMN record_id uuid,
      ADD COLUMN file_name text,
      ADD COLUMN content_type text,
      ADD COLUMN size_bytes integer CHECK (size_bytes > 0),
      ADD COLUMN sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      ADD COLUMN removed_at timestamptz,
      ADD COLUMN removed_by uuid REFERENCES users(id),
      ADD CONSTRAINT self_review_evidence_record CHECK ((record_type IS NULL) = (record_id IS NULL)),
      ADD CONSTRAINT self_review_evidence_file CHECK (num_nulls(file_name, content_type, size_bytes, sha256) IN (0, 4)),
      ADD CONSTRAINT self_review_evidence_one_target CHECK (num_nonnulls(url, record_id, file_name) <= 1);
    -- Evidence keeps the order it was added in, also when several items are added in one transaction (an import).
    ALTER TABLE self_review_evidence ALTER COLUMN added_at SET DEFAULT clock_timestamp();
    -- Evidence is removed from a draft by marking it, never by deleting it: a signed version may list it.
    REVOKE DELETE ON self_review_evidence FROM warden_app;
    GRANT UPDATE (removed_at, removed_by) ON self_review_evidence TO warden_app;

    ALTER TABLE self_review_ratings ADD COLUMN suggestion jsonb;

    CREATE FUNCTION self_review_draft_only() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      target uuid;
      current_status text;
    BEGIN
      IF TG_OP = 'DELETE' THEN target := OLD.review_id; ELSE target := NEW.review_id; END IF;
      SELECT status INTO current_status FROM self_reviews WHERE id = target;
      IF current_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'self review % is %, not a draft: reopen it to change it', target, coalesce(current_status, 'missing')
          USING ERRCODE = 'check_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER self_review_ratings_draft_only BEFORE INSERT OR UPDATE OR DELETE ON self_review_ratings
      FOR EACH ROW EXECUTE FUNCTION self_review_draft_only();
    CREATE TRIGGER self_review_evidence_draft_only BEFORE INSERT OR UPDATE OR DELETE ON self_review_evidence
      FOR EACH ROW EXECUTE FUNCTION self_review_draft_only();

    CREATE TABLE annual_reports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
      presented_on date,
      board_decision text CHECK (board_decision IN ('approved','approved_with_amendments','not_approved')),
      board_minute text,
      summary text NOT NULL DEFAULT '',
      -- the report as a document, kept under <data dir>/annual-reports/<org>/<file_id>; a new upload gets a new id
      file_id uuid,
      file_name text,
      content_type text,
      size_bytes integer CHECK (size_bytes > 0),
      sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','signed')),
      signed_by uuid REFERENCES users(id),
      signed_at timestamptz,
      created_by uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_by uuid REFERENCES users(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, year),
      UNIQUE (org_id, id),
      CHECK (num_nulls(file_id, file_name, content_type, size_bytes, sha256) IN (0, 5)),
      CHECK ((status = 'signed') = (signed_at IS NOT NULL)),
      CHECK (status = 'draft' OR (presented_on IS NOT NULL AND board_decision IS NOT NULL))
    );
    CREATE TRIGGER annual_reports_touch BEFORE UPDATE ON annual_reports FOR EACH ROW EXECUTE FUNCTION warden_touch();
    CREATE FUNCTION annual_reports_signed_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'annual report % is signed off and cannot be changed', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER annual_reports_signed_final BEFORE UPDATE ON annual_reports FOR EACH ROW EXECUTE FUNCTION annual_reports_signed_final();
  `.execute(db);
  await tenantTable(db, 'self_review_versions', 'SELECT, INSERT, UPDATE');
  await tenantTable(db, 'self_review_events', 'SELECT, INSERT');
  await tenantTable(db, 'annual_reports', 'SELECT, INSERT, UPDATE');
  // 002 std 1.6, 1.7: a commissioner reads the submitted self reviews of the providers it commissions. The
  // database, not only the service, keeps drafts and unsubmitted versions away from it.
  await sql`
    CREATE POLICY commissioned ON self_review_versions FOR SELECT TO warden_app
      USING (submitted_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM commissioning c WHERE c.provider_org_id = self_review_versions.org_id AND c.commissioner_org_id = warden_current_org()));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE annual_reports;
    DROP FUNCTION annual_reports_signed_final();
    DROP TRIGGER self_review_ratings_draft_only ON self_review_ratings;
    DROP TRIGGER self_review_evidence_draft_only ON self_review_evidence;
    DROP FUNCTION self_review_draft_only();
    ALTER TABLE self_review_ratings DROP COLUMN suggestion;
    REVOKE UPDATE (removed_at, removed_by) ON self_review_evidence FROM warden_app;
    GRANT DELETE ON self_review_evidence TO warden_app;
    ALTER TABLE self_review_evidence ALTER COLUMN added_at SET DEFAULT now();
    ALTER TABLE self_review_evidence
      DROP CONSTRAINT self_review_evidence_one_target,
      DROP CONSTRAINT self_review_evidence_file,
      DROP CONSTRAINT self_review_evidence_record,
      DROP COLUMN removed_by,
      DROP COLUMN removed_at,
      DROP COLUMN sha256,
      DROP COLUMN size_bytes,
      DROP COLUMN content_type,
      DROP COLUMN file_name,
      DROP COLUMN record_id,
      DROP COLUMN record_type;
    DROP TABLE self_review_events;
    DROP TABLE self_review_versions;
    DROP FUNCTION self_review_versions_guard();
    UPDATE self_reviews SET status = 'draft' WHERE status <> 'draft';
    ALTER TABLE self_reviews DROP COLUMN version, DROP CONSTRAINT self_reviews_status_check;
    ALTER TABLE self_reviews ADD CONSTRAINT self_reviews_status_check CHECK (status IN ('draft'));
  `.execute(db);
}
