import type { Database } from '../../db/database.ts';
import { CATEGORY_DEFINITIONS, CLOSED_CASE, type IncidentCategory, isClosed } from '../../domain/incidents.ts';
import { isDueForReview, latestReviewDate, londonToday, type MarkerSubject, reviewDateProblem } from '../../domain/markers.ts';
import { authorize, can } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { conflict, type FieldError, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { markersRepository as repo } from './repository.ts';
import { markerInput, markerListQuery, requestDecisionInput, reviewInput } from './schema.ts';

type Member = Extract<Actor, { kind: 'user' }> & { orgId: string };
type MarkerRow = NonNullable<Awaited<ReturnType<typeof repo.find>>>;

function out(r: MarkerRow, today: string) {
  return {
    id: r.id,
    subjectKind: r.subject_kind as MarkerSubject,
    address: r.address,
    personName: r.person_name,
    personDateOfBirth: r.person_date_of_birth,
    personDescription: r.person_description,
    risk: r.risk,
    handlingAdvice: r.handling_advice,
    status: r.status,
    reviewDue: r.review_due,
    due: r.status === 'active' && !!r.review_due && isDueForReview(r.review_due, today),
    createdAt: r.created_at,
  };
}
export type MarkerOut = ReturnType<typeof out>;

/**
 * Warning ("history") markers (SPEC C3; `003 §2.2.3.9, §3.2.11`; rules in src/domain/markers.ts). The security
 * specialist places and reviews them; managers and the SMD read them. Every change and every read is audited.
 * `today` is injectable so tests can move the clock.
 */
export function markersService(db: Database, clock: () => Date = () => new Date()) {
  const member = (actor: Actor | null, action: 'marker.manage' | 'marker.read'): Member => {
    const a = authorize(actor, action, actor?.kind === 'user' ? actor.orgId : undefined);
    if (a.kind !== 'user' || !a.orgId) throw forbidden('Warning markers belong to an organisation: act for one first.');
    return a as Member;
  };
  const reviewProblem = (date: string, today: string): FieldError[] => {
    const p = reviewDateProblem(date, today);
    return p ? [{ field: 'reviewDue', message: p }] : [];
  };

  return {
    /** The latest review date allowed today, for the form's hint. */
    latestReviewDate: () => latestReviewDate(londonToday(clock())),

    /**
     * Open cases whose reporter asked for a warning marker and that have none yet (003 §3.2.11), for the security
     * specialist who decides; empty for others. References and types only: the reason is on the case page.
     */
    async requests(actor: Actor | null) {
      if (actor?.kind !== 'user' || !actor.orgId || !can(actor, 'marker.manage', actor.orgId)) return [];
      const a = member(actor, 'marker.manage');
      return inScope(db, { orgId: a.orgId }, async (tx) =>
        (await repo.requests(tx, a.orgId)).map((r) => ({
          id: r.id,
          reference: r.reference,
          categoryLabel: CATEGORY_DEFINITIONS[r.category as IncidentCategory].label,
          reportedAt: r.reported_at,
        })),
      );
    },

    /**
     * For the home page of those who decide markers: how many live markers are due for review and how many
     * reporters' requests wait for an answer; null for others.
     */
    async waiting(actor: Actor | null) {
      if (actor?.kind !== 'user' || !actor.orgId || !can(actor, 'marker.manage', actor.orgId)) return null;
      const a = member(actor, 'marker.manage');
      return inScope(db, { orgId: a.orgId }, async (tx) => ({
        due: await repo.dueCount(tx, a.orgId, londonToday(clock())),
        requests: await repo.requestCount(tx, a.orgId),
      }));
    },

    /**
     * The reporter's request on case `incidentId`, for the page where the security specialist decides that no
     * marker is needed: reference and type only (the reporter's reason is read, and audited, on the case page).
     */
    async request(actor: Actor | null, incidentId: string) {
      const a = member(actor, 'marker.manage');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await repo.request(tx, a.orgId, incidentId);
        if (!r) throw notFound('case');
        return {
          id: r.id,
          reference: r.reference,
          categoryLabel: CATEGORY_DEFINITIONS[r.category as IncidentCategory].label,
          requested: r.marker_requested,
          answered: r.has_marker || r.decided_at !== null,
          open: !isClosed(r.status),
        };
      });
    },

    /**
     * Answers a reporter's request (003 §2.2.3.9, §3.2.11) with "no marker is needed", and why. The case must be
     * open, its reporter must have asked, and nobody must have answered yet (a marker placed, or a decision
     * recorded); otherwise nothing is written. Audited against the case; the reason stays with the decision, as it
     * may describe people.
     */
    async declineRequest(actor: Actor | null, incidentId: string, raw: unknown) {
      const a = member(actor, 'marker.manage');
      const { reason } = parse(requestDecisionInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await repo.request(tx, a.orgId, incidentId, { lock: true });
        if (!r) throw notFound('case');
        if (!r.marker_requested) throw conflict('reason', 'The reporter of this case did not ask for a warning marker: there is nothing to decide');
        if (isClosed(r.status)) throw conflict('reason', CLOSED_CASE);
        if (r.has_marker) throw conflict('reason', 'A warning marker has already been placed for this case');
        if (r.decided_at) throw conflict('reason', 'It has already been decided that this case needs no warning marker');
        const { decided_at } = await repo.decline(tx, { orgId: a.orgId, incidentId, reason, by: a.userId });
        await audit(tx, a, {
          action: 'marker.request_decline',
          orgId: a.orgId,
          objectType: 'incident',
          objectId: incidentId,
          detail: { reference: r.reference },
        });
        return { id: incidentId, reference: r.reference, decidedAt: decided_at };
      });
    },

    /** The markers of the acting organisation: all, or only those due for review (`due`). The read is audited. */
    async list(actor: Actor | null, raw: unknown) {
      const a = member(actor, 'marker.read');
      const { due } = parse(markerListQuery, raw ?? {});
      const today = londonToday(clock());
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const rows = await repo.list(tx, a.orgId, { dueBy: due ? today : undefined });
        await audit(tx, a, { action: 'marker.list', orgId: a.orgId, objectType: 'warning_marker', detail: { due, results: rows.length } });
        return { due, markers: rows.map((r) => out(r, today)) };
      });
    },

    /** One marker with its justifying incidents and its decision trail. The read is audited. */
    async get(actor: Actor | null, id: string) {
      const a = member(actor, 'marker.read');
      const today = londonToday(clock());
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await repo.find(tx, a.orgId, id);
        if (!r) throw notFound('warning marker');
        const [incidents, reviews] = await Promise.all([repo.incidents(tx, a.orgId, id), repo.reviews(tx, a.orgId, id)]);
        await audit(tx, a, { action: 'marker.read', orgId: a.orgId, objectType: 'warning_marker', objectId: id });
        return {
          ...out(r, today),
          incidents,
          reviews: reviews.map((v) => ({
            decision: v.decision,
            reason: v.reason,
            reviewer: v.reviewer,
            decidedOn: v.decided_on,
            decidedAt: v.decided_at,
            previousReviewDue: v.previous_review_due,
            nextReviewDue: v.next_review_due,
            changes: v.changes,
          })),
        };
      });
    },

    /**
     * Places a marker. It must be justified by at least one incident of the same organisation and have a review
     * date after today and at most 12 months ahead. Bad input writes nothing.
     */
    async create(actor: Actor | null, raw: unknown) {
      const a = member(actor, 'marker.manage');
      const input = parse(markerInput, raw);
      const today = londonToday(clock());
      const problems = reviewProblem(input.reviewDue, today);
      if (problems.length) throw invalid(problems);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const refs = [...new Set(input.incidents)];
        const found = await repo.incidentsByReference(tx, a.orgId, refs);
        const known = new Set(found.map((f) => f.reference));
        const missing = refs.filter((r) => !known.has(r));
        if (missing.length) throw invalid([{ field: 'incidents', message: `No incident of your organisation has the reference ${missing.join(', ')}` }]);
        const { id } = await repo.insert(tx, a.orgId, input, today, a.userId);
        await repo.link(
          tx,
          a.orgId,
          id,
          found.map((f) => f.id),
        );
        await repo.addReview(tx, {
          orgId: a.orgId,
          markerId: id,
          decision: 'created',
          reason: `Placed after incident ${refs.join(', ')}`,
          reviewerId: a.userId,
          decidedOn: today,
          previousReviewDue: null,
          nextReviewDue: input.reviewDue,
        });
        // The subject's identity stays in the marker; the trail names the marker and its incidents only.
        await audit(tx, a, {
          action: 'marker.create',
          orgId: a.orgId,
          objectType: 'warning_marker',
          objectId: id,
          detail: { subject: input.subjectKind, incidents: refs, reviewDue: input.reviewDue },
        });
        return { id };
      });
    },

    /**
     * Records a review decision: kept (new review date), varied (new risk or advice, new date) or removed. The
     * marker is never deleted; the trail keeps the previous values and review date.
     */
    async review(actor: Actor | null, id: string, raw: unknown) {
      const a = member(actor, 'marker.manage');
      const input = parse(reviewInput, raw);
      const today = londonToday(clock());
      if (input.decision !== 'removed') {
        const problems = reviewProblem(input.reviewDue as string, today);
        if (problems.length) throw invalid(problems);
      }
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const m = await repo.find(tx, a.orgId, id, { lock: true });
        if (!m) throw notFound('warning marker');
        if (m.status === 'removed') throw invalid([{ field: 'decision', message: 'This marker has been removed: place a new marker instead' }]);
        const changes: Record<string, { from: string; to: string }> = {};
        if (input.decision === 'varied') {
          if (input.risk && input.risk !== m.risk) changes.risk = { from: m.risk, to: input.risk };
          if (input.handlingAdvice && input.handlingAdvice !== m.handling_advice)
            changes.handlingAdvice = { from: m.handling_advice, to: input.handlingAdvice };
          if (Object.keys(changes).length === 0)
            throw invalid([{ field: 'risk', message: 'Change the risk or the advice, or choose to keep the marker as it is' }]);
        }
        const next = input.decision === 'removed' ? null : (input.reviewDue as string);
        await repo.update(tx, a.orgId, id, {
          status: input.decision === 'removed' ? 'removed' : 'active',
          reviewDue: next,
          decidedOn: today,
          risk: changes.risk?.to,
          handlingAdvice: changes.handlingAdvice?.to,
        });
        await repo.addReview(tx, {
          orgId: a.orgId,
          markerId: id,
          decision: input.decision,
          reason: input.reason,
          reviewerId: a.userId,
          decidedOn: today,
          previousReviewDue: m.review_due,
          nextReviewDue: next,
          changes,
        });
        await audit(tx, a, {
          action: `marker.${input.decision === 'removed' ? 'remove' : 'review'}`,
          orgId: a.orgId,
          objectType: 'warning_marker',
          objectId: id,
          detail: { decision: input.decision, previousReviewDue: m.review_due, nextReviewDue: next, changed: Object.keys(changes) },
        });
        return { id, decision: input.decision };
      });
    },
  };
}

export type MarkersService = ReturnType<typeof markersService>;
