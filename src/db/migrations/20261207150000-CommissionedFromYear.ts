import { type Kysely, sql } from 'kysely';

/**
 * A commissioning link covers a provider's years from its first financial year (`commissioning.from_year`) on,
 * or every year when it has none (`coversYear`, features/commissioning/schema.ts). The services already showed a
 * commissioner nothing from before it; the row-level-security policies that let a commissioner's transaction
 * read submitted self-review versions and signed annual reports (migrations SelfReviewWorkflow and
 * AnnualReportOversight) did not check the year, so a service query that forgot to would have read them. Now the
 * database keeps to the same rule (002 std 1.6, 1.7).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP POLICY commissioned ON self_review_versions;
    CREATE POLICY commissioned ON self_review_versions FOR SELECT TO warden_app
      USING (submitted_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM commissioning c
        WHERE c.provider_org_id = self_review_versions.org_id AND c.commissioner_org_id = warden_current_org()
          AND (c.from_year IS NULL OR c.from_year <= self_review_versions.year)));
    DROP POLICY commissioned ON annual_reports;
    CREATE POLICY commissioned ON annual_reports FOR SELECT TO warden_app
      USING (status = 'signed' AND EXISTS (
        SELECT 1 FROM commissioning c
        WHERE c.provider_org_id = annual_reports.org_id AND c.commissioner_org_id = warden_current_org()
          AND (c.from_year IS NULL OR c.from_year <= annual_reports.year)));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP POLICY commissioned ON self_review_versions;
    CREATE POLICY commissioned ON self_review_versions FOR SELECT TO warden_app
      USING (submitted_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM commissioning c WHERE c.provider_org_id = self_review_versions.org_id AND c.commissioner_org_id = warden_current_org()));
    DROP POLICY commissioned ON annual_reports;
    CREATE POLICY commissioned ON annual_reports FOR SELECT TO warden_app
      USING (status = 'signed' AND EXISTS (
        SELECT 1 FROM commissioning c WHERE c.provider_org_id = annual_reports.org_id AND c.commissioner_org_id = warden_current_org()));
  `.execute(db);
}
