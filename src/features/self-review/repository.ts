import type { Tx } from '../../db/database.ts';

/** The only code that touches Kysely for standards frameworks and self reviews. */
export const selfReviewRepository = {
  frameworks: (tx: Tx) =>
    tx.selectFrom('standards_frameworks').select(['id', 'framework_id', 'version', 'name', 'loaded_at']).orderBy('framework_id').orderBy('loaded_at').execute(),

  framework: (tx: Tx, id: string) => tx.selectFrom('standards_frameworks').selectAll().where('id', '=', id).executeTakeFirst(),

  frameworkByVersion: (tx: Tx, frameworkId: string, version: string) =>
    tx.selectFrom('standards_frameworks').select('id').where('framework_id', '=', frameworkId).where('version', '=', version).executeTakeFirst(),

  insertFramework: (tx: Tx, row: { framework_id: string; version: string; name: string; content: unknown; loaded_by: string | null }) =>
    tx
      .insertInto('standards_frameworks')
      .values({ ...row, content: JSON.stringify(row.content) })
      .returning('id')
      .executeTakeFirstOrThrow(),

  reviews: (tx: Tx, orgId: string) =>
    tx
      .selectFrom('self_reviews as r')
      .innerJoin('standards_frameworks as f', 'f.id', 'r.framework_version_id')
      .select(['r.id', 'r.year', 'r.status', 'f.name as framework', 'f.version'])
      .where('r.org_id', '=', orgId)
      .orderBy('r.year', 'desc')
      .execute(),

  review: (tx: Tx, orgId: string, id: string) => tx.selectFrom('self_reviews').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst(),

  reviewForYear: (tx: Tx, orgId: string, year: number) =>
    tx.selectFrom('self_reviews').select('id').where('org_id', '=', orgId).where('year', '=', year).executeTakeFirst(),

  insertReview: (tx: Tx, row: { org_id: string; framework_version_id: string; year: number; created_by: string | null }) =>
    tx.insertInto('self_reviews').values(row).returning('id').executeTakeFirstOrThrow(),

  touchReview: (tx: Tx, orgId: string, id: string) =>
    tx.updateTable('self_reviews').set({ updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).execute(),

  ratings: (tx: Tx, reviewId: string) => tx.selectFrom('self_review_ratings').selectAll().where('review_id', '=', reviewId).execute(),

  upsertRating: (
    tx: Tx,
    row: {
      org_id: string;
      review_id: string;
      standard_number: string;
      rating: 'red' | 'amber' | 'green' | 'not_applicable' | null;
      comments: string;
      updated_by: string | null;
    },
  ) =>
    tx
      .insertInto('self_review_ratings')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['review_id', 'standard_number'])
          .doUpdateSet({ rating: row.rating, comments: row.comments, updated_by: row.updated_by, updated_at: new Date() }),
      )
      .execute(),

  evidence: (tx: Tx, reviewId: string) =>
    tx
      .selectFrom('self_review_evidence')
      .select(['id', 'standard_number', 'kind', 'label', 'url', 'added_at'])
      .where('review_id', '=', reviewId)
      .orderBy('added_at')
      .execute(),

  insertEvidence: (
    tx: Tx,
    row: { org_id: string; review_id: string; standard_number: string; kind: 'output' | 'outcome'; label: string; url: string | null; added_by: string | null },
  ) => tx.insertInto('self_review_evidence').values(row).returning('id').executeTakeFirstOrThrow(),
};
