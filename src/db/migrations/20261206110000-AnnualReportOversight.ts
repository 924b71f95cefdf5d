import { type Kysely, sql } from 'kysely';

/**
 * A commissioner reads the signed annual reports of the providers it commissions (SPEC: commissioners read their
 * providers' self reviews, annual reports and incident statistics; 002 std 1.6, 1.7). As for submitted self
 * reviews (migration SelfReviewWorkflow), the database, not only the service, keeps drafts and other providers'
 * reports away from a commissioner's transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE POLICY commissioned ON annual_reports FOR SELECT TO warden_app
      USING (status = 'signed' AND EXISTS (
        SELECT 1 FROM commissioning c WHERE c.provider_org_id = annual_reports.org_id AND c.commissioner_org_id = warden_current_org()));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP POLICY commissioned ON annual_reports`.execute(db);
}
