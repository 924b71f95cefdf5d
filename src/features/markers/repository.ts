import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import { CLOSED_STATUSES } from '../../domain/incidents.ts';
import type { ReviewDecision } from '../../domain/markers.ts';
import type { MarkerInput } from './schema.ts';

const MARKER = [
  'id',
  'subject_kind',
  'address',
  'person_name',
  'person_date_of_birth',
  'person_description',
  'risk',
  'handling_advice',
  'status',
  'review_due',
  'decided_on',
  'created_at',
] as const;

/** Open cases of `orgId` whose reporter asked for a marker that is neither placed nor decided against. */
const pendingRequests = (tx: Tx, orgId: string) =>
  tx
    .selectFrom('incidents as i')
    .where('i.org_id', '=', orgId)
    .where('i.marker_requested', '=', true)
    .where('i.status', 'not in', CLOSED_STATUSES)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('warning_marker_incidents as l').select('l.marker_id').whereRef('l.incident_id', '=', 'i.id'))))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('marker_request_decisions as d').select('d.id').whereRef('d.incident_id', '=', 'i.id'))));

/** The only code that touches the marker tables. Every query runs in a scoped transaction (tenancy.ts). */
export const markersRepository = {
  /** The organisation's incidents with these references (references of other organisations find nothing). */
  incidentsByReference(tx: Tx, orgId: string, references: string[]) {
    return tx
      .selectFrom('incidents')
      .select(['id', 'reference'])
      .where('org_id', '=', orgId)
      .where(sql<boolean>`reference = any(${references}::text[])`)
      .execute();
  },

  insert(tx: Tx, orgId: string, m: MarkerInput, today: string, by: string | null) {
    return tx
      .insertInto('warning_markers')
      .values({
        org_id: orgId,
        subject_kind: m.subjectKind,
        address: m.subjectKind === 'address' ? (m.address ?? null) : null,
        not_public_place: m.subjectKind === 'address' && m.notPublicPlace,
        person_name: m.subjectKind === 'individual' ? (m.personName ?? null) : null,
        person_date_of_birth: m.subjectKind === 'individual' ? (m.personDateOfBirth ?? null) : null,
        person_description: m.subjectKind === 'individual' ? (m.personDescription ?? null) : null,
        risk: m.risk,
        handling_advice: m.handlingAdvice,
        decided_on: today,
        review_due: m.reviewDue,
        created_by: by,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow();
  },

  async link(tx: Tx, orgId: string, markerId: string, incidentIds: string[]) {
    if (incidentIds.length === 0) return;
    await tx
      .insertInto('warning_marker_incidents')
      .values(incidentIds.map((incident_id) => ({ org_id: orgId, marker_id: markerId, incident_id })))
      .execute();
  },

  addReview(
    tx: Tx,
    r: {
      orgId: string;
      markerId: string;
      decision: ReviewDecision | 'created';
      reason: string;
      reviewerId: string | null;
      decidedOn: string;
      previousReviewDue: string | null;
      nextReviewDue: string | null;
      changes?: Record<string, unknown>;
    },
  ) {
    return tx
      .insertInto('warning_marker_reviews')
      .values({
        org_id: r.orgId,
        marker_id: r.markerId,
        decision: r.decision,
        reason: r.reason,
        reviewer_id: r.reviewerId,
        decided_on: r.decidedOn,
        previous_review_due: r.previousReviewDue,
        next_review_due: r.nextReviewDue,
        changes: JSON.stringify(r.changes ?? {}),
      })
      .execute();
  },

  /** Applies a review to the marker row (the trail keeps what it was). */
  update(
    tx: Tx,
    orgId: string,
    id: string,
    set: { status: 'active' | 'removed'; reviewDue: string | null; decidedOn: string; risk?: string; handlingAdvice?: string },
  ) {
    return tx
      .updateTable('warning_markers')
      .set({
        status: set.status,
        review_due: set.reviewDue,
        decided_on: set.decidedOn,
        ...(set.risk ? { risk: set.risk } : {}),
        ...(set.handlingAdvice ? { handling_advice: set.handlingAdvice } : {}),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },

  find(tx: Tx, orgId: string, id: string, options: { lock?: boolean } = {}) {
    let q = tx.selectFrom('warning_markers').select(MARKER).where('org_id', '=', orgId).where('id', '=', id);
    if (options.lock) q = q.forUpdate();
    return q.executeTakeFirst();
  },

  /**
   * Open cases whose reporter asked for a warning marker (003 §3.2.11) and that nobody has answered yet — no
   * marker linked, no decision that none is needed — oldest first.
   */
  requests(tx: Tx, orgId: string) {
    return pendingRequests(tx, orgId).select(['i.id', 'i.reference', 'i.category', 'i.reported_at']).orderBy('i.reported_at').limit(500).execute();
  },

  /** How many requests `requests` would list (uncapped), for the home page. */
  async requestCount(tx: Tx, orgId: string) {
    const r = await pendingRequests(tx, orgId)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /** One incident as a marker request: whether one was made, whether a marker answers it, and any decision. */
  request(tx: Tx, orgId: string, incidentId: string, options: { lock?: boolean } = {}) {
    let q = tx
      .selectFrom('incidents as i')
      .leftJoin('marker_request_decisions as d', 'd.incident_id', 'i.id')
      .select((eb) => [
        'i.id',
        'i.reference',
        'i.category',
        'i.status',
        'i.marker_requested',
        'd.decided_at',
        eb.exists(eb.selectFrom('warning_marker_incidents as l').select('l.marker_id').whereRef('l.incident_id', '=', 'i.id')).as('has_marker'),
      ])
      .where('i.org_id', '=', orgId)
      .where('i.id', '=', incidentId);
    if (options.lock) q = q.forUpdate('i');
    return q.executeTakeFirst();
  },

  decline(tx: Tx, d: { orgId: string; incidentId: string; reason: string; by: string }) {
    return tx
      .insertInto('marker_request_decisions')
      .values({ org_id: d.orgId, incident_id: d.incidentId, reason: d.reason, decided_by: d.by })
      .returning('decided_at')
      .executeTakeFirstOrThrow();
  },

  /** How many live markers have a review date on or before `dueBy`. */
  async dueCount(tx: Tx, orgId: string, dueBy: string) {
    const r = await tx
      .selectFrom('warning_markers')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', orgId)
      .where('status', '=', 'active')
      .where('review_due', '<=', dueBy)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /** Live markers due for review by `dueBy` (soonest first), or every marker (live first, then by review date). */
  list(tx: Tx, orgId: string, options: { dueBy?: string }) {
    let q = tx.selectFrom('warning_markers').select(MARKER).where('org_id', '=', orgId);
    if (options.dueBy) q = q.where('status', '=', 'active').where('review_due', '<=', options.dueBy);
    return q.orderBy('status').orderBy('review_due').orderBy('created_at').limit(1000).execute();
  },

  incidents(tx: Tx, orgId: string, markerId: string) {
    return tx
      .selectFrom('warning_marker_incidents as l')
      .innerJoin('incidents as i', 'i.id', 'l.incident_id')
      .select(['i.id', 'i.reference'])
      .where('l.org_id', '=', orgId)
      .where('l.marker_id', '=', markerId)
      .orderBy('i.reference')
      .execute();
  },

  reviews(tx: Tx, orgId: string, markerId: string) {
    return tx
      .selectFrom('warning_marker_reviews as r')
      .leftJoin('users as u', 'u.id', 'r.reviewer_id')
      .select(['r.decision', 'r.reason', 'u.name as reviewer', 'r.decided_on', 'r.decided_at', 'r.previous_review_due', 'r.next_review_due', 'r.changes'])
      .where('r.org_id', '=', orgId)
      .where('r.marker_id', '=', markerId)
      .orderBy('r.decided_at')
      .execute();
  },
};
