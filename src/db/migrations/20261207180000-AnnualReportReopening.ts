import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * A signed annual report was final for ever: a mistake found after sign-off (a wrong date, the wrong document)
 * could not be put right, as there is one report per year. Now the SMD may reopen it, with a reason, as a self
 * review is reopened (002 std 1.5; docs/self-review-workflow.md). `annual_report_reopenings` keeps the report as it
 * was signed (details, document, who signed it and when) with who reopened it, when and why; append-only. The
 * report becomes a draft again, to be corrected and signed off anew.
 *
 * The database still refuses every other change to a signed report. The one change it allows is exactly the
 * reopening: status signed → draft, the signature cleared, nothing else changed, and only in a transaction that has
 * recorded the reopening of that signature.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE annual_report_reopenings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      report_id uuid NOT NULL,
      reason text NOT NULL CHECK (length(btrim(reason)) > 0 AND char_length(reason) <= 2000),
      reopened_by uuid REFERENCES users(id),
      reopened_at timestamptz NOT NULL DEFAULT now(),
      signed_by uuid REFERENCES users(id),
      signed_at timestamptz NOT NULL,
      presented_on date,
      board_decision text,
      board_minute text,
      summary text NOT NULL,
      file_id uuid,
      file_name text,
      content_type text,
      size_bytes integer,
      sha256 text,
      FOREIGN KEY (org_id, report_id) REFERENCES annual_reports (org_id, id)
    );
    CREATE INDEX annual_report_reopenings_report ON annual_report_reopenings (report_id, reopened_at);
    CREATE TRIGGER annual_report_reopenings_append_only BEFORE UPDATE OR DELETE ON annual_report_reopenings
      FOR EACH ROW EXECUTE FUNCTION warden_incident_history_append_only();

    CREATE OR REPLACE FUNCTION annual_reports_signed_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'signed' THEN
        IF NEW.status = 'draft' AND NEW.signed_at IS NULL AND NEW.signed_by IS NULL
          AND (NEW.org_id, NEW.year, NEW.presented_on, NEW.board_decision, NEW.board_minute, NEW.summary,
               NEW.file_id, NEW.file_name, NEW.content_type, NEW.size_bytes, NEW.sha256)
            IS NOT DISTINCT FROM
              (OLD.org_id, OLD.year, OLD.presented_on, OLD.board_decision, OLD.board_minute, OLD.summary,
               OLD.file_id, OLD.file_name, OLD.content_type, OLD.size_bytes, OLD.sha256)
          AND EXISTS (SELECT 1 FROM annual_report_reopenings o
                      WHERE o.report_id = OLD.id AND o.signed_at = OLD.signed_at AND o.reopened_at = now()) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'annual report % is signed off and cannot be changed', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
  `.execute(db);
  await tenantTable(db, 'annual_report_reopenings', 'SELECT, INSERT');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION annual_reports_signed_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'annual report % is signed off and cannot be changed', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    DROP TABLE IF EXISTS annual_report_reopenings;
  `.execute(db);
}
