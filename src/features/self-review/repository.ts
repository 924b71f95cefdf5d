import type { Tx } from '../../db/database.ts';

type RatingValue = 'red' | 'amber' | 'green' | 'not_applicable' | null;
type EvidenceRow = {
  org_id: string;
  review_id: string;
  standard_number: string;
  kind: 'output' | 'outcome';
  label: string;
  url?: string | null;
  record_type?: 'incident' | 'annual_report' | null;
  record_id?: string | null;
  file_name?: string | null;
  content_type?: string | null;
  size_bytes?: number | null;
  sha256?: string | null;
  added_by: string | null;
};

/** The only code that touches Kysely for standards frameworks and self reviews. */
export const selfReviewRepository = {
  // ---- frameworks (deployment-wide reference data) ----
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

  /** Reviews made against each framework version, so the library can say which are in use. */
  reviewCounts: (tx: Tx) =>
    tx
      .selectFrom('self_reviews')
      .select(['framework_version_id', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('framework_version_id')
      .execute(),

  // ---- organisations ----
  organisation: (tx: Tx, id: string) => tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('id', '=', id).executeTakeFirst(),
  organisationByCode: (tx: Tx, code: string) =>
    tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('code', '=', code.toUpperCase()).executeTakeFirst(),
  organisationsOfTypes: (tx: Tx, types: readonly string[]) =>
    tx
      .selectFrom('organisations')
      .select(['id', 'code', 'name', 'type'])
      .where('type', 'in', types as never)
      .orderBy('name')
      .execute(),
  userName: async (tx: Tx, id: string | null) =>
    id ? ((await tx.selectFrom('users').select('name').where('id', '=', id).executeTakeFirst())?.name ?? null) : null,

  // ---- reviews ----
  reviews: (tx: Tx, orgId: string) =>
    tx
      .selectFrom('self_reviews as r')
      .innerJoin('standards_frameworks as f', 'f.id', 'r.framework_version_id')
      .select(['r.id', 'r.year', 'r.status', 'r.version', 'f.name as framework', 'f.version as framework_version'])
      .where('r.org_id', '=', orgId)
      .orderBy('r.year', 'desc')
      .execute(),

  review: (tx: Tx, orgId: string, id: string, lock = false) => {
    let q = tx.selectFrom('self_reviews').selectAll().where('org_id', '=', orgId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  },

  reviewForYear: (tx: Tx, orgId: string, year: number) =>
    tx.selectFrom('self_reviews').select(['id', 'framework_version_id']).where('org_id', '=', orgId).where('year', '=', year).executeTakeFirst(),

  insertReview: (tx: Tx, row: { org_id: string; framework_version_id: string; year: number; created_by: string | null }) =>
    tx.insertInto('self_reviews').values(row).returning('id').executeTakeFirstOrThrow(),

  touchReview: (tx: Tx, orgId: string, id: string) =>
    tx.updateTable('self_reviews').set({ updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).execute(),

  setStatus: (tx: Tx, orgId: string, id: string, v: { status: 'draft' | 'signed' | 'submitted'; version?: number }) =>
    tx.updateTable('self_reviews').set(v).where('org_id', '=', orgId).where('id', '=', id).execute(),

  // ---- ratings and evidence ----
  ratings: (tx: Tx, reviewId: string) => tx.selectFrom('self_review_ratings').selectAll().where('review_id', '=', reviewId).execute(),

  upsertRating: (
    tx: Tx,
    row: {
      org_id: string;
      review_id: string;
      standard_number: string;
      rating: RatingValue;
      comments: string;
      suggestion: string | null;
      updated_by: string | null;
    },
  ) =>
    tx
      .insertInto('self_review_ratings')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['review_id', 'standard_number']).doUpdateSet({
          rating: row.rating,
          comments: row.comments,
          suggestion: row.suggestion,
          updated_by: row.updated_by,
          updated_at: new Date(),
        }),
      )
      .execute(),

  /** The evidence of a review still in it (not removed), oldest first. */
  evidence: (tx: Tx, reviewId: string) =>
    tx
      .selectFrom('self_review_evidence')
      .select(['id', 'standard_number', 'kind', 'label', 'url', 'record_type', 'record_id', 'file_name', 'content_type', 'size_bytes', 'added_at'])
      .where('review_id', '=', reviewId)
      .where('removed_at', 'is', null)
      .orderBy('added_at')
      .orderBy('id')
      .execute(),

  /** One piece of evidence, removed or not (a signed version may still list it). */
  evidenceItem: (tx: Tx, orgId: string, reviewId: string, id: string) =>
    tx.selectFrom('self_review_evidence').selectAll().where('org_id', '=', orgId).where('review_id', '=', reviewId).where('id', '=', id).executeTakeFirst(),

  insertEvidence: (tx: Tx, row: EvidenceRow & { id?: string }) => tx.insertInto('self_review_evidence').values(row).returning('id').executeTakeFirstOrThrow(),

  removeEvidence: (tx: Tx, orgId: string, id: string, by: string | null) =>
    tx
      .updateTable('self_review_evidence')
      .set({ removed_at: new Date(), removed_by: by })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst(),

  /** Records in Warden that evidence may link to: a case by its reference, an annual report by id. */
  incidentByReference: (tx: Tx, orgId: string, reference: string) =>
    tx.selectFrom('incidents').select(['id', 'reference']).where('org_id', '=', orgId).where('reference', '=', reference).executeTakeFirst(),
  incident: (tx: Tx, orgId: string, id: string) =>
    tx.selectFrom('incidents').select(['id', 'reference']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst(),
  annualReports: (tx: Tx, orgId: string) =>
    tx.selectFrom('annual_reports').select(['id', 'year', 'status']).where('org_id', '=', orgId).orderBy('year', 'desc').execute(),
  annualReport: (tx: Tx, orgId: string, id: string) =>
    tx.selectFrom('annual_reports').select(['id', 'year', 'status']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst(),

  // ---- status history and signed versions ----
  insertEvent: (
    tx: Tx,
    row: {
      org_id: string;
      review_id: string;
      version: number;
      kind: 'started' | 'imported' | 'signed' | 'submitted' | 'reopened';
      reason?: string | null;
      actor_id: string | null;
    },
  ) => tx.insertInto('self_review_events').values(row).execute(),

  events: (tx: Tx, reviewId: string) =>
    tx
      .selectFrom('self_review_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_id')
      .select(['e.version', 'e.kind', 'e.reason', 'e.at', 'u.name as actor'])
      .where('e.review_id', '=', reviewId)
      .orderBy('e.at')
      .orderBy('e.id')
      .execute(),

  insertVersion: (
    tx: Tx,
    row: { org_id: string; review_id: string; version: number; year: number; content: string; content_sha256: string; signed_by: string },
  ) => tx.insertInto('self_review_versions').values(row).returning(['id', 'signed_at']).executeTakeFirstOrThrow(),

  versions: (tx: Tx, reviewId: string) =>
    tx
      .selectFrom('self_review_versions as v')
      .innerJoin('users as s', 's.id', 'v.signed_by')
      .select(['v.id', 'v.version', 'v.signed_at', 'v.submitted_at', 'v.reopened_at', 'v.reopen_reason', 's.name as signed_by_name'])
      .where('v.review_id', '=', reviewId)
      .orderBy('v.version')
      .execute(),

  version: (tx: Tx, orgId: string, reviewId: string, version: number) =>
    tx
      .selectFrom('self_review_versions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('review_id', '=', reviewId)
      .where('version', '=', version)
      .executeTakeFirst(),

  markSubmitted: (tx: Tx, orgId: string, id: string, by: string | null, recipients: string) =>
    tx
      .updateTable('self_review_versions')
      .set({ submitted_at: new Date(), submitted_by: by, recipients })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('submitted_at', 'is', null)
      .executeTakeFirst(),

  markReopened: (tx: Tx, orgId: string, id: string, by: string | null, reason: string) =>
    tx
      .updateTable('self_review_versions')
      .set({ reopened_at: new Date(), reopened_by: by, reopen_reason: reason })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('reopened_at', 'is', null)
      .executeTakeFirst(),

  // ---- oversight: submitted versions only ----
  /**
   * The latest submitted version of each organisation's review for `years`, of the organisations given (or of
   * every organisation when `orgIds` is null: the national assessor). Never a draft or an unsubmitted version.
   */
  submitted: (tx: Tx, orgIds: readonly string[] | null, years: readonly number[]) => {
    let q = tx
      .selectFrom('self_review_versions as v')
      .innerJoin('organisations as o', 'o.id', 'v.org_id')
      .select([
        'v.id',
        'v.org_id',
        'v.review_id',
        'v.version',
        'v.year',
        'v.content',
        'v.submitted_at',
        'v.signed_at',
        'o.name as org_name',
        'o.code as org_code',
      ])
      .distinctOn(['v.org_id', 'v.year'])
      .where('v.submitted_at', 'is not', null)
      .where('v.year', 'in', years as number[])
      .orderBy('v.org_id')
      .orderBy('v.year')
      .orderBy('v.version', 'desc');
    if (orgIds) q = q.where('v.org_id', 'in', orgIds.length ? (orgIds as string[]) : ['00000000-0000-0000-0000-000000000000']);
    return q.execute();
  },

  submittedVersion: (tx: Tx, id: string) =>
    tx
      .selectFrom('self_review_versions as v')
      .innerJoin('organisations as o', 'o.id', 'v.org_id')
      .select([
        'v.id',
        'v.org_id',
        'v.review_id',
        'v.version',
        'v.year',
        'v.content',
        'v.content_sha256',
        'v.submitted_at',
        'v.signed_at',
        'o.name as org_name',
        'o.code as org_code',
      ])
      .where('v.id', '=', id)
      .where('v.submitted_at', 'is not', null)
      .executeTakeFirst(),

  /** Years in which any of the organisations (all, when null) submitted a review, newest first. */
  submittedYears: async (tx: Tx, orgIds: readonly string[] | null) => {
    let q = tx.selectFrom('self_review_versions').select('year').distinct().where('submitted_at', 'is not', null).orderBy('year', 'desc');
    if (orgIds) q = q.where('org_id', 'in', orgIds.length ? (orgIds as string[]) : ['00000000-0000-0000-0000-000000000000']);
    return (await q.execute()).map((r) => r.year);
  },
};
